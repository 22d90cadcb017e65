"""Inherited difficulty: how hard a call was when the agent got it, shown as factors.

A tearful call about a denied cancer treatment and an address change must not be
judged on one scale. The difficulty is computed from the call context alone (what the
agent inherited, not what they did), as a weighted sum of factors, each in [0, 1]::

    difficulty = sum(weight_i * value_i)            (weights sum to 1, so it is in [0, 1])

    factor          value                                                    weight
    arrival         calm 0, anxious .5, overwhelmed .6, angry .8,             0.25
                    distressed .9, grieving .9 (unknown: 0)
    departments     (n - 1) / 3 clamped to [0, 1]: one department is the       0.10
                    norm, four or more is a maze
    repeat_contact  1 when the caller already failed to get help, else 0      0.15
    stakes          sum of per-stake weights, clamped to 1: care_access .35,  0.20
                    medication .35, money .3, legal_rights .4,
                    urgent_timing .5
    unresolvable    1 when the agent could only explain someone else's        0.15
                    blockage (resolvable false), else 0
    heavy           1 when the call was heavy (urgent risk, abuse, grief,      0.15
                    sustained distress), else 0

A rubric score is then read against what is expected at that difficulty, so the agent
who takes the hard calls is not penalised for them::

    expected(d) = intercept - slope * d             (prior: 0.85 - 0.35 d)
    residual    = overall - expected(d)             (> 0: better than usual for this load)
    adjusted    = clamp(overall + slope * d, 0, 1)  (the score moved to a zero-difficulty call)

The prior line is a starting point; :func:`fit_expectation` refits it on a library of
scored calls (least squares, shrunk towards the prior when there are few calls).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cues.types import CallContext

__all__ = [
    "ARRIVAL_VALUES",
    "DEFAULT_EXPECTATION",
    "STAKE_VALUES",
    "WEIGHTS",
    "Difficulty",
    "Expectation",
    "Factor",
    "adjusted_score",
    "expected_score",
    "fit_expectation",
    "inherited_difficulty",
    "residual",
]

WEIGHTS: Final[dict[str, float]] = {
    "arrival": 0.25,
    "departments": 0.10,
    "repeat_contact": 0.15,
    "stakes": 0.20,
    "unresolvable": 0.15,
    "heavy": 0.15,
}
ARRIVAL_VALUES: Final[dict[str, float]] = {
    "calm": 0.0,
    "anxious": 0.5,
    "overwhelmed": 0.6,
    "angry": 0.8,
    "distressed": 0.9,
    "grieving": 0.9,
}
STAKE_VALUES: Final[dict[str, float]] = {
    "care_access": 0.35,
    "medication": 0.35,
    "money": 0.3,
    "legal_rights": 0.4,
    "urgent_timing": 0.5,
}
_STAKE_LABELS: Final[dict[str, str]] = {
    "care_access": "care access",
    "medication": "medication",
    "money": "money",
    "legal_rights": "legal rights",
    "urgent_timing": "urgent timing",
}


@dataclass(frozen=True, slots=True)
class Factor:
    """One reason a call was hard: ``value`` in [0, 1] times ``weight`` is its share."""

    name: str
    value: float
    weight: float
    label: str  # for people: "arrived angry", "3 departments involved", ...

    @property
    def contribution(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True, slots=True)
class Difficulty:
    score: float  # in [0, 1]
    factors: tuple[Factor, ...]  # every factor, in WEIGHTS order (zero ones included)

    @property
    def active(self) -> tuple[Factor, ...]:
        """The factors that made the call harder, largest share first (for display)."""
        return tuple(
            sorted((f for f in self.factors if f.value > 0), key=lambda f: -f.contribution)
        )

    @property
    def band(self) -> str:
        """A coarse word for lists and filters: routine, moderate, hard, very hard."""
        if self.score < 0.15:
            return "routine"
        if self.score < 0.35:
            return "moderate"
        if self.score < 0.6:
            return "hard"
        return "very hard"


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def inherited_difficulty(context: CallContext) -> Difficulty:
    """The difficulty of a call from its context, with the factors behind it."""
    arrival = context.arrival
    arrival_value = ARRIVAL_VALUES.get(arrival, 0.0) if arrival is not None else 0.0
    arrival_label = f"arrived {arrival}" if arrival is not None else "arrival unknown"

    n = len(context.departments)
    dept_value = _clamp((n - 1) / 3)
    dept_label = (
        "no department named"
        if n == 0
        else f"1 department involved ({context.departments[0]})"
        if n == 1
        else f"{n} departments involved ({', '.join(context.departments)})"
    )

    stakes_value = _clamp(sum(STAKE_VALUES.get(s, 0.0) for s in context.stakes))
    stakes_label = (
        "stakes: " + ", ".join(_STAKE_LABELS.get(s, s) for s in context.stakes)
        if context.stakes
        else "no particular stakes"
    )
    unresolvable = context.resolvable is False
    factors = (
        Factor("arrival", arrival_value, WEIGHTS["arrival"], arrival_label),
        Factor("departments", dept_value, WEIGHTS["departments"], dept_label),
        Factor(
            "repeat_contact",
            1.0 if context.repeat_contact else 0.0,
            WEIGHTS["repeat_contact"],
            "repeat contact" if context.repeat_contact else "first contact",
        ),
        Factor("stakes", stakes_value, WEIGHTS["stakes"], stakes_label),
        Factor(
            "unresolvable",
            1.0 if unresolvable else 0.0,
            WEIGHTS["unresolvable"],
            "agent could not resolve"
            if unresolvable
            else "agent could resolve"
            if context.resolvable
            else "resolvability unknown",
        ),
        Factor(
            "heavy",
            1.0 if context.heavy else 0.0,
            WEIGHTS["heavy"],
            "heavy call" if context.heavy else "not heavy",
        ),
    )
    score = _clamp(sum(f.contribution for f in factors))
    return Difficulty(score=round(score, 4), factors=factors)


# ------------------------------------------------------------ difficulty-adjusted


@dataclass(frozen=True, slots=True)
class Expectation:
    """The rubric score expected at difficulty ``d``: ``intercept - slope * d``."""

    intercept: float = 0.85
    slope: float = 0.35
    n: int = 0  # calls it was fitted on (0 = the prior)

    def at(self, difficulty: float) -> float:
        return _clamp(self.intercept - self.slope * difficulty)


DEFAULT_EXPECTATION: Final = Expectation()


def _d(difficulty: Difficulty | float) -> float:
    return difficulty.score if isinstance(difficulty, Difficulty) else float(difficulty)


def expected_score(
    difficulty: Difficulty | float, model: Expectation = DEFAULT_EXPECTATION
) -> float:
    return model.at(_d(difficulty))


def residual(
    rubric_overall: float,
    difficulty: Difficulty | float,
    model: Expectation = DEFAULT_EXPECTATION,
) -> float:
    """How much better (> 0) or worse than expected for this difficulty the call went."""
    return rubric_overall - model.at(_d(difficulty))


def adjusted_score(
    rubric_overall: float,
    difficulty: Difficulty | float,
    model: Expectation = DEFAULT_EXPECTATION,
) -> float:
    """The score as if the call had been a zero-difficulty one, in [0, 1].

    ``overall + slope * d``: on the expected line every call scores the intercept, so
    an agent's adjusted average does not drop because they took the hard calls.
    """
    return _clamp(rubric_overall + model.slope * _d(difficulty))


def fit_expectation(
    samples: Iterable[tuple[float, float]],
    prior: Expectation = DEFAULT_EXPECTATION,
    prior_weight: float = 10.0,
) -> Expectation:
    """Refit the expected line on ``(difficulty, rubric_overall)`` pairs.

    Least squares with the prior counted as ``prior_weight`` pseudo-calls spread over
    the difficulty range, so a handful of calls cannot flip the slope. The slope is
    kept >= 0: harder calls are never expected to score higher.
    """
    pts = [(float(d), float(s)) for d, s in samples]
    # Pseudo-observations on the prior line at d = 0, .25, .5, .75, 1.
    grid = (0.0, 0.25, 0.5, 0.75, 1.0)
    w_prior = prior_weight / len(grid)
    sw = len(pts) + prior_weight
    sx = sum(d for d, _ in pts) + w_prior * sum(grid)
    sy = sum(s for _, s in pts) + w_prior * sum(prior.at(g) for g in grid)
    sxx = sum(d * d for d, _ in pts) + w_prior * sum(g * g for g in grid)
    sxy = sum(d * s for d, s in pts) + w_prior * sum(g * prior.at(g) for g in grid)
    denom = sw * sxx - sx * sx
    if denom <= 1e-12:
        return Expectation(prior.intercept, prior.slope, len(pts))
    b = (sw * sxy - sx * sy) / denom  # slope of s on d (negative when harder is lower)
    if b >= 0.0:  # harder calls scored no lower: expect the same everywhere
        return Expectation(intercept=_clamp(sy / sw), slope=0.0, n=len(pts))
    a = (sy - b * sx) / sw
    return Expectation(intercept=_clamp(a), slope=-b, n=len(pts))
