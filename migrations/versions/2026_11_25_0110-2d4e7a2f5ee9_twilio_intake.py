"""twilio intake: calls, SMS sessions, messages and opt-outs; tip attachments and contact outcome

Revision ID: 2d4e7a2f5ee9
Revises: f1c007e2d44b
Create Date: 2026-11-25 00:42:50.758114
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d4e7a2f5ee9"
down_revision: str | Sequence[str] | None = "f1c007e2d44b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_outcome", sa.String(length=16), nullable=True))

    op.create_table(
        "tip_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tip.id"], name=op.f("fk_tip_attachment_tip_id_tip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_attachment")),
        sa.UniqueConstraint("external_id", name=op.f("uq_tip_attachment_external_id")),
    )
    with op.batch_alter_table("tip_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_attachment_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "twilio_call",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.Text(), nullable=True),
        sa.Column("hotline_number", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dial_status", sa.String(length=16), nullable=True),
        sa.Column("tip_id", sa.Uuid(), nullable=True),
        sa.Column("transcription_sid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tip_id"], ["tip.id"], name=op.f("fk_twilio_call_tip_id_tip")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_call")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_twilio_call_call_sid")),
        sa.UniqueConstraint("tip_id", name=op.f("uq_twilio_call_tip_id")),
        sa.UniqueConstraint("transcription_sid", name=op.f("uq_twilio_call_transcription_sid")),
    )

    op.create_table(
        "twilio_sms_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("hotline_number", sa.String(length=32), nullable=True),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tip_id"], ["tip.id"], name=op.f("fk_twilio_sms_session_tip_id_tip")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_sms_session")),
        sa.UniqueConstraint("tip_id", name=op.f("uq_twilio_sms_session_tip_id")),
    )
    with op.batch_alter_table("twilio_sms_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_twilio_sms_session_sender_last_message_at", ["sender", "last_message_at"], unique=False
        )

    op.create_table(
        "twilio_sms_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("reply_to_id", sa.Uuid(), nullable=True),
        sa.Column("counterpart", sa.Text(), nullable=False),
        sa.Column("hotline_number", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("media_count", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["twilio_sms_message.id"],
            name=op.f("fk_twilio_sms_message_reply_to_id_twilio_sms_message"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["twilio_sms_session.id"],
            name=op.f("fk_twilio_sms_message_session_id_twilio_sms_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_sms_message")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_twilio_sms_message_message_sid")),
        sa.UniqueConstraint("reply_to_id", "kind", name=op.f("uq_twilio_sms_message_reply_to_id_kind")),
    )
    with op.batch_alter_table("twilio_sms_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_twilio_sms_message_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            "ix_twilio_sms_message_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "twilio_sms_opt_out",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_sms_opt_out")),
        sa.UniqueConstraint("phone", name=op.f("uq_twilio_sms_opt_out_phone")),
    )


def downgrade() -> None:
    op.drop_table("twilio_sms_opt_out")
    with op.batch_alter_table("twilio_sms_message", schema=None) as batch_op:
        batch_op.drop_index("ix_twilio_sms_message_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_twilio_sms_message_session_id"))

    op.drop_table("twilio_sms_message")
    with op.batch_alter_table("twilio_sms_session", schema=None) as batch_op:
        batch_op.drop_index("ix_twilio_sms_session_sender_last_message_at")

    op.drop_table("twilio_sms_session")
    op.drop_table("twilio_call")
    with op.batch_alter_table("tip_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_attachment_tip_id"))

    op.drop_table("tip_attachment")
    with op.batch_alter_table("tip", schema=None) as batch_op:
        batch_op.drop_column("contact_outcome")
