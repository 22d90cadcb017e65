"""The typed events of the cue stage (see ``../shared/CUES.md``, the contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CueKind = Literal[
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
]
CUE_KINDS: tuple[CueKind, ...] = CueKind.__args__  # type: ignore[attr-defined]

#: Kinds raised by what the caller says; the rest (but ``take_a_reset``) by the agent.
CALLER_KINDS: frozenset[str] = frozenset(
    {
        "orient",
        "own_it",
        "reflect_back",
        "validate_first",
        "offer_choice",
        "subtext_fear",
        "subtext_cost",
        "subtext_exhausted",
        "urgent_risk",
        "abuse",
    }
)
AGENT_KINDS: frozenset[str] = frozenset({"close_the_loop", "real_timeline", "explain_the_no"})
#: Kinds that also alert the supervisor at once.
ALERT_KINDS: frozenset[str] = frozenset({"urgent_risk", "abuse"})

Severity = Literal["info", "warn", "urgent"]
Arrival = Literal["calm", "anxious", "distressed", "angry", "grieving", "overwhelmed"]
Stake = Literal["care_access", "medication", "money", "legal_rights", "urgent_timing"]
Criterion = Literal["acknowledgement", "calibration", "re_entry", "ownership"]
CRITERIA: tuple[Criterion, ...] = ("acknowledgement", "calibration", "re_entry", "ownership")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The words on the call that raised (or refreshed) a cue."""

    utterance_id: str
    speaker: str
    quote: str  # the span of the utterance that matched, verbatim
    start: float  # call clock, seconds
    end: float


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue card. ``id`` is stable for the call and kind, so a card is updated in place.

    ``raised_at`` is on the call's clock (end of the evidence); ``refreshed`` counts
    how many later utterances kept it fresh instead of raising it again.
    """

    id: str
    call_id: str
    kind: CueKind
    title: str
    line: str
    severity: Severity
    evidence: Evidence
    raised_at: float
    turn: int  # 0-based index of the utterance (in the call's final utterances) that raised it
    refreshed: int = 0
    alert: bool = False  # also shown to the supervisor at once (urgent_risk, abuse)


@dataclass(frozen=True, slots=True)
class CallContext:
    """Call-level conditions (the difficulty the agent inherited), updated as the call goes."""

    arrival: Arrival | None = None
    departments: tuple[str, ...] = ()
    repeat_contact: bool = False
    stakes: tuple[Stake, ...] = ()
    resolvable: bool | None = None
    heavy: bool = False


@dataclass(frozen=True, slots=True)
class CriterionScore:
    """One rubric criterion: a score in [0, 1] and the agent's words behind it."""

    criterion: Criterion
    score: float
    evidence: tuple[str, ...] = field(default=())
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rubric:
    scores: tuple[CriterionScore, ...]

    def get(self, criterion: Criterion) -> CriterionScore | None:
        return next((s for s in self.scores if s.criterion == criterion), None)

    @property
    def overall(self) -> float:
        return sum(s.score for s in self.scores) / len(self.scores) if self.scores else 0.0


@dataclass(frozen=True, slots=True)
class CueRaised:
    """A kind raised for the first time in this call."""

    cue: Cue


@dataclass(frozen=True, slots=True)
class CueRefreshed:
    """A kind already on screen, kept fresh by new evidence (same ``cue.id``)."""

    cue: Cue


@dataclass(frozen=True, slots=True)
class ContextChanged:
    context: CallContext


EngineEvent = CueRaised | CueRefreshed | ContextChanged
