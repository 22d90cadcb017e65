"""Call context: unit sentences per field, then whole scripted calls of our own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest

from cues.context import ContextTracker, Gated, caller_state, infer_context
from cues.scripts import Script, load_scripts
from cues.types import CallContext
from transcription.types import Utterance

CALLS = Path(__file__).parent / "data" / "context_calls"


def call(*turns: tuple[str, str], raised: Mapping[int, Iterable[str]] | None = None) -> CallContext:
    """Run ``(speaker, text)`` turns through a tracker; ``raised`` = kinds per turn."""
    seq = {"caller": 0, "agent": 0}
    utts = []
    for i, (speaker, text) in enumerate(turns):
        utts.append(Utterance("c1", speaker, seq[speaker], text, float(i), i + 0.9, True))  # type: ignore[arg-type]
        seq[speaker] += 1
    return infer_context(utts, raised)


GREETING = ("agent", "Thanks for calling Elm Street Clinic, this is Pat.")


# ------------------------------------------------------------------------ arrival


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("I'm absolutely furious, this is the third bill for the same visit.", "angry"),
        ("This is ridiculous. You people never get anything right.", "angry"),
        ("I'm really scared, the doctor said they found a mass.", "anxious"),
        ("I'm so worried about these results, what does that mean?", "anxious"),
        ("Oh God, oh God, my baby won't wake up, I'm freaking out.", "distressed"),
        ("My husband passed away on Tuesday and I need to cancel his appointments.", "grieving"),
        (
            "There's so many appointments, honestly it's too much, I can't keep track.",
            "overwhelmed",
        ),
        ("Hi, I'd like to book a physical for next month.", "calm"),
        # negation and idiom: the words are there but the state is not
        ("I'm not worried or anything, just curious what the number means.", "calm"),
        ("I'm not angry with you, I just need to move my appointment.", "calm"),
    ],
)
def test_arrival_from_the_first_caller_turn(text: str, state: str) -> None:
    assert call(GREETING, ("caller", text)).arrival == state


def test_arrival_is_frozen_after_the_first_turns() -> None:
    ctx = call(
        GREETING,
        ("caller", "Hi, I need to reschedule my cleaning."),
        ("agent", "Sure, name and date of birth?"),
        ("caller", "Ann Lee, May 2nd 1980."),
        ("agent", "Thanks. I can do the 14th."),
        ("caller", "This is ridiculous, I'm furious, that's a month away!"),
    )
    assert ctx.arrival == "calm"


def test_a_turn_split_into_utterances_is_still_one_turn() -> None:
    """Speech-to-text may cut a caller's first turn in three: it is still the arrival."""
    ctx = call(
        GREETING,
        ("caller", "Hi, yeah."),
        ("caller", "I got a bill for the same visit, again."),
        ("caller", "I'm furious, this is ridiculous."),
        ("agent", "I'm sorry. Account number?"),
        ("caller", "4471."),
        ("agent", "Thanks."),
        ("caller", "I'm really scared about the collections letter."),  # third turn: too late
    )
    assert ctx.arrival == "angry"


def test_arrival_uses_cues_raised_in_the_first_turns() -> None:
    turns = (GREETING, ("caller", "Yeah. So my claim got rejected. Again."))
    assert call(*turns).arrival == "calm"
    assert call(*turns, raised={1: ["validate_first"]}).arrival == "angry"


def test_caller_state_per_utterance() -> None:
    assert caller_state("I'm terrified of what they'll find") == "anxious"
    assert caller_state("No chest pain, nothing like that, I feel fine") is None


# ----------------------------------------------------------------- repeat contact


@pytest.mark.parametrize(
    "text",
    [
        "This is my third call about the same referral.",
        "I called you last week and the woman said she'd call me back, and nothing.",
        "Billing keeps sending me back to you and you keep sending me to billing.",
        "The last person I talked to promised it would be fixed by Monday.",
        "Pharmacy told me to call you guys, so here I am.",
    ],
)
def test_repeat_contact_positive(text: str) -> None:
    assert call(GREETING, ("caller", text)).repeat_contact is True


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I'm calling to book my first appointment with Dr. Rao.",
        "My doctor ordered an MRI three weeks ago and the portal still says pending.",
        "My Humira got denied again, every January it's the same thing.",
    ],
)
def test_repeat_contact_negative(text: str) -> None:
    assert call(GREETING, ("caller", text)).repeat_contact is False


def test_own_it_means_repeat_contact() -> None:
    ctx = call(GREETING, ("caller", "Nobody can tell me anything."), raised={1: ["own_it"]})
    assert ctx.repeat_contact is True


# ------------------------------------------------------------------------- stakes


@pytest.mark.parametrize(
    ("text", "stake"),
    [
        ("I need a refill on my lisinopril, I'm out on Friday.", "medication"),
        ("Could I just take the inhaler once a day instead to make it last?", "medication"),
        ("They sent me a bill for $1,200 for an ER visit.", "money"),
        ("The copay is like ninety bucks and I can't afford it.", "money"),
        ("My lawyer needs these records before the disability hearing.", "legal_rights"),
        ("I've got one pen left and my next shot's due on Thursday.", "urgent_timing"),
        ("Dr. Shah referred me to cardiology and nobody has called.", "care_access"),
        ("My chemo is on hold because of the paperwork.", "care_access"),
    ],
)
def test_stakes_positive(text: str, stake: str) -> None:
    assert stake in call(GREETING, ("caller", text)).stakes


@pytest.mark.parametrize(
    ("turns", "stake"),
    [
        # the agent's instructions name medicines; the stake is the caller's
        ([("agent", "You can eat and take your regular meds before the scan.")], "medication"),
        ([("caller", "I took one of my nitro pills and it didn't touch it.")], "medication"),
        ([("agent", "And there's no charge for this.")], "money"),
        ([("caller", "I just moved and want my bills to go to the new address.")], "money"),
        ([("caller", "I'm on my husband's HIPAA form, I'm his daughter.")], "legal_rights"),
        ([("agent", "If your throat gets tight before then, call 911.")], "urgent_timing"),
        ([("caller", "Can I move my dental cleaning to the 21st?")], "care_access"),
    ],
)
def test_stakes_negative(turns: Sequence[tuple[str, str]], stake: str) -> None:
    assert stake not in call(GREETING, ("caller", "Hi."), *turns).stakes


def test_authorization_for_a_drug_is_medication_not_care_access() -> None:
    ctx = call(
        ("agent", "Prior authorization desk, this is Kim."),
        ("caller", "My Humira got denied, I need my medication."),
    )
    assert "medication" in ctx.stakes
    assert "care_access" not in ctx.stakes


def test_agent_sending_to_911_is_urgent_and_heavy() -> None:
    ctx = call(
        GREETING,
        ("caller", "Can I get my husband in today? His face looks droopy."),
        ("agent", "Those can be signs of a stroke. I need you to hang up and call 911 now."),
    )
    assert ctx.stakes == ("urgent_timing",)  # not care access: an emergency explains it
    assert ctx.heavy is True


# -------------------------------------------------------------------- departments


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([("agent", "Heartland Cardiology, this is Maria.")], ("cardiology",)),
        # a department after the practice's name: the department, not the specialty
        ([("agent", "Midtown Gastroenterology scheduling, this is Paul.")], ("scheduling",)),
        ([("agent", "Valley Clinic, prior auth, this is Chad.")], ("prior auth",)),
        # one department however it is said: the first way wins
        (
            [
                ("agent", "Lakeshore GI, prior authorization desk."),
                ("agent", "Call me back here at the prior auth desk."),
            ],
            ("prior authorization",),
        ),
        (
            [("caller", "The claims team said insurance denied it and billing sent it on.")],
            ("claims", "insurance", "billing"),
        ),
        ([("caller", "It went to the collection agency, Midland.")], ("collections",)),
        ([("caller", "The specialty pharmacy never shipped it.")], ("specialty pharmacy",)),
        ([("caller", "My pulmonologist ordered it.")], ("pulmonary",)),
    ],
)
def test_departments_as_said(turns: Sequence[tuple[str, str]], expected: tuple[str, ...]) -> None:
    assert call(*turns).departments == expected


@pytest.mark.parametrize(
    "text",
    [
        "Is your insurance still the same?",
        "Bring your new insurance card to check-in.",
        "Your lab results are in the portal.",
        "Take her to the ER if she gets worse.",
        "Her pediatrician referred her.",
    ],
)
def test_routine_mentions_are_not_departments(text: str) -> None:
    assert (
        call(("agent", "Hello, this is Pat."), ("caller", "Hi."), ("agent", text)).departments == ()
    )


# --------------------------------------------------------------------- resolvable


def test_resolvable_unknown_until_the_agent_answers() -> None:
    tracker = ContextTracker()
    utt = Utterance("c", "caller", 0, "Hi, I need help.", 0.0, 1.0, True)
    tracker.update(utt, 0, frozenset())
    assert tracker.context.resolvable is None


@pytest.mark.parametrize(
    "text",
    [
        "They're a separate company, so there's no way for us to change their bill.",
        "It's pending with your insurance, they have up to 15 days.",
        "Your plan switched to a different preferred drug, so they won't pay for it.",
        "Unfortunately we're not accepting new patients right now.",
    ],
)
def test_unresolvable_when_someone_else_owns_the_block(text: str) -> None:
    assert call(GREETING, ("caller", "Hi, about my bill."), ("agent", text)).resolvable is False


@pytest.mark.parametrize(
    "text",
    [
        "I'm correcting that now, the balance is zero as of today.",
        "I'll put in a ticket for the claims team and call you by Friday.",
        "Dr. Haddad is the one who'll go over it, and she already left a note: all normal.",
    ],
)
def test_resolvable_when_the_agent_can_act(text: str) -> None:
    assert call(GREETING, ("caller", "Hi, about my bill."), ("agent", text)).resolvable is True


def test_someone_else_owns_it_plus_a_handoff_is_unresolvable() -> None:
    ctx = call(
        GREETING,
        ("caller", "Nobody has called me about my CT."),
        ("agent", "Dr. Nguyen is the one who goes over it with you."),
        ("agent", "I'll send a message to her office and they'll call you."),
    )
    assert ctx.resolvable is False


# -------------------------------------------------------------------------- heavy


@pytest.mark.parametrize(
    ("turns", "raised", "heavy"),
    [
        ([("caller", "Sorry, I'm crying, I'm just so tired of fighting.")], None, True),
        ([("caller", "My wife died last week.")], None, True),
        ([("caller", "You're useless.")], {1: ["abuse"]}, True),
        ([("caller", "I'm having chest pain.")], {1: ["urgent_risk"]}, True),
        ([("agent", "I'm not going to be talked to like that.")], None, True),
        ([("caller", "I'm a little nervous about the biopsy.")], None, False),
        ([("caller", "This is ridiculous, fix my bill.")], None, False),
        ([("agent", "I'm sorry to tell you the scan showed cancer.")], None, True),
        # a coverage no said with a bad-news formula is a no, not bad news
        ([("agent", "I'm sorry to say your plan doesn't cover hearing aids.")], None, False),
        # figures of speech with a heavy word in them
        ([("caller", "He's dying of embarrassment, he made me call.")], None, False),
        ([("caller", "Dr. Google says I have three weeks to live, ha.")], None, False),
        ([("caller", "The doctor said he has weeks to live.")], None, True),
    ],
)
def test_heavy(
    turns: Sequence[tuple[str, str]], raised: dict[int, list[str]] | None, heavy: bool
) -> None:
    assert call(GREETING, *turns, raised=raised).heavy is heavy


# ---------------------------------------------------------------- tracker contract


def test_update_returns_context_only_when_it_changed_and_ignores_partials() -> None:
    tracker = ContextTracker()
    greet = Utterance("c", "agent", 0, "Radiology, this is Carla.", 0.0, 1.0, True)
    first = tracker.update(greet, 0, frozenset())
    assert first is not None and first.departments == ("radiology",)
    again = Utterance("c", "agent", 1, "One moment please.", 1.0, 2.0, True)
    assert tracker.update(again, 1, frozenset()) is None
    partial = Utterance("c", "caller", 0, "I'm furious", 2.0, 3.0, False)
    assert tracker.update(partial, 2, frozenset()) is None
    assert tracker.context.arrival is None


def test_evidence_names_the_words() -> None:
    tracker = ContextTracker()
    utt = Utterance("c", "caller", 0, "This is my third call and I'm furious.", 0.0, 2.0, True)
    tracker.update(utt, 0, frozenset())
    ev = tracker.evidence
    assert ev["repeat_contact"][0].quote == "this is my third call"
    assert ev["repeat_contact"][0].utterance_id == "c:caller:0"
    assert any(e.quote == "furious" for e in ev["arrival"])


def test_bad_input_does_not_crash() -> None:
    tracker = ContextTracker()
    for i, text in enumerate(["", "   ", "x" * 200_000, "¿Dónde está la farmacia? 薬局", "\x00"]):
        tracker.update(Utterance("c", "caller", i, text, 0.0, 1.0, True), i, frozenset())
    assert tracker.context.arrival == "calm"


def test_gate_gives_the_same_matches_as_the_pattern() -> None:
    gated = Gated(r"\b(?:worried|scared)\b|\bwhat does (?:that|this) mean\b|\$\s?\d")
    assert gated.gate is not None
    for text in ["i'm worried", "what does this mean", "it was $40", "all good", "scar"]:
        assert bool(gated.search(text)) == bool(gated.pattern.search(text))
    assert Gated(r"\w+").gate is None  # nothing literal to gate on: always run


# ------------------------------------------------------- scripted calls of our own


def _scripts() -> list[Script]:
    return load_scripts(CALLS)


def _run(script: Script, with_cues: bool) -> CallContext:
    seq = {"caller": 0, "agent": 0}
    tracker = ContextTracker()
    raised: set[str] = set()
    for i, turn in enumerate(script.turns):
        utt = Utterance(script.id, turn.speaker, seq[turn.speaker], turn.text, i, i + 0.9, True)
        seq[turn.speaker] += 1
        if with_cues:
            raised.update(turn.cues)
        tracker.update(utt, i, frozenset(raised))
    return tracker.context


def _measure(with_cues: bool) -> tuple[dict[str, float], dict[str, float]]:
    """Accuracy of the scalar fields and micro F1 of the set fields over our scripts."""
    right: dict[str, int] = {}
    tp: dict[str, int] = {}
    wrong: dict[str, int] = {}
    scripts = _scripts()
    for script in scripts:
        got, exp = _run(script, with_cues), script.call
        for f in ("arrival", "repeat_contact", "resolvable", "heavy"):
            right[f] = right.get(f, 0) + (getattr(got, f) == getattr(exp, f))
        for f in ("stakes", "departments"):
            g, e = set(getattr(got, f)), set(getattr(exp, f) or ())
            tp[f] = tp.get(f, 0) + 2 * len(g & e)
            wrong[f] = wrong.get(f, 0) + len(g ^ e)
    acc = {f: n / len(scripts) for f, n in right.items()}
    f1 = {f: tp[f] / (tp[f] + wrong[f]) for f in tp}
    return acc, f1


def test_own_scripts_with_cues() -> None:
    """With the cue kinds a good engine raises, our calls' context is mostly as written."""
    acc, f1 = _measure(with_cues=True)
    assert min(acc.values()) >= 0.85, acc
    assert min(f1.values()) >= 0.85, f1


def test_own_scripts_from_words_alone() -> None:
    """Without any cue kinds, the fields still mostly come out right (measured floor)."""
    acc, f1 = _measure(with_cues=False)
    assert sum(acc.values()) / len(acc) >= 0.9, acc
    assert min(f1.values()) >= 0.8, f1


@pytest.mark.parametrize(
    "name",
    ["dialysis-van-no-show", "mother-died-records-estate", "privacy-complaint-wrong-mail"],
)
def test_whole_context_of_some_calls(name: str) -> None:
    script = next(s for s in _scripts() if s.id == name)
    got, exp = _run(script, with_cues=True), script.call
    assert got.arrival == exp.arrival
    assert got.repeat_contact == exp.repeat_contact
    assert got.resolvable == exp.resolvable
    assert got.heavy == exp.heavy
    assert set(got.departments) >= set(exp.departments or ())


# ------------------------------------------------------- behaviours found held out


def test_one_distressed_moment_is_not_heavy_but_sustained_distress_is() -> None:
    once = call(GREETING, ("caller", "I'm out of my meds and I'm losing it."), ("agent", "Okay."))
    assert once.arrival == "distressed"
    assert once.heavy is False
    twice = call(
        GREETING,
        ("caller", "I'm freaking out, I don't know what to do."),
        ("agent", "I'm here."),
        ("caller", "I'm panicking, please help me."),
    )
    assert twice.heavy is True


def test_bad_news_the_caller_just_got_is_heavy_a_fear_is_not() -> None:
    news = call(GREETING, ("caller", "My doctor told me the biopsy showed lymphoma."))
    fear = call(GREETING, ("caller", "I've been googling and now I'm convinced I have leukemia."))
    assert news.heavy is True
    assert fear.heavy is False


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # an insurer by name, acting in the issue, is the insurance
        ([("agent", "I'm resubmitting the claim to Cigna today.")], ("insurance",)),
        ([("agent", "You're on the Humana HMO, so it needed an authorization.")], ()),
        # a public payer is named as said when it acts
        ([("caller", "Medicaid says they never got anything.")], ("medicaid",)),
        ([("agent", "It's cheaper for people on Medicare Part D.")], ("medicare part d",)),
        # offered, negated or a place: not a department involved
        ([("agent", "If you need anything tonight, our nurse line is open.")], ()),
        ([("agent", "I'm putting a hold so nothing goes to collections.")], ()),
        ([("agent", "She'll meet you at the front desk.")], ()),
        ([("agent", "Call their front desk if so.")], ()),
    ],
)
def test_departments_involved_or_not(
    turns: Sequence[tuple[str, str]], expected: tuple[str, ...]
) -> None:
    assert call(GREETING, ("caller", "Hi."), *turns).departments == expected


def test_practice_names_count_in_the_greeting_only() -> None:
    greeting = call(("agent", "Summit Physical Therapy, this is Ellie."), ("caller", "Hi."))
    assert greeting.departments == ("physical therapy",)
    later = call(GREETING, ("caller", "My records should have the physical therapy, all of it."))
    assert "physical therapy" not in later.departments
