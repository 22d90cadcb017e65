"""What the store hands back: plain dataclasses built from rows (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cues.types import CallContext, CriterionScore, Cue, Evidence, Rubric
from transcription.types import Utterance, Word


@dataclass(frozen=True, slots=True)
class AgentSpan:
    agent: str
    reason: str  # start | transfer
    from_s: float
    at: datetime


@dataclass(frozen=True, slots=True)
class CallRecord:
    id: str
    agent: str
    source: str
    state: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    duration_s: float
    heavy: bool
    context: CallContext
    rubric: Rubric | None
    record_audio: bool
    legal_hold: bool
    agents: tuple[AgentSpan, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "source": self.source,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "end_reason": self.end_reason,
            "duration_s": round(self.duration_s, 3),
            "heavy": self.heavy,
            "context": context_to_json(self.context),
            "rubric": rubric_to_json(self.rubric) if self.rubric else None,
            "record_audio": self.record_audio,
            "legal_hold": self.legal_hold,
            "agents": [
                {"agent": a.agent, "reason": a.reason, "from_s": a.from_s, "at": a.at.isoformat()}
                for a in self.agents
            ],
        }


@dataclass(frozen=True, slots=True)
class StoredCue:
    """A cue as stored: the cue itself plus delivery facts and the feedback it got."""

    cue: Cue
    delivered_at: datetime
    latency_s: float | None
    feedback: dict[str, str] = field(default_factory=dict)  # username -> verdict

    def as_json(self) -> dict[str, Any]:
        return {
            **cue_to_json(self.cue),
            "delivered_at": self.delivered_at.isoformat(),
            "latency_s": self.latency_s,
            "feedback": dict(self.feedback),
        }


# -- (de)serialisation of the contract types (pure) ---------------------------------------


def context_to_json(ctx: CallContext) -> dict[str, Any]:
    return {
        "arrival": ctx.arrival,
        "departments": list(ctx.departments),
        "repeat_contact": ctx.repeat_contact,
        "stakes": list(ctx.stakes),
        "resolvable": ctx.resolvable,
        "heavy": ctx.heavy,
    }


def context_from_json(d: dict[str, Any] | None) -> CallContext:
    if not d:
        return CallContext()
    return CallContext(
        arrival=d.get("arrival"),
        departments=tuple(d.get("departments", ())),
        repeat_contact=bool(d.get("repeat_contact", False)),
        stakes=tuple(d.get("stakes", ())),
        resolvable=d.get("resolvable"),
        heavy=bool(d.get("heavy", False)),
    )


def rubric_to_json(r: Rubric) -> list[dict[str, Any]]:
    return [
        {
            "criterion": s.criterion,
            "score": s.score,
            "evidence": list(s.evidence),
            "reason": s.reason,
        }
        for s in r.scores
    ]


def rubric_from_json(d: list[dict[str, Any]] | None) -> Rubric | None:
    if d is None:
        return None
    return Rubric(
        tuple(
            CriterionScore(
                s["criterion"], float(s["score"]), tuple(s.get("evidence", ())), s.get("reason", "")
            )
            for s in d
        )
    )


def evidence_to_json(e: Evidence) -> dict[str, Any]:
    return asdict(e)


def cue_to_json(c: Cue) -> dict[str, Any]:
    """Every field of the contract type, evidence nested (the shapes are the contract)."""
    return asdict(c)


def utterance_to_json(u: Utterance) -> dict[str, Any]:
    return {
        "id": u.id,
        "speaker": u.speaker,
        "seq": u.seq,
        "text": u.text,
        "start": u.start,
        "end": u.end,
        "final": u.final,
        "confidence": round(u.confidence, 3),
        "words": words_to_json(u.words),
    }


def words_to_json(words: tuple[Word, ...]) -> list[list[Any]]:
    return [[w.text, w.start, w.end, w.confidence] for w in words]


def words_from_json(rows: list[list[Any]]) -> tuple[Word, ...]:
    return tuple(Word(str(t), float(s), float(e), float(c)) for t, s, e, c in rows)
