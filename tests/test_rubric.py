"""Rubric: each criterion on short calls that do it well and badly, then our own scripts."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from cues.context import infer_context
from cues.rubric import score_rubric
from cues.scripts import load_script
from cues.types import CRITERIA, CallContext, Rubric
from transcription.types import Utterance

CALLS = Path(__file__).parent / "data" / "context_calls"


def utts(*turns: tuple[str, str]) -> list[Utterance]:
    seq = {"caller": 0, "agent": 0}
    out = []
    for i, (speaker, text) in enumerate(turns):
        out.append(Utterance("r1", speaker, seq[speaker], text, float(i), i + 0.9, True))  # type: ignore[arg-type]
        seq[speaker] += 1
    return out


def rubric(*turns: tuple[str, str], raised: Iterable[str] = ()) -> Rubric:
    u = utts(*turns)
    return score_rubric(u, infer_context(u), raised)


def score(r: Rubric, criterion: str) -> float:
    s = r.get(criterion)  # type: ignore[arg-type]
    assert s is not None
    return s.score


ANGRY = (
    "caller",
    "This is the third time I've called about this bill. I'm furious, it's ridiculous.",
)


def test_every_criterion_is_scored_in_range_with_a_reason() -> None:
    r = rubric(("agent", "Billing, this is Sam."), ANGRY, ("agent", "Name and date of birth?"))
    assert tuple(s.criterion for s in r.scores) == CRITERIA
    for s in r.scores:
        assert 0.0 <= s.score <= 1.0
        assert s.reason
    assert 0.0 <= r.overall <= 1.0


# --------------------------------------------------------------- acknowledgement


def test_acknowledgement_specific_beats_generic_beats_none() -> None:
    specific = rubric(
        ANGRY,
        ("agent", "I'm sorry. Three calls about one bill is three too many, and that's on us."),
    )
    generic = rubric(ANGRY, ("agent", "I understand. Can I have the account number?"))
    none = rubric(ANGRY, ("agent", "Can I have the account number?"))
    assert score(specific, "acknowledgement") == 1.0
    assert score(generic, "acknowledgement") == 0.5
    assert score(none, "acknowledgement") == 0.0
    ev = specific.get("acknowledgement")
    assert ev is not None and any("three too many" in e for e in ev.evidence)


def test_routine_call_has_nothing_to_acknowledge() -> None:
    r = rubric(
        ("caller", "Hi, I'd like to update my address."),
        ("agent", "Sure, what's the new one?"),
        ("caller", "12 Elm Street."),
        ("agent", "Done, you're all set."),
    )
    assert score(r, "acknowledgement") == 1.0
    s = r.get("acknowledgement")
    assert s is not None and "routine" in s.reason


def test_emergency_steadying_counts_as_acknowledgement() -> None:
    r = rubric(
        ("caller", "He's not breathing right, I'm freaking out."),
        ("agent", "I'm right here with you. Call 911 now, you're doing the right thing."),
        raised=["urgent_risk"],
    )
    assert score(r, "acknowledgement") == 1.0


# ------------------------------------------------------------------ calibration


def test_calibration_dismissal_scores_below_a_matched_reply() -> None:
    worried = ("caller", "I'm really scared, the biopsy is Monday and I don't know what happens.")
    matched = rubric(
        worried,
        ("agent", "That makes sense. Here's exactly what happens: it takes about 20 minutes."),
    )
    procedural = rubric(worried, ("agent", "Can I get your name and date of birth?"))
    dismissive = rubric(worried, ("agent", "Oh, that happens all the time, don't worry about it."))
    assert score(matched, "calibration") == 1.0
    assert score(dismissive, "calibration") < score(procedural, "calibration") < 1.0


def test_calibration_unheard_caller_needs_it_said_back() -> None:
    unheard = (
        "caller",
        "No, you're not listening. I already told you the dose is wrong, not the color.",
    )
    said_back = rubric(
        unheard, ("agent", "Let me make sure I have it right: the dose is wrong. Is that right?")
    )
    carried_on = rubric(unheard, ("agent", "Yeah, so the generic can look different."))
    assert score(said_back, "calibration") > score(carried_on, "calibration")


def test_calibration_calm_call_is_even() -> None:
    r = rubric(("caller", "Hi, can I move my cleaning?"), ("agent", "Sure, Tuesday at 9?"))
    assert score(r, "calibration") == 1.0


# --------------------------------------------------------------------- re_entry


def test_re_entry_cooperating_caller_vs_hostile_ending() -> None:
    good = rubric(
        ANGRY,
        ("agent", "Let me say it back: three calls, one bill, nobody fixed it. Is that right?"),
        ("caller", "Yes. Exactly."),
        ("agent", "I'll fix it now and call you directly by 4 today, extension 210."),
        ("caller", "Okay. Thank you, that helps."),
    )
    bad = rubric(
        ANGRY,
        ("agent", "It goes into a queue."),
        ("caller", "You're not even trying. Get me your supervisor."),
        ("agent", "Please hold."),
        ("caller", "Whatever. This is ridiculous."),
    )
    assert score(good, "re_entry") >= 0.9
    assert score(bad, "re_entry") <= 0.2
    s = good.get("re_entry")
    assert s is not None and "said it back" in s.reason


# -------------------------------------------------------------------- ownership


def test_ownership_full_handoff_vs_vague_one() -> None:
    full = rubric(
        ("caller", "Where's my referral to dermatology?"),
        (
            "agent",
            "I'm sending it to Mike Durant, the referral coordinator. Mike will call you "
            "Thursday between 9 and noon. Your part is to upload your new card by Wednesday. "
            "If you haven't heard from him by noon Thursday, call me directly.",
        ),
    )
    vague = rubric(
        ("caller", "Where's my referral to dermatology?"),
        ("agent", "I'll put in a ticket and someone will reach out to you soon."),
    )
    assert score(full, "ownership") == 1.0
    assert score(vague, "ownership") <= 0.5
    s = vague.get("ownership")
    assert s is not None and "timeline" in s.reason


def test_vague_time_fixed_later_still_counts() -> None:
    r = rubric(
        ("caller", "When will the nurse call?"),
        ("agent", "I'll send her a message, they should reach out shortly."),
        ("caller", "Shortly like today?"),
        ("agent", "Let me be concrete: Beth calls back by 4:30 today. If not, call me back."),
    )
    s = r.get("ownership")
    assert s is not None and s.score == 1.0 and "missing" not in s.reason


def test_settled_on_the_line_needs_no_handoff() -> None:
    r = rubric(
        ("caller", "My portal is locked."),
        ("agent", "I just unlocked it and sent the reset link. You're all set."),
    )
    assert score(r, "ownership") == 1.0


def test_blocked_elsewhere_without_next_step_scores_zero() -> None:
    ctx = CallContext(resolvable=False)
    u = utts(("caller", "Why was it denied?"), ("agent", "Your plan denied it. Nothing we can do."))
    r = score_rubric(u, ctx, [])
    assert score(r, "ownership") == 0.0


def test_empty_and_partial_input() -> None:
    assert len(score_rubric([], CallContext(), []).scores) == 4
    partial = Utterance("r", "agent", 0, "I'm so sorry", 0.0, 1.0, False)
    r = score_rubric([partial], CallContext(), [])
    assert score(r, "acknowledgement") == 1.0  # nothing final: nothing to judge


# ---------------------------------------------------------- our scripted calls


def _scripted(name: str) -> Rubric:
    script = load_script(CALLS / f"{name}.yaml")
    seq = {"caller": 0, "agent": 0}
    u = []
    for i, t in enumerate(script.turns):
        u.append(Utterance(script.id, t.speaker, seq[t.speaker], t.text, i, i + 0.9, True))
        seq[t.speaker] += 1
    raised = {k for t in script.turns for k in t.cues}
    return score_rubric(u, infer_context(u), raised)


@pytest.mark.parametrize(
    "name",
    [
        "sleep-study-insurance-second-call",
        "dialysis-van-no-show",
        "brain-mri-finding-nervous",
        "privacy-complaint-wrong-mail",
    ],
)
def test_our_good_agents_score_well(name: str) -> None:
    r = _scripted(name)
    assert r.overall >= 0.8, [(s.criterion, s.score, s.reason) for s in r.scores]
    own = r.get("ownership")
    assert own is not None and own.score >= 0.75 and own.evidence
