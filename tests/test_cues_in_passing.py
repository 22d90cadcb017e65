"""Cues said in passing, and their look-alikes (the playbook's afternoon triggers).

Written for the behaviour, not copied from any call script: red flags tucked into a
routine request, put-downs and threats without the usual words, handoffs to a
named party, refusals in other words, and the guards that keep each quiet on a
routine call (a no already explained, a warm transfer to triage, mail that is not
a runaround, a prescription sent to a pharmacy, an allergy-season stuffy nose).
"""

from __future__ import annotations

import pytest

from tests.cue_support import kinds

RAISES: list[tuple[str, str, str]] = [
    # urgent red flags inside a routine request
    (
        "urgent_risk",
        "caller",
        "Can you move my checkup? Also my tongue feels kind of swollen since I "
        "started the new pills.",
    ),
    (
        "urgent_risk",
        "caller",
        "She's fine mostly, just her smile looks lopsided and droopy on one side since lunch.",
    ),
    (
        "urgent_risk",
        "caller",
        "I need a refill, and honestly I took the whole box of sleeping tablets an hour ago.",
    ),
    (
        "urgent_risk",
        "caller",
        "He banged his head on the cupboard this morning and now he keeps "
        "throwing up. He's on warfarin.",
    ),
    (
        "urgent_risk",
        "caller",
        "I'm thirty-two weeks and I've soaked through two pads since breakfast.",
    ),
    (
        "urgent_risk",
        "caller",
        "She's three weeks old and she feels hot, the thermometer says 100.9.",
    ),
    ("urgent_risk", "caller", "Just book whatever, I doubt I'll be around much longer anyway."),
    ("urgent_risk", "caller", "My kids would be better off with the insurance money than with me."),
    (
        "urgent_risk",
        "caller",
        "I think I injected my insulin twice tonight, I'm all sweaty and shaky.",
    ),
    # abuse without "you're an idiot"
    ("abuse", "caller", "Is there a grown-up in that office, or just you?"),
    ("abuse", "caller", "Keep it up and you'll regret it, I know where you people park."),
    ("abuse", "caller", "Go get me somebody with a brain."),
    # agent handoffs to a named party, left open
    ("close_the_loop", "agent", "The surgery scheduler will reach out to you about a date."),
    ("close_the_loop", "agent", "I'll have the pharmacist give you a call."),
    # refusals in other words
    ("explain_the_no", "agent", "We can't expedite that one."),
    ("explain_the_no", "agent", "Physical therapy isn't a covered benefit on that plan."),
    ("explain_the_no", "agent", "That balance cannot be reduced."),
    # caller kinds in new wording
    ("subtext_fear", "caller", "I feel totally fine now, so can we just cancel the follow-up?"),
    ("subtext_cost", "caller", "Four different inhalers. Do I really need all of them?"),
    ("orient", "caller", "I haven't slept since the letter about my mammogram came."),
    ("orient", "caller", "The report says a shadow on the lung and I don't know what that means."),
    (
        "own_it",
        "caller",
        "The lab told me to call the clinic and the clinic told me to call the lab.",
    ),
    ("reflect_back", "caller", "I feel like I'm talking to a wall here."),
]

QUIET: list[tuple[str, str, str]] = [
    # a stuffy nose, a past scare, a figure of speech
    (
        "urgent_risk",
        "caller",
        "It's hay fever season and I can't breathe through my nose, can I get the spray refilled?",
    ),
    ("urgent_risk", "caller", "Last December I had some chest pain, it turned out to be reflux."),
    (
        "urgent_risk",
        "caller",
        "I've had to reschedule this twice already, can we find a better time?",
    ),
    ("urgent_risk", "caller", "I won't be around on Tuesday, can we do Thursday?"),
    # the agent's no already explained, with a way forward
    (
        "explain_the_no",
        "agent",
        "We can't refill it early because it's a controlled drug, but I can ask "
        "the doctor for a bridge supply today.",
    ),
    # a warm transfer to triage and a complete handoff need no card
    ("close_the_loop", "agent", "I'm transferring you to our triage nurse right now."),
    (
        "close_the_loop",
        "agent",
        "Dr. Osei's nurse will call you Thursday morning with the results.",
    ),
    ("close_the_loop", "agent", "Okay, I'll send it to the Walgreens on Main."),
    # mail is not a runaround; a postponement for a named commitment is not fear
    ("own_it", "caller", "My insurance keeps sending me letters about mail order."),
    (
        "subtext_fear",
        "caller",
        "Could I move my mammogram? My boss just put a client meeting on top of it.",
    ),
    # a calm put-down of oneself is not abuse
    ("abuse", "caller", "Sorry, I'm a bit slow with these computer things."),
]


@pytest.mark.parametrize(("kind", "speaker", "text"), RAISES)
def test_raises(kind: str, speaker: str, text: str) -> None:
    assert kind in kinds(text, speaker)


@pytest.mark.parametrize(("kind", "speaker", "text"), QUIET)
def test_stays_quiet(kind: str, speaker: str, text: str) -> None:
    assert kind not in kinds(text, speaker)
