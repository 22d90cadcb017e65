"""SQLAlchemy 2 models of what is stored (not what each audience sees: see records.py).

Times: ``*_at`` columns are wall-clock UTC; ``start``/``end``/``raised_at``/
``*_s`` floats are on the call's clock (seconds since the call began).
The schema is created and changed only by the Alembic migrations in
``app/migrations`` (run at start-up); these classes must match them.
Other owners (users, audit log) add their tables with their own migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CallRow(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent: Mapped[str] = mapped_column(String(128), index=True)
    source: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)  # live|on_hold|ended|interrupted
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    heavy: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rubric: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    record_audio: Mapped[bool] = mapped_column(Boolean, default=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)


class CallAgentRow(Base):
    """Who had the call from when: the first agent, then one row per transfer."""

    __tablename__ = "call_agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    agent: Mapped[str] = mapped_column(String(128), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # start|transfer
    from_s: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UtteranceRow(Base):
    __tablename__ = "utterances"
    __table_args__ = (
        UniqueConstraint("call_id", "speaker", "seq", name="uq_utterances_call_speaker_seq"),
        Index("ix_utterances_call_start", "call_id", "start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    speaker: Mapped[str] = mapped_column(String(8))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    words: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)  # [text, start, end, conf]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CueRow(Base):
    __tablename__ = "cues"
    __table_args__ = (UniqueConstraint("call_id", "cue_id", name="uq_cues_call_cue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    cue_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(Text)
    line: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[float] = mapped_column(Float)
    turn: Mapped[int] = mapped_column(Integer)
    refreshed: Mapped[int] = mapped_column(Integer, default=0)
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latency_s: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CueFeedbackRow(Base):
    """One answer per user per cue ("used" | "not_helpful"); a new answer replaces it."""

    __tablename__ = "cue_feedback"
    __table_args__ = (
        UniqueConstraint("call_id", "cue_id", "username", name="uq_cue_feedback_call_cue_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    cue_id: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AudioFileRow(Base):
    """A speaker's recording of a call: ``path`` is relative to the data directory."""

    __tablename__ = "audio_files"
    __table_args__ = (UniqueConstraint("call_id", "speaker", name="uq_audio_files_call_speaker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    speaker: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    sample_rate: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResetRow(Base):
    """An agent took a reset (the supervisor queue shows time since the last one)."""

    __tablename__ = "resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent: Mapped[str] = mapped_column(String(128), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
