"""dedup: blocking keys, the review queue, supervisors' decisions

Revision ID: 3f302d3301ff
Revises: 894ef40d1f3f
Create Date: 2026-11-25 00:41:04.568375
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f302d3301ff"
down_revision: str | Sequence[str] | None = "894ef40d1f3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # (key_hash, case_id) is the lookup index: a key's cases are read from the index alone.
    op.create_table(
        "match_key",
        sa.Column("key_hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_match_key_case_id_case_file")),
        sa.PrimaryKeyConstraint("key_hash", "case_id", name=op.f("pk_match_key")),
    )
    with op.batch_alter_table("match_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_key_case_id"), ["case_id"], unique=False)

    op.create_table(
        "match_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("candidates", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_match_review_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(["tip_id"], ["tip.id"], name=op.f("fk_match_review_tip_id_tip")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_review")),
    )
    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_review_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_match_review_status_created_at", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_match_review_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "match_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("tip_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("other_case_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_match_decision_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["other_case_id"], ["case_file.id"], name=op.f("fk_match_decision_other_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["match_review.id"], name=op.f("fk_match_decision_review_id_match_review")
        ),
        sa.ForeignKeyConstraint(["tip_id"], ["tip.id"], name=op.f("fk_match_decision_tip_id_tip")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decision")),
    )
    with op.batch_alter_table("match_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_decision_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_decision_other_case_id"), ["other_case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_decision_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_decision_tip_id"), ["tip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_decision_tip_id"))
        batch_op.drop_index(batch_op.f("ix_match_decision_review_id"))
        batch_op.drop_index(batch_op.f("ix_match_decision_other_case_id"))
        batch_op.drop_index(batch_op.f("ix_match_decision_case_id"))
    op.drop_table("match_decision")

    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_review_tip_id"))
        batch_op.drop_index("ix_match_review_status_created_at")
        batch_op.drop_index(batch_op.f("ix_match_review_case_id"))
    op.drop_table("match_review")

    with op.batch_alter_table("match_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_key_case_id"))
    op.drop_table("match_key")
