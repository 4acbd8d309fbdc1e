"""encrypt personal data at rest; keyed-hash columns to find texters and to search cases by name or phone;
when retention anonymised a case

Existing values are encrypted with the current data key (HOTLINE_DATA_KEYS); the downgrade decrypts them.
The triage result becomes encrypted text. The lookup hashes and search keys are keyed with
HOTLINE_MATCHING_KEY, so both settings must be those the service will run with.

Revision ID: 5c1e0a7d93b4
Revises: d9bbb647bbf0
Create Date: 2026-12-02 08:00:00
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hotline.core import crypto
from hotline.tips import service as tip_service

revision: str = "5c1e0a7d93b4"
down_revision: str | Sequence[str] | None = "d9bbb647bbf0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BATCH = 1000

# Every column the models type PIIText (tests/core/test_encryption.py checks this list against the models).
ENCRYPTED_COLUMNS = {
    "tip": ["narrative", "location_address", "reporter_name", "reporter_phone", "reporter_email", "triage"],
    "tip_person": ["name", "aliases", "dob", "phone", "email", "address"],
    "tip_attachment": ["url"],
    "twilio_call": ["caller"],
    "twilio_sms_session": ["sender"],
    "twilio_sms_message": ["counterpart", "body"],
    "twilio_sms_opt_out": ["phone"],
    "webhook_endpoint": ["secret", "previous_secret"],
    "referral": ["ack_reason"],
    "webhook_delivery": ["body"],
    "webhook_attempt": ["response_excerpt"],
    "match_decision": ["reason"],
    "routing_override": ["reason"],
}


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rewrite(table: str, columns: list[str], change: Callable[[str], str]) -> None:
    """Apply `change` to every non-null value of the columns, a batch of rows at a time (by id)."""
    bind = op.get_bind()
    target = sa.table(table, sa.column("id", sa.Uuid()), *(sa.column(name, sa.Text()) for name in columns))
    last = None
    while True:
        query = sa.select(target).order_by(target.c.id).limit(BATCH)
        if last is not None:
            query = query.where(target.c.id > last)
        rows = bind.execute(query).all()
        if not rows:
            return
        for row in rows:
            values = {name: change(getattr(row, name)) for name in columns if getattr(row, name) is not None}
            if any(values[name] != getattr(row, name) for name in values):
                bind.execute(sa.update(target).where(target.c.id == row.id).values(values))
        last = rows[-1].id


def _encrypt(value: str) -> str:
    return value if crypto.is_encrypted(value) else crypto.encrypt(value)


def _file_search_keys() -> None:
    bind = op.get_bind()
    person = sa.table(
        "tip_person",
        sa.column("tip_id", sa.Uuid()),
        sa.column("name", sa.Text()),
        sa.column("aliases", sa.Text()),
        sa.column("phone", sa.Text()),
    )
    tip = sa.table("tip", sa.column("id", sa.Uuid()), sa.column("reporter_phone", sa.Text()))
    search_key = sa.table(
        "tip_search_key", sa.column("key_hash", sa.BigInteger()), sa.column("tip_id", sa.Uuid())
    )
    keys: set[tuple[int, object]] = set()
    for row in bind.execute(sa.select(person)):
        names = [row.name or "", *(json.loads(row.aliases) if row.aliases else [])]
        for name in names:
            keys.update(
                (crypto.lookup_hash("name", term), row.tip_id) for term in tip_service.name_search_terms(name)
            )
        if row.phone:
            keys.update(
                (crypto.lookup_hash("phone7", term), row.tip_id)
                for term in tip_service.phone_search_terms(row.phone)
            )
    for row in bind.execute(sa.select(tip).where(tip.c.reporter_phone.is_not(None))):
        keys.update(
            (crypto.lookup_hash("phone7", term), row.id)
            for term in tip_service.phone_search_terms(row.reporter_phone)
        )
    rows = [{"key_hash": key_hash, "tip_id": tip_id} for key_hash, tip_id in keys]
    for start in range(0, len(rows), BATCH):
        bind.execute(sa.insert(search_key), rows[start : start + BATCH])


def _fill_phone_hash(table: str, phone_column: str, hash_column: str) -> None:
    bind = op.get_bind()
    target = sa.table(
        table,
        sa.column("id", sa.Uuid()),
        sa.column(phone_column, sa.Text()),
        sa.column(hash_column, sa.BigInteger()),
    )
    for row in bind.execute(sa.select(target.c.id, target.c[phone_column])).all():
        bind.execute(
            sa.update(target)
            .where(target.c.id == row.id)
            .values({hash_column: crypto.lookup_hash("phone", row[1])})
        )


def _retype_triage(
    new_type: sa.types.TypeEngine, change: Callable[[str], str], postgresql_using: str
) -> None:
    if not _is_sqlite():
        op.alter_column("tip", "triage", type_=new_type, postgresql_using=postgresql_using)
        _rewrite("tip", ["triage"], change)
        return
    # SQLite cannot change a column's type in place, and copying the tip table (batch mode) would cascade
    # deletes to its persons: add the new column, copy, drop the old one, rename.
    op.execute(f"ALTER TABLE tip ADD COLUMN triage_new {'TEXT' if isinstance(new_type, sa.Text) else 'JSON'}")
    op.execute("UPDATE tip SET triage_new = triage")
    op.execute("ALTER TABLE tip DROP COLUMN triage")
    op.execute("ALTER TABLE tip RENAME COLUMN triage_new TO triage")
    _rewrite("tip", ["triage"], change)


def upgrade() -> None:
    op.add_column("case_file", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "tip_search_key",
        sa.Column("key_hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tip.id"], name=op.f("fk_tip_search_key_tip_id_tip"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_hash", "tip_id", name=op.f("pk_tip_search_key")),
    )
    with op.batch_alter_table("tip_search_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_search_key_tip_id"), ["tip_id"], unique=False)
    _file_search_keys()

    # A texter's open session is found by the keyed hash of their number. (A server default lets SQLite add
    # the NOT NULL column in place; it is filled at once.)
    op.drop_index("ix_twilio_sms_session_sender_last_message_at", table_name="twilio_sms_session")
    op.add_column(
        "twilio_sms_session", sa.Column("sender_hash", sa.BigInteger(), nullable=False, server_default="0")
    )
    _fill_phone_hash("twilio_sms_session", "sender", "sender_hash")
    op.create_index(
        "ix_twilio_sms_session_sender_hash_last_message_at",
        "twilio_sms_session",
        ["sender_hash", "last_message_at"],
        unique=False,
    )

    # One opt-out row per number, by its keyed hash (an encrypted number cannot be unique).
    op.add_column(
        "twilio_sms_opt_out", sa.Column("phone_hash", sa.BigInteger(), nullable=False, server_default="0")
    )
    _fill_phone_hash("twilio_sms_opt_out", "phone", "phone_hash")
    with op.batch_alter_table("twilio_sms_opt_out", schema=None) as batch_op:
        batch_op.drop_constraint("uq_twilio_sms_opt_out_phone", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_twilio_sms_opt_out_phone_hash"), ["phone_hash"])
    if not _is_sqlite():
        op.alter_column("twilio_sms_session", "sender_hash", server_default=None)
        op.alter_column("twilio_sms_opt_out", "phone_hash", server_default=None)

    _retype_triage(sa.Text(), _encrypt, "triage::text")
    for table, columns in ENCRYPTED_COLUMNS.items():
        _rewrite(table, [name for name in columns if not (table == "tip" and name == "triage")], _encrypt)


def downgrade() -> None:
    for table, columns in ENCRYPTED_COLUMNS.items():
        _rewrite(table, columns, crypto.decrypt)
    _retype_triage(JSON_DOCUMENT, lambda value: value, "triage::jsonb")

    with op.batch_alter_table("twilio_sms_opt_out", schema=None) as batch_op:
        batch_op.drop_constraint("uq_twilio_sms_opt_out_phone_hash", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_twilio_sms_opt_out_phone"), ["phone"])
        batch_op.drop_column("phone_hash")

    op.drop_index("ix_twilio_sms_session_sender_hash_last_message_at", table_name="twilio_sms_session")
    if _is_sqlite():
        op.execute("ALTER TABLE twilio_sms_session DROP COLUMN sender_hash")
    else:
        op.drop_column("twilio_sms_session", "sender_hash")
    op.create_index(
        "ix_twilio_sms_session_sender_last_message_at",
        "twilio_sms_session",
        ["sender", "last_message_at"],
        unique=False,
    )

    with op.batch_alter_table("tip_search_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_search_key_tip_id"))
    op.drop_table("tip_search_key")
    if _is_sqlite():
        op.execute("ALTER TABLE case_file DROP COLUMN anonymised_at")
    else:
        op.drop_column("case_file", "anonymised_at")
