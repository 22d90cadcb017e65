"""Inherited difficulty: factors, their labels, ordering of calls, and the adjusted score."""

from __future__ import annotations

from pathlib import Path

import pytest

from cues.context import infer_context
from cues.difficulty import (
    DEFAULT_EXPECTATION,
    WEIGHTS,
    Expectation,
    adjusted_score,
    expected_score,
    fit_expectation,
    inherited_difficulty,
    residual,
)
from cues.scripts import load_script
from cues.types import CallContext
from transcription.types import Utterance

CALLS = Path(__file__).parent / "data" / "context_calls"

ROUTINE = CallContext(arrival="calm", resolvable=True)
HARD = CallContext(
    arrival="angry",
    departments=("billing", "insurance", "claims"),
    repeat_contact=True,
    stakes=("money", "legal_rights"),
    resolvable=False,
    heavy=True,
)


def test_weights_sum_to_one_and_scores_stay_in_range() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    worst = CallContext(
        arrival="grieving",
        departments=("a", "b", "c", "d", "e"),
        repeat_contact=True,
        stakes=("care_access", "medication", "money", "legal_rights", "urgent_timing"),
        resolvable=False,
        heavy=True,
    )
    assert inherited_difficulty(worst).score <= 1.0
    assert inherited_difficulty(CallContext()).score == 0.0


def test_routine_call_is_easy_and_has_no_active_factors() -> None:
    d = inherited_difficulty(ROUTINE)
    assert d.score == 0.0
    assert d.active == ()
    assert d.band == "routine"
    assert len(d.factors) == len(WEIGHTS)  # every factor shown, zero ones included


def test_hard_call_factors_and_labels() -> None:
    d = inherited_difficulty(HARD)
    labels = {f.name: f.label for f in d.factors}
    assert labels["arrival"] == "arrived angry"
    assert labels["departments"].startswith("3 departments involved")
    assert labels["repeat_contact"] == "repeat contact"
    assert labels["stakes"] == "stakes: money, legal rights"
    assert labels["unresolvable"] == "agent could not resolve"
    assert labels["heavy"] == "heavy call"
    assert d.score == pytest.approx(sum(f.value * f.weight for f in d.factors), abs=1e-4)
    assert d.band in ("hard", "very hard")
    # largest share first
    contributions = [f.contribution for f in d.active]
    assert contributions == sorted(contributions, reverse=True)


@pytest.mark.parametrize(
    ("easier", "harder"),
    [
        (CallContext(arrival="calm"), CallContext(arrival="anxious")),
        (CallContext(arrival="anxious"), CallContext(arrival="distressed")),
        (CallContext(departments=("billing",)), CallContext(departments=("billing", "insurance"))),
        (CallContext(), CallContext(repeat_contact=True)),
        (CallContext(stakes=("money",)), CallContext(stakes=("money", "urgent_timing"))),
        (CallContext(resolvable=True), CallContext(resolvable=False)),
        (CallContext(), CallContext(heavy=True)),
    ],
)
def test_each_factor_makes_a_call_harder(easier: CallContext, harder: CallContext) -> None:
    assert inherited_difficulty(harder).score > inherited_difficulty(easier).score


def test_unknown_resolvable_is_not_counted_against() -> None:
    d = inherited_difficulty(CallContext(resolvable=None))
    f = next(f for f in d.factors if f.name == "unresolvable")
    assert f.value == 0.0 and f.label == "resolvability unknown"


# ------------------------------------------------------------ adjusted scores


def test_hard_call_done_as_well_adjusts_above_the_easy_one() -> None:
    easy, hard = inherited_difficulty(ROUTINE), inherited_difficulty(HARD)
    assert adjusted_score(0.7, hard) > adjusted_score(0.7, easy)
    assert residual(0.7, hard) > residual(0.7, easy)
    assert expected_score(hard) < expected_score(easy) == DEFAULT_EXPECTATION.intercept
    assert adjusted_score(0.7, easy) == pytest.approx(0.7)
    assert 0.0 <= adjusted_score(1.0, hard) <= 1.0


def test_agent_taking_hard_calls_is_not_penalised() -> None:
    """Two agents, same skill (on the expected line): adjusted averages are equal."""
    model = DEFAULT_EXPECTATION
    easy_calls = [0.0, 0.1, 0.05, 0.1]
    hard_calls = [0.6, 0.7, 0.5, 0.8]
    a = [adjusted_score(model.at(d), d) for d in easy_calls]
    b = [adjusted_score(model.at(d), d) for d in hard_calls]
    assert sum(a) / len(a) == pytest.approx(sum(b) / len(b))
    raw_a = sum(model.at(d) for d in easy_calls) / 4
    raw_b = sum(model.at(d) for d in hard_calls) / 4
    assert raw_b < raw_a  # raw scores would have penalised the second agent


def test_fit_expectation_recovers_a_line_and_resists_few_points() -> None:
    pts = [(d / 20, 0.9 - 0.5 * (d / 20)) for d in range(21)] * 10
    fitted = fit_expectation(pts)
    assert fitted.slope == pytest.approx(0.5, abs=0.03)
    assert fitted.intercept == pytest.approx(0.9, abs=0.02)
    assert fitted.n == len(pts)
    few = fit_expectation([(0.9, 1.0)])  # one lucky hard call does not flip the slope
    assert few.slope >= 0.0
    assert abs(few.slope - DEFAULT_EXPECTATION.slope) < 0.2
    flat = fit_expectation([(d / 10, 0.5 + d / 20) for d in range(11)] * 20)
    assert flat.slope == 0.0  # harder calls never expected to score higher
    assert isinstance(flat, Expectation)


# ------------------------------------------------------ our scripted calls


def _difficulty(name: str) -> float:
    script = load_script(CALLS / f"{name}.yaml")
    seq = {"caller": 0, "agent": 0}
    u = []
    for i, t in enumerate(script.turns):
        u.append(Utterance(script.id, t.speaker, seq[t.speaker], t.text, i, i + 0.9, True))
        seq[t.speaker] += 1
    raised = {i: t.cues for i, t in enumerate(script.turns)}
    return inherited_difficulty(infer_context(u, raised)).score


def test_scripted_calls_order_by_difficulty() -> None:
    routine = _difficulty("allergy-shots-routine")
    moderate = _difficulty("insulin-rationing-cost")
    hard = _difficulty("sleep-study-insurance-second-call")
    assert routine < moderate < hard
    assert routine <= 0.1
    assert hard >= 0.4
