"""Each cue kind on single utterances: what raises it, and what must not.

Sentences here are written for the behaviour in CUES.md (not copied from the call
scripts): positives in several wordings, negatives covering negation, past or
reported events, doses, pleasantries, the other speaker and look-alike phrases.
"""

from __future__ import annotations

import pytest

from cues.engine import CueEngine
from transcription.types import Utterance


def kinds(text: str, speaker: str = "caller") -> set[str]:
    engine = CueEngine("unit")
    engine.feed(Utterance("unit", speaker, 0, text, 0.0, 2.0, True))  # type: ignore[arg-type]
    return {c.kind for c in engine.cues}


POSITIVE: list[tuple[str, str, str]] = [
    # orient: frightened or anxious about health, a result, a procedure
    ("orient", "caller", "Honestly I'm terrified of what the scan is going to show."),
    ("orient", "caller", "My stomach's in knots, I'm so anxious about the biopsy tomorrow."),
    ("orient", "caller", "I've been a nervous wreck since the doctor's office called."),
    ("orient", "caller", "The portal says my potassium is flagged, what does that mean?"),
    ("orient", "caller", "Is he going to be okay? I don't know what to do."),
    ("orient", "caller", "I haven't heard anything and I'm getting really anxious."),
    ("orient", "caller", "I can't stop crying, I'm so afraid something's wrong."),
    # own_it: bounced between people or calling again after a failed contact
    ("own_it", "caller", "This is the fourth time I've called about the same refill."),
    ("own_it", "caller", "Radiology sent me back to you, and you sent me to radiology yesterday."),
    ("own_it", "caller", "Someone promised they'd call me back Tuesday and nobody ever did."),
    ("own_it", "caller", "I keep getting transferred around and nobody knows who handles this."),
    # reflect_back: feels unheard
    ("reflect_back", "caller", "You're not listening. I said the pharmacy, not the clinic."),
    ("reflect_back", "caller", "That's not what I asked. I asked why it was denied."),
    ("reflect_back", "caller", "I already told the last person all of this."),
    # validate_first: angry about the situation
    ("validate_first", "caller", "I'm livid, they billed me twice for the same visit."),
    ("validate_first", "caller", "This is completely unacceptable, three weeks for a callback."),
    ("validate_first", "caller", "I am sick of fighting with this insurance company."),
    # offer_choice: overwhelmed
    ("offer_choice", "caller", "It's all too much, I can't keep track of any of it anymore."),
    ("offer_choice", "caller", "Honestly I'm overwhelmed with all these forms."),
    ("offer_choice", "caller", "I don't even know where to start with all of this."),
    # subtext_fear: put off or cancel care
    ("subtext_fear", "caller", "Can I push the colonoscopy back a few months?"),
    ("subtext_fear", "caller", "Do I really have to come in for the follow-up scan?"),
    ("subtext_fear", "caller", "I'd like to cancel the biopsy, I'll call back to rebook."),
    # subtext_cost: skip, split, stretch a treatment
    ("subtext_cost", "caller", "Do I really need to take both of these pills?"),
    ("subtext_cost", "caller", "Could I just cut the tablets in half to make them last?"),
    ("subtext_cost", "caller", "Would it be okay if I took the inhaler every other day?"),
    # subtext_exhausted: how much longer, how many more
    ("subtext_exhausted", "caller", "How many more appointments before this is finally done?"),
    ("subtext_exhausted", "caller", "How much longer is all of this going to take?"),
    ("subtext_exhausted", "caller", "Is there ever an end to these infusions?"),
    # agent kinds
    ("close_the_loop", "agent", "I'll transfer you to billing, they handle that."),
    ("close_the_loop", "agent", "Someone from the referral team will reach out to you."),
    ("real_timeline", "agent", "They should get back to you shortly."),
    ("real_timeline", "agent", "You'll hear from them as soon as possible."),
    ("explain_the_no", "agent", "I'm sorry, that medication isn't covered by your plan."),
    ("explain_the_no", "agent", "We can't refill it until you've been seen."),
    ("explain_the_no", "agent", "Unfortunately Dr. Ruiz isn't accepting new patients."),
    # urgent_risk: emergency symptoms or self-harm, now
    ("urgent_risk", "caller", "I've had crushing pressure in my chest for twenty minutes."),
    ("urgent_risk", "caller", "She can't breathe and her lips are turning blue."),
    ("urgent_risk", "caller", "His face is drooping on one side and his speech is slurred."),
    ("urgent_risk", "caller", "My daughter swallowed a bunch of my sleeping pills."),
    ("urgent_risk", "caller", "Sometimes I think everyone would be better off without me."),
    ("urgent_risk", "caller", "I've been thinking about killing myself."),
    # abuse: at the agent personally
    ("abuse", "caller", "You're completely useless, you know that?"),
    ("abuse", "caller", "Listen, you idiot, just do your job."),
    ("abuse", "caller", "I know where you work and I'll be waiting for you."),
]

NEGATIVE: list[tuple[str, str, str]] = [
    # negation
    ("urgent_risk", "caller", "No chest pain or anything like that, just the cough."),
    ("urgent_risk", "caller", "I'm not short of breath at all."),
    ("urgent_risk", "caller", "I don't have any chest pain and shortness of breath."),
    ("orient", "caller", "I'm not worried or anything, just curious what it measures."),
    ("urgent_risk", "caller", "I'm not going to hurt myself, I promise."),
    # past or reported events
    ("urgent_risk", "caller", "My dad had a heart attack last year, so they want a baseline."),
    ("urgent_risk", "caller", "I had chest pain back in 2019 but it turned out to be reflux."),
    ("urgent_risk", "caller", "If I ever get short of breath, should I go to the ER?"),
    ("urgent_risk", "caller", "I sometimes get chest pains when I climb stairs."),
    # doses are not repeats
    ("own_it", "caller", "I take it three times a day with food."),
    ("own_it", "caller", "I use two puffs twice a day."),
    # pleasantries are not vague times
    ("real_timeline", "agent", "Thanks for calling, see you soon!"),
    ("real_timeline", "agent", "Take care, and feel better soon."),
    # a complete handoff needs no card
    (
        "close_the_loop",
        "agent",
        "I'm sending it to Maria Lopez in referrals. Maria will call you by Thursday at noon. "
        "Your part is to upload your card by Wednesday, and if you haven't heard from her by "
        "noon Thursday, call me back at extension 210.",
    ),
    # speaker awareness: agent words never raise caller kinds, and vice versa
    ("urgent_risk", "agent", "Any chest pain or trouble breathing?"),
    ("orient", "agent", "A lot of people are scared before a biopsy."),
    ("explain_the_no", "caller", "We can't afford it, it's not covered."),
    ("real_timeline", "caller", "I need it soon."),
    # look-alikes
    ("explain_the_no", "agent", "Congratulations, we can't wait to meet her!"),
    ("subtext_fear", "caller", "I need to move my cleaning, I have a work trip that week."),
    ("subtext_fear", "caller", "Can I move my appointment earlier? I'd like it sooner."),
    ("subtext_exhausted", "caller", "How long will the MRI take? My ride wants to know."),
    ("subtext_cost", "caller", "Should I take it with food?"),
    ("own_it", "caller", "My doctor referred me to you for the knee."),
    ("own_it", "caller", "They told me to take it easy for a week."),
    ("validate_first", "caller", "The pain in my back is terrible at night."),
    ("abuse", "caller", "Thank you, honey, you've been a big help."),
    ("offer_choice", "caller", "It's not too much, I can manage."),
    ("orient", "caller", "She's having panic attacks at school, that's why she was referred."),
]


@pytest.mark.parametrize(("kind", "speaker", "text"), POSITIVE)
def test_raises(kind: str, speaker: str, text: str) -> None:
    assert kind in kinds(text, speaker)


@pytest.mark.parametrize(("kind", "speaker", "text"), NEGATIVE)
def test_does_not_raise(kind: str, speaker: str, text: str) -> None:
    assert kind not in kinds(text, speaker)


def test_every_kind_has_positive_and_negative_cases() -> None:
    covered_pos = {k for k, _, _ in POSITIVE} | {"take_a_reset"}  # end of call: engine tests
    assert covered_pos == {
        "orient",
        "own_it",
        "reflect_back",
        "validate_first",
        "offer_choice",
        "subtext_fear",
        "subtext_cost",
        "subtext_exhausted",
        "close_the_loop",
        "real_timeline",
        "explain_the_no",
        "urgent_risk",
        "abuse",
        "take_a_reset",
    }


def test_anger_at_the_agent_is_abuse_not_validate_first() -> None:
    got = kinds("This is ridiculous. You're a complete idiot.")
    assert "abuse" in got and "validate_first" not in got


def test_evidence_quotes_the_words_as_said() -> None:
    engine = CueEngine("q")
    engine.feed(
        Utterance("q", "caller", 0, "Well,   I’m   TERRIFIED of the biopsy.", 10.0, 14.0, True)
    )
    (cue,) = engine.cues
    assert cue.kind == "orient"
    assert cue.evidence.quote == "I’m   TERRIFIED"
    assert 10.0 <= cue.evidence.start < cue.evidence.end <= 14.0


def test_recognizer_style_contractions() -> None:
    assert "reflect_back" in kinds("you do n't listen to me at all")
