"""routing: agency directory, ruleset versions, routing decisions and overrides

Revision ID: 894ef40d1f3f
Revises: 2d4e7a2f5ee9
Create Date: 2026-11-25 00:42:11.130339
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "894ef40d1f3f"
down_revision: str | Sequence[str] | None = "2d4e7a2f5ee9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction", sa.String(length=2), nullable=False),
        sa.Column("channels", JSON_DOCUMENT, nullable=False),
        sa.Column("allowed_fields", JSON_DOCUMENT, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("contact", JSON_DOCUMENT, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("directory_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
    )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_jurisdiction"), ["jurisdiction"], unique=False)
        batch_op.create_index(batch_op.f("ix_agency_kind"), ["kind"], unique=False)

    op.create_table(
        "agency_directory_sync",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("agencies", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_directory_sync")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_agency_directory_sync_content_hash")),
    )
    op.create_table(
        "ruleset",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("hit_policy", sa.String(length=16), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("test_count", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruleset")),
        sa.UniqueConstraint("version", name=op.f("uq_ruleset_version")),
    )
    with op.batch_alter_table("ruleset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ruleset_content_hash"), ["content_hash"], unique=False)

    op.create_table(
        "routing_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("ruleset_id", sa.Uuid(), nullable=False),
        sa.Column("ruleset_version", sa.Integer(), nullable=False),
        sa.Column("engine_version", sa.Integer(), nullable=False),
        sa.Column("facts_version", sa.Integer(), nullable=False),
        sa.Column("facts", JSON_DOCUMENT, nullable=False),
        sa.Column("targets", JSON_DOCUMENT, nullable=False),
        sa.Column("trace", JSON_DOCUMENT, nullable=False),
        sa.Column("review_required", sa.Boolean(), nullable=False),
        sa.Column("current_targets", JSON_DOCUMENT, nullable=False),
        sa.Column("agency_ids", sa.String(length=1000), nullable=False),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_routing_decision_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["ruleset_id"], ["ruleset.id"], name=op.f("fk_routing_decision_ruleset_id_ruleset")
        ),
        sa.ForeignKeyConstraint(["tip_id"], ["tip.id"], name=op.f("fk_routing_decision_tip_id_tip")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decision")),
    )
    with op.batch_alter_table("routing_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_decision_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_routing_decision_decided_at_id", ["decided_at", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_routing_decision_review_required"), ["review_required"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_routing_decision_ruleset_version"), ["ruleset_version"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_routing_decision_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "routing_override",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("previous_targets", JSON_DOCUMENT, nullable=False),
        sa.Column("targets", JSON_DOCUMENT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overridden_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["routing_decision.id"],
            name=op.f("fk_routing_override_decision_id_routing_decision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_override")),
    )
    with op.batch_alter_table("routing_override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_override_decision_id"), ["decision_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routing_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_override_decision_id"))
    op.drop_table("routing_override")
    with op.batch_alter_table("routing_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_decision_tip_id"))
        batch_op.drop_index(batch_op.f("ix_routing_decision_ruleset_version"))
        batch_op.drop_index(batch_op.f("ix_routing_decision_review_required"))
        batch_op.drop_index("ix_routing_decision_decided_at_id")
        batch_op.drop_index(batch_op.f("ix_routing_decision_case_id"))
    op.drop_table("routing_decision")
    with op.batch_alter_table("ruleset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ruleset_content_hash"))
    op.drop_table("ruleset")
    op.drop_table("agency_directory_sync")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_kind"))
        batch_op.drop_index(batch_op.f("ix_agency_jurisdiction"))
    op.drop_table("agency")
