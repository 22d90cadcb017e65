"""Ask-side kinds generalised by category (session 5), with their look-alikes.

Written for the behaviour, not copied from any call script:
- close_the_loop: an outcome that will just arrive ("you'll get a letter"), an
  anonymous "someone will follow up", a handoff whose own time is vague; quiet on
  a live warm transfer happening now, on the agent carrying it to a named owner by
  a real time, and on a bare reference number given as a courtesy.
"""

from __future__ import annotations

import pytest

from tests.cue_support import kinds

RAISES: list[tuple[str, str, str]] = [
    # subtext_cost: fewer sessions of a standing treatment
    (
        "subtext_cost",
        "caller",
        "Could I go down to two days a week on the dialysis? Lots of folks do.",
    ),
    ("subtext_cost", "caller", "What if I drop one session a week of the rehab?"),
    ("subtext_cost", "caller", "what if i only come twice a week to dialysis"),
    # subtext_exhausted: the end as a date or a number
    (
        "subtext_exhausted",
        "caller",
        "Is there like an end date on these infusions? It's been months.",
    ),
    ("subtext_exhausted", "caller", "How many of these am I doing? Is there a number?"),
    ("subtext_exhausted", "caller", "whats the end date on this wound vac"),
    ("real_timeline", "agent", "We'll let you know when we hear something."),
    # subtext_fear: far off, whatever the reason
    ("subtext_fear", "caller", "Could we push the scan to, um, the summer maybe? Work is nuts."),
    (
        "subtext_fear",
        "caller",
        "I'd rather hold off on the biopsy, till spring, the driving's bad.",
    ),
    ("subtext_fear", "caller", "i was hoping like after the new year for the mammogram no rush"),
    ("subtext_fear", "caller", "The colonoscopy, can we just do it in another two years?"),
    ("subtext_fear", "caller", "is it okay if i do the ct scan in the fall instead"),
    ("subtext_fear", "caller", "could we maybe make the biopsy sometime after new years"),
    ("subtext_fear", "caller", "i'll just call back in the spring to set up the colonoscopy"),
    ("subtext_fear", "caller", "i don't think i need the follow up ct to be honest"),
    ("subtext_fear", "caller", "Is it a big deal if I just don't go to the echo follow-up?"),
    ("subtext_fear", "caller", "I have to cancel the biopsy on Monday, my ride fell through."),
    # cancelled outright, not moved
    ("subtext_fear", "caller", "I need to cancel my MRI on the 9th. I can't get off work."),
    # keep coming back, not necessary now, the symptom is better
    ("subtext_fear", "caller", "Do I really have to keep coming back for these scans?"),
    ("subtext_fear", "caller", "the follow up i think is not so necessary now"),
    ("subtext_fear", "caller", "i want to cancel it, the pain is much better now"),
    # explain_the_no: a no in other words, bare or with its reason
    ("explain_the_no", "agent", "Right, so he didn't qualify for the sliding scale."),
    ("explain_the_no", "agent", "We can't reschedule you with her before March."),
    ("explain_the_no", "agent", "The plan isn't paying for the pump because the form was late."),
    ("explain_the_no", "agent", "Your insurance is not covering it this year."),
    ("explain_the_no", "agent", "no we don't take that plan here"),
    ("explain_the_no", "agent", "That's not something we're able to do for you."),
    # real_timeline: vague promises of when still raise
    ("real_timeline", "agent", "The refund should post in a week or two."),
    ("real_timeline", "agent", "It's in the queue, they'll get to it eventually."),
    ("real_timeline", "agent", "They'll call you as soon as they can."),
    # close_the_loop: the result arrives from nobody, at no time
    ("close_the_loop", "agent", "Okay, so that was turned down. They'll mail you a notice."),
    # an anonymous owner, whatever the agent's own step is dated
    (
        "close_the_loop",
        "agent",
        "I'll fax the form over this afternoon and somebody will get back to you.",
    ),
    # the handoff's own time is vague even when another step has a date
    (
        "close_the_loop",
        "agent",
        "The scan is booked for Friday at nine. "
        "The surgeon's team will reach out after that, soon.",
    ),
]

QUIET: list[tuple[str, str, str]] = [
    # subtext_cost look-alikes
    ("subtext_cost", "caller", "The bill is two grand and I can't stop crying about the meds."),
    ("subtext_cost", "caller", "For the prep, the split dose, do I take it at six?"),
    ("subtext_cost", "caller", "My date of birth again? Why do you need that for a refill?"),
    ("subtext_cost", "caller", "Could I do the therapy session Friday instead? Work moved."),
    # subtext_exhausted look-alikes
    (
        "subtext_exhausted",
        "caller",
        "How many appointments am I looking at in total, so I can plan my leave?",
    ),
    ("subtext_exhausted", "caller", "Is there a number I can call after hours for the pump?"),
    ("subtext_exhausted", "caller", "Is there an end of the month deadline for the form?"),
    # subtext_fear look-alikes
    ("subtext_fear", "caller", "did they do the biopsy in january or february"),
    ("subtext_fear", "caller", "i had my mammogram in march and it was fine"),
    (
        "subtext_fear",
        "caller",
        "my doctor said it can wait till spring, so can you book the scan then",
    ),
    ("subtext_fear", "caller", "I need to cancel the colonoscopy and rebook it for next Tuesday."),
    ("subtext_fear", "caller", "i need to move the mri cause of work, is thursday open"),
    (
        "subtext_fear",
        "caller",
        "My shift got changed, can I move the ultrasound to Friday? Same time works.",
    ),
    ("subtext_fear", "caller", "The clinic cancelled my scan, so can we do it in March?"),
    (
        "subtext_fear",
        "caller",
        "Do I really need it every day? The pill, I mean, since the scan was ok.",
    ),
    ("subtext_fear", "caller", "I'd like to book my annual physical, anything in April?"),
    (
        "subtext_fear",
        "caller",
        "I need to reschedule the colonoscopy, can we switch it to Tuesday?",
    ),
    # explain_the_no: an explanation of billing, a boundary on abuse, one's own story
    ("explain_the_no", "agent", "I tried to give blood once and I didn't qualify either."),
    ("explain_the_no", "agent", "I see it, the lab claim was processed as out of network."),
    ("explain_the_no", "agent", "I want to help, but I won't accept being sworn at."),
    (
        "explain_the_no",
        "agent",
        "I'm glad to help you, and I don't tolerate that kind of language.",
    ),
    # real_timeline: durations that are not promises of when
    ("real_timeline", "agent", "The bruising usually goes down in a few days."),
    ("real_timeline", "agent", "The new inhaler can take a week or so to get used to."),
    ("real_timeline", "agent", "She'll come out twice a week for a few weeks after that."),
    # the learned layer reads "at some point" as vague whatever the tense: hedged_time's
    # block_past binds it too
    ("real_timeline", "agent", "It means you've caught it at some point, it's in the past."),
    ("real_timeline", "agent", "I'm taking it to the nurse as soon as we hang up."),
    ("real_timeline", "agent", "The lab result posts in a day or two and he reviews it Monday."),
    ("real_timeline", "agent", "Okay, I see the records request. It's in the queue."),
    # live warm transfers: the caller is handed to a person now
    (
        "close_the_loop",
        "agent",
        "Please hold, I'm transferring you to our on-call nurse right now.",
    ),
    ("close_the_loop", "agent", "Don't hang up, I'm connecting you with Dr. Ferreira."),
    ("close_the_loop", "agent", "I'm putting you through to Marisol in the lab, one moment."),
    # the agent carries it to a named owner by a real time, or does it personally
    ("close_the_loop", "agent", "I'll bring it to Dr. Okafor tomorrow morning when she's in."),
    ("close_the_loop", "agent", "I'm faxing it right now and I'll check it arrived myself."),
    ("close_the_loop", "agent", "I'll have our nurse call you tomorrow at ten about it."),
    # a bare reference number after the work is done
    ("close_the_loop", "agent", "All set. Your confirmation number is 4471 if you want it."),
    # an emergency instruction with a courtesy notice
    ("close_the_loop", "agent", "Hang up and call 911 now. I'll let her office know."),
    # a confirmation letter of what is already booked
    ("close_the_loop", "agent", "You're booked. You'll get a letter confirming the new date."),
]


@pytest.mark.parametrize(("kind", "speaker", "text"), RAISES)
def test_raises(kind: str, speaker: str, text: str) -> None:
    assert kind in kinds(text, speaker), text


@pytest.mark.parametrize(("kind", "speaker", "text"), QUIET)
def test_quiet(kind: str, speaker: str, text: str) -> None:
    assert kind not in kinds(text, speaker), text
