"""orient and validate_first on general feeling words (the fear_lexicon / anger_lexicon triggers).

Sentences written for this file (not taken from GoEmotions or the call scripts): first-person
fear and frustration in several wordings, and the look-alikes that must stay quiet on a
healthcare call: polite "I'm afraid", a nagging symptom called annoying, a "stupid question",
the worst pain, name-calling aimed at the agent (abuse, not validate_first).
"""

from __future__ import annotations

import pytest

from tests.cue_support import kinds

ORIENT = [
    "I keep having nightmares about the surgery next week.",
    "Is it dangerous to stop the blood thinner before the procedure?",
    "The idea of the anesthesia really scares me.",
    "I always worry about the results until someone calls.",
    "What if it's something serious and they missed it?",
    "I'm worried it's spread, nobody will tell me.",
    "I'm afraid he might not wake up after the operation.",
    "Honestly I'm dreading the biopsy.",
    "I've been going out of my mind waiting for the call.",
    "He's been making threats since the diagnosis and I don't feel safe at home.",
]

VALIDATE = [
    "I hate how nobody at that office ever calls back.",
    "Damn it, the pharmacy lost the prescription again.",
    "This insurance company is full of idiots.",
    "The lady at the front desk was so rude to my mother.",
    "It's so annoying that the portal logs me out every time.",
    "That billing department really pisses me off.",
    "Honestly this whole system is a shitshow.",
    "How hard is it to send one fax to the right number?",
    "Three weeks on hold, that's the worst service ever.",
    "Which is insulting after twelve years as a patient there.",
    "They ruined my credit over a bill I already paid.",
]

QUIET = [
    # polite "afraid", not fear
    ("orient", "I'm afraid I'll have to cancel Thursday, I have a work trip."),
    ("orient", "I'm afraid we won't be able to make it in the morning."),
    # negated or past fear
    ("orient", "I'm not dreading it at all, I just want the time."),
    ("orient", "It seemed dangerous at first, but the doctor explained it well."),
    # horror as a genre, an ordinary risk question
    ("orient", "I was up late watching a horror movie, sorry, I'm a bit slow."),
    # a nagging symptom is not anger to validate
    ("validate_first", "The cough is super annoying, it keeps me up."),
    ("validate_first", "My throat is irritated from the dry air."),
    ("validate_first", "It's the worst pain I've had in years."),
    ("validate_first", "The new medicine makes me sick to my stomach."),
    # self-deprecation and polite phrases
    ("validate_first", "This might be a stupid question, but do I fast for it?"),
    ("validate_first", "I feel so stupid, I left my card at home."),
    ("validate_first", "Sorry, I don't mean to be rude, can I ask one more thing?"),
    ("validate_first", "I hate to bother you, but is parking validated?"),
    ("validate_first", "I've had it for about two weeks now."),
    ("validate_first", "That's where I grow up, in Maine."),
    ("validate_first", "The aches have been annoying but manageable."),
]


@pytest.mark.parametrize("text", ORIENT)
def test_fear_words_raise_orient(text: str) -> None:
    assert "orient" in kinds(text)


@pytest.mark.parametrize("text", VALIDATE)
def test_frustration_words_raise_validate_first(text: str) -> None:
    assert "validate_first" in kinds(text)


@pytest.mark.parametrize(("kind", "text"), QUIET)
def test_look_alikes_stay_quiet(kind: str, text: str) -> None:
    assert kind not in kinds(text)


def test_agent_words_never_raise_caller_kinds() -> None:
    assert kinds("Those idiots in billing lost it again, I'm so sorry.", "agent") & {
        "validate_first",
        "orient",
    } == set()


def test_name_calling_the_agent_is_abuse_not_validate_first() -> None:
    found = kinds("You stupid idiot, do your job.")
    assert "abuse" in found
    assert "validate_first" not in found


def test_negated_frustration_stays_quiet() -> None:
    assert "validate_first" not in kinds("I'm not annoyed, I just want to understand the bill.")
