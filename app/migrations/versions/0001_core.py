"""core tables: calls, utterances, cues, feedback, audio, resets

Revision ID: 0001_core
Revises:
Create Date: 2026-11-27 03:16:12.498809
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("heavy", sa.Boolean(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=True),
        sa.Column("record_audio", sa.Boolean(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_state"), ["state"], unique=False)

    op.create_table(
        "audio_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("speaker", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_audio_files_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_files")),
        sa.UniqueConstraint("call_id", "speaker", name="uq_audio_files_call_speaker"),
    )
    with op.batch_alter_table("audio_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audio_files_call_id"), ["call_id"], unique=False)

    op.create_table(
        "call_agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("from_s", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_agents_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_agents")),
    )
    with op.batch_alter_table("call_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_agents_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_agents_call_id"), ["call_id"], unique=False)

    op.create_table(
        "cue_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("cue_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_cue_feedback_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cue_feedback")),
        sa.UniqueConstraint("call_id", "cue_id", "username", name="uq_cue_feedback_call_cue_user"),
    )
    with op.batch_alter_table("cue_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cue_feedback_call_id"), ["call_id"], unique=False)

    op.create_table(
        "cues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("cue_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("refreshed", sa.Integer(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_cues_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cues")),
        sa.UniqueConstraint("call_id", "cue_id", name="uq_cues_call_cue"),
    )
    with op.batch_alter_table("cues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cues_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cues_kind"), ["kind"], unique=False)

    op.create_table(
        "resets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_resets_call_id_calls"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resets")),
    )
    with op.batch_alter_table("resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resets_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_resets_taken_at"), ["taken_at"], unique=False)

    op.create_table(
        "utterances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("speaker", sa.String(length=8), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_utterances_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utterances")),
        sa.UniqueConstraint("call_id", "speaker", "seq", name="uq_utterances_call_speaker_seq"),
    )
    with op.batch_alter_table("utterances", schema=None) as batch_op:
        batch_op.create_index("ix_utterances_call_start", ["call_id", "start"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("utterances", schema=None) as batch_op:
        batch_op.drop_index("ix_utterances_call_start")

    op.drop_table("utterances")
    with op.batch_alter_table("resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resets_taken_at"))
        batch_op.drop_index(batch_op.f("ix_resets_agent"))

    op.drop_table("resets")
    with op.batch_alter_table("cues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cues_kind"))
        batch_op.drop_index(batch_op.f("ix_cues_call_id"))

    op.drop_table("cues")
    with op.batch_alter_table("cue_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cue_feedback_call_id"))

    op.drop_table("cue_feedback")
    with op.batch_alter_table("call_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_agents_call_id"))
        batch_op.drop_index(batch_op.f("ix_call_agents_agent"))

    op.drop_table("call_agents")
    with op.batch_alter_table("audio_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audio_files_call_id"))

    op.drop_table("audio_files")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_state"))
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_calls_agent"))

    op.drop_table("calls")
