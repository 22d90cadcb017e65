"""The store: every write and read of calls, utterances, cues, feedback, audio and resets.

Methods are synchronous and thread-safe (one short transaction each). The
server never calls the write methods on the event loop: it submits them to a
:class:`~app.store.writer.Writer` thread, in the order events happen, so each
final utterance and cue is committed within milliseconds of being produced
and a killed server loses at most what was still queued. Reads from async code
go through ``await asyncio.to_thread(store.method, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import make_engine, migrate
from app.store.models import (
    AudioFileRow,
    CallAgentRow,
    CallRow,
    CueFeedbackRow,
    CueRow,
    ResetRow,
    UtteranceRow,
    utcnow,
)
from app.store.records import (
    AgentSpan,
    CallRecord,
    StoredCue,
    context_from_json,
    context_to_json,
    evidence_to_json,
    rubric_from_json,
    rubric_to_json,
    words_from_json,
    words_to_json,
)
from cues.types import CallContext, Cue, Evidence, Rubric
from transcription.types import Utterance

LIVE_STATES = ("live", "on_hold")


@overload
def _aware(dt: datetime) -> datetime: ...
@overload
def _aware(dt: None) -> None: ...
@overload
def _aware(dt: datetime | None) -> datetime | None: ...
def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def _ts(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else utcnow()


def _said(u: Utterance) -> dict[str, Any]:
    """What a final's row holds of what was said (a revision replaces exactly this)."""
    return {
        "text": u.text,
        "start": u.start,
        "end": u.end,
        "confidence": u.confidence,
        "words": words_to_json(u.words),
    }


def _utterance_where(u: Utterance) -> tuple[Any, ...]:
    """The row of ``u``'s id: call, speaker, seq (unique)."""
    return (
        UtteranceRow.call_id == u.call_id,
        UtteranceRow.speaker == u.speaker,
        UtteranceRow.seq == u.seq,
    )


def utterance_row(u: Utterance, created_at: datetime) -> UtteranceRow:
    """The stored row of a final utterance (live calls and imported ones alike)."""
    return UtteranceRow(
        call_id=u.call_id, speaker=u.speaker, seq=u.seq, created_at=created_at, **_said(u)
    )


class Store:
    """SQLAlchemy-backed store; ``url`` is a SQLAlchemy URL, ``data_dir`` roots audio paths."""

    def __init__(self, url: str, data_dir: Path, engine: Engine | None = None) -> None:
        self.url = url
        self.data_dir = data_dir
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction, committed on success (for other owners' tables too)."""
        with self._sessions() as s, s.begin():
            yield s

    # -- writes: calls -------------------------------------------------------------------

    def open_call(
        self,
        call_id: str,
        agent: str,
        source: str,
        *,
        started_at: float | None = None,
        record_audio: bool = True,
    ) -> bool:
        """Create the call (state live) or, if it exists, make it live again.

        Returns True when the call was new. A call resumed after a restart keeps
        its history; its ``ended_at`` is cleared.
        """
        now = utcnow()
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is None:
                s.add(
                    CallRow(
                        id=call_id,
                        agent=agent,
                        source=source,
                        state="live",
                        started_at=_ts(started_at),
                        updated_at=now,
                        duration_s=0.0,
                        heavy=False,
                        context=context_to_json(CallContext()),
                        record_audio=record_audio,
                        legal_hold=False,
                    )
                )
                s.flush()
                s.add(
                    CallAgentRow(call_id=call_id, agent=agent, reason="start", from_s=0.0, at=now)
                )
                return True
            row.state = "live"
            row.ended_at = None
            row.end_reason = None
            row.updated_at = now
            return False

    def set_state(
        self,
        call_id: str,
        state: str,
        *,
        reason: str | None = None,
        duration_s: float | None = None,
        ended_at: float | None = None,
    ) -> None:
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is None:
                return
            row.state = state
            row.updated_at = utcnow()
            if duration_s is not None:
                row.duration_s = max(row.duration_s, duration_s)
            if state in ("ended", "interrupted"):
                row.ended_at = _ts(ended_at)
                row.end_reason = reason

    def set_agent(
        self, call_id: str, agent: str, *, from_s: float, reason: str = "transfer"
    ) -> None:
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is None or row.agent == agent:
                return
            row.agent = agent
            row.updated_at = utcnow()
            s.add(
                CallAgentRow(
                    call_id=call_id, agent=agent, reason=reason, from_s=from_s, at=utcnow()
                )
            )

    def set_context(self, call_id: str, context: CallContext) -> None:
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is not None:
                row.context = context_to_json(context)
                row.heavy = row.heavy or context.heavy
                row.updated_at = utcnow()

    def set_rubric(self, call_id: str, rubric: Rubric | None, *, heavy: bool) -> None:
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is not None:
                row.rubric = rubric_to_json(rubric) if rubric is not None else None
                row.heavy = row.heavy or heavy
                row.updated_at = utcnow()

    def mark_interrupted(self) -> list[str]:
        """At start-up: calls left live or on hold by a dead server become interrupted."""
        with self.session() as s:
            ids = list(s.scalars(select(CallRow.id).where(CallRow.state.in_(LIVE_STATES))))
            if ids:
                s.execute(
                    update(CallRow)
                    .where(CallRow.id.in_(ids))
                    .values(
                        state="interrupted",
                        end_reason="server_restart",
                        ended_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
            return ids

    # -- writes: what was said and cued --------------------------------------------------

    def add_utterance(self, utt: Utterance) -> None:
        """Store a final utterance (idempotent on call, speaker, seq). Partials are not stored."""
        if not utt.final:
            raise ValueError("only final utterances are stored")
        with self.session() as s:
            exists = s.scalar(select(UtteranceRow.id).where(*_utterance_where(utt)))
            if exists is not None:
                return
            s.add(utterance_row(utt, utcnow()))
            row = s.get(CallRow, utt.call_id)
            if row is not None:
                row.duration_s = max(row.duration_s, utt.end)

    def revise_utterance(self, utt: Utterance) -> bool:
        """Replace a stored final's text, words and times with its revision (second pass).

        False (nothing written) when the utterance was never stored: a revision
        never creates a line of its own.
        """
        if not utt.final or utt.revision < 1:
            raise ValueError("only revisions of final utterances replace stored ones")
        with self.session() as s:
            row = s.scalar(select(UtteranceRow).where(*_utterance_where(utt)))
            if row is None:
                return False
            for name, value in _said(utt).items():
                setattr(row, name, value)
            return True

    def upsert_cue(
        self, cue: Cue, *, delivered_at: float | None = None, latency_s: float | None = None
    ) -> None:
        """Store a raised cue, or update it in place when refreshed (same call and cue id)."""
        now = utcnow()
        with self.session() as s:
            row = s.scalar(
                select(CueRow).where(CueRow.call_id == cue.call_id, CueRow.cue_id == cue.id)
            )
            if row is None:
                s.add(
                    CueRow(
                        call_id=cue.call_id,
                        cue_id=cue.id,
                        kind=cue.kind,
                        title=cue.title,
                        line=cue.line,
                        severity=cue.severity,
                        evidence=evidence_to_json(cue.evidence),
                        raised_at=cue.raised_at,
                        turn=cue.turn,
                        refreshed=cue.refreshed,
                        alert=cue.alert,
                        delivered_at=_ts(delivered_at),
                        latency_s=latency_s,
                        updated_at=now,
                    )
                )
                return
            # A refresh keeps when it was first raised and delivered; the card shows the rest.
            row.title, row.line, row.severity = cue.title, cue.line, cue.severity
            row.evidence = evidence_to_json(cue.evidence)
            row.refreshed = cue.refreshed
            row.alert = row.alert or cue.alert
            row.updated_at = now

    def add_feedback(self, call_id: str, cue_id: str, verdict: str, username: str) -> bool:
        """Record (or replace) a user's verdict on a cue; False if the cue does not exist."""
        if verdict not in ("used", "not_helpful"):
            raise ValueError(f"verdict must be used or not_helpful, got {verdict!r}")
        with self.session() as s:
            cue = s.scalar(
                select(CueRow.id).where(CueRow.call_id == call_id, CueRow.cue_id == cue_id)
            )
            if cue is None:
                return False
            row = s.scalar(
                select(CueFeedbackRow).where(
                    CueFeedbackRow.call_id == call_id,
                    CueFeedbackRow.cue_id == cue_id,
                    CueFeedbackRow.username == username,
                )
            )
            if row is None:
                s.add(
                    CueFeedbackRow(
                        call_id=call_id,
                        cue_id=cue_id,
                        verdict=verdict,
                        username=username,
                        created_at=utcnow(),
                    )
                )
            else:
                row.verdict = verdict
                row.created_at = utcnow()
            return True

    def add_reset(self, agent: str, call_id: str | None = None, at: float | None = None) -> None:
        with self.session() as s:
            if call_id is not None and s.get(CallRow, call_id) is None:
                call_id = None
            s.add(ResetRow(agent=agent, call_id=call_id, taken_at=_ts(at)))

    def upsert_audio_file(
        self, call_id: str, speaker: str, relpath: str, seconds: float, sample_rate: int
    ) -> None:
        now = utcnow()
        with self.session() as s:
            row = s.scalar(
                select(AudioFileRow).where(
                    AudioFileRow.call_id == call_id, AudioFileRow.speaker == speaker
                )
            )
            if row is None:
                s.add(
                    AudioFileRow(
                        call_id=call_id,
                        speaker=speaker,
                        path=relpath,
                        sample_rate=sample_rate,
                        seconds=seconds,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.seconds = max(row.seconds, seconds)
                row.updated_at = now

    # -- reads ---------------------------------------------------------------------------

    def get_call(self, call_id: str) -> CallRecord | None:
        with self.session() as s:
            row = s.get(CallRow, call_id)
            if row is None:
                return None
            spans = s.scalars(
                select(CallAgentRow)
                .where(CallAgentRow.call_id == call_id)
                .order_by(CallAgentRow.id)
            )
            return _record(
                row, tuple(AgentSpan(a.agent, a.reason, a.from_s, _aware(a.at)) for a in spans)
            )

    def list_calls(
        self,
        *,
        states: tuple[str, ...] | None = None,
        agent: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[CallRecord]:
        with self.session() as s:
            q = select(CallRow).order_by(CallRow.started_at.desc()).limit(limit)
            if states:
                q = q.where(CallRow.state.in_(states))
            if agent is not None:
                q = q.where(CallRow.agent == agent)
            if since is not None:
                q = q.where(CallRow.started_at >= since)
            return [_record(r, ()) for r in s.scalars(q)]

    def transcript(self, call_id: str) -> list[Utterance]:
        """The call's final utterances in call-clock order."""
        with self.session() as s:
            rows = s.scalars(
                select(UtteranceRow)
                .where(UtteranceRow.call_id == call_id)
                .order_by(UtteranceRow.start, UtteranceRow.id)
            )
            return [
                Utterance(
                    r.call_id,
                    r.speaker,  # type: ignore[arg-type]
                    r.seq,
                    r.text,
                    r.start,
                    r.end,
                    True,
                    words_from_json(r.words or []),
                )
                for r in rows
            ]

    def next_seqs(self, call_id: str) -> dict[str, int]:
        """Per speaker, the seq a resumed call's next utterance must take."""
        with self.session() as s:
            rows = s.execute(
                select(UtteranceRow.speaker, func.max(UtteranceRow.seq))
                .where(UtteranceRow.call_id == call_id)
                .group_by(UtteranceRow.speaker)
            )
            return {speaker: int(mx) + 1 for speaker, mx in rows}

    def cues(self, call_id: str) -> list[StoredCue]:
        """The call's cues in the order they were raised, with their feedback."""
        with self.session() as s:
            feedback: dict[str, dict[str, str]] = {}
            for f in s.scalars(select(CueFeedbackRow).where(CueFeedbackRow.call_id == call_id)):
                feedback.setdefault(f.cue_id, {})[f.username] = f.verdict
            rows = s.scalars(
                select(CueRow)
                .where(CueRow.call_id == call_id)
                .order_by(CueRow.raised_at, CueRow.id)
            )
            out = []
            for r in rows:
                ev = r.evidence
                cue = Cue(
                    id=r.cue_id,
                    call_id=r.call_id,
                    kind=r.kind,  # type: ignore[arg-type]
                    title=r.title,
                    line=r.line,
                    severity=r.severity,  # type: ignore[arg-type]
                    evidence=Evidence(
                        ev["utterance_id"], ev["speaker"], ev["quote"], ev["start"], ev["end"]
                    ),
                    raised_at=r.raised_at,
                    turn=r.turn,
                    refreshed=r.refreshed,
                    alert=r.alert,
                )
                out.append(
                    StoredCue(cue, _aware(r.delivered_at), r.latency_s, feedback.get(r.cue_id, {}))
                )
            return out

    def audio_file(self, call_id: str, speaker: str) -> Path | None:
        """The recording's absolute path, if one was stored and is still on disk."""
        with self.session() as s:
            rel = s.scalar(
                select(AudioFileRow.path).where(
                    AudioFileRow.call_id == call_id, AudioFileRow.speaker == speaker
                )
            )
        if rel is None:
            return None
        root = self.data_dir.resolve()
        path = (root / rel).resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    def last_reset(self, agent: str) -> datetime | None:
        with self.session() as s:
            return _aware(
                s.scalar(select(func.max(ResetRow.taken_at)).where(ResetRow.agent == agent))
            )

    def heavy_calls_since(self, agent: str, since: datetime) -> int:
        with self.session() as s:
            n = s.scalar(
                select(func.count())
                .select_from(CallRow)
                .where(CallRow.agent == agent, CallRow.heavy.is_(True), CallRow.started_at >= since)
            )
            return int(n or 0)


def _record(row: CallRow, agents: tuple[AgentSpan, ...]) -> CallRecord:
    return CallRecord(
        id=row.id,
        agent=row.agent,
        source=row.source,
        state=row.state,
        started_at=_aware(row.started_at),
        updated_at=_aware(row.updated_at),
        ended_at=_aware(row.ended_at),
        end_reason=row.end_reason,
        duration_s=row.duration_s,
        heavy=row.heavy,
        context=context_from_json(row.context),
        rubric=rubric_from_json(row.rubric),
        record_audio=row.record_audio,
        legal_hold=row.legal_hold,
        agents=agents,
    )
