"""Personal data at rest: encrypted in every table, still searchable by keyed hashes, and key rotation."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import SQLModel, select

from hotline.auth import service as auth_service
from hotline.cases import service as case_service
from hotline.core import crypto, database
from hotline.core.actor import Role, system_actor
from hotline.core.audit.models import AuditEvent
from hotline.core.config import Settings
from hotline.core.database import encrypted_columns
from hotline.core.migrate import MIGRATIONS_DIR, downgrade, upgrade
from hotline.privacy import service as privacy_service
from hotline.tips import service as tip_service
from hotline.tips.models import Tip, TipPerson
from hotline.tips.schemas import TipIn
from integrations.twilio import flows as twilio_flows
from integrations.twilio import service as twilio_service
from integrations.twilio.models import SmsOptOut, SmsSession
from tests.support.database import BACKEND, create_postgres_database, drop_postgres_database
from tests.support.factories import tip_payload

NAME = "Zebulonia Quaxworth"
ALIAS = "Quixotica"
PHONE = "+1 512 555 0199"
EMAIL = "zq@secret-example.org"
ADDRESS = "742 Evergreen Terrace"
NARRATIVE = "Zebulonia was taken from the Mango-Tangerine warehouse, she is 15 and cannot leave"
REPORTER = "Philomena Brightwater"
SMS_TEXT = "a girl named Quixotica is kept at the Pineapplewhip motel"
SMS_NUMBER = "+15125550177"
# Any of these in any stored text is a leak.
NEEDLES = [
    "zebulonia",
    "quaxworth",
    "quixotica",
    "5550199",
    "555 0199",
    "zq@secret",
    "evergreen",
    "mango-tangerine",
    "philomena",
    "brightwater",
    "pineapplewhip",
    "5550177",
]

DEV_KEYRING = crypto.Keyring.parse(crypto.DEVELOPMENT_KEYRING)
NEW_KEY = crypto.new_key()


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    yield
    crypto.use(DEV_KEYRING)


def _stored_texts(connection: sa.Connection) -> Iterator[tuple[str, str, str]]:
    """(table, column, value) of every non-null value of every table, read with plain SQL."""
    for table in SQLModel.metadata.sorted_tables:
        rows = connection.execute(sa.text(f'SELECT * FROM "{table.name}"')).mappings().all()
        for row in rows:
            for column, value in row.items():
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    yield table.name, column, text


def test_no_personal_data_is_stored_in_plaintext_anywhere(client, session, auth, settings):
    payload = tip_payload(
        external_id="leak-1",
        narrative=NARRATIVE,
        location={"state": "TX", "address": ADDRESS},
        reporter={"name": REPORTER, "phone": "(512) 555-0100", "email": "pb@example.org"},
        persons=[
            {"role": "victim", "name": NAME, "aliases": [ALIAS], "age": 15, "phone": PHONE, "email": EMAIL},
            {"role": "suspect", "name": "Mortimer Grubblethorpe", "address": ADDRESS},
        ],
    )
    created = client.post("/api/v1/tips", json=payload, headers=auth("advocate"))
    assert created.status_code == 201, created.text
    twilio_flows.receive_sms(
        session=session,
        settings=settings,
        message_sid="SM" + "1" * 32,
        sender=SMS_NUMBER,
        hotline_number="+15125550000",
        body=SMS_TEXT,
    )
    twilio_flows.receive_sms(
        session=session,
        settings=settings,
        message_sid="SM" + "2" * 32,
        sender=SMS_NUMBER,
        hotline_number="+15125550000",
        body="STOP",
    )
    session.commit()

    leaks = [
        (table, column)
        for table, column, text in _stored_texts(session.connection())
        for needle in [*NEEDLES, "grubblethorpe"]
        if needle in text.lower()
    ]
    assert leaks == []
    raw_narrative = session.execute(
        sa.text("SELECT narrative FROM tip WHERE external_id = 'leak-1'")
    ).scalar_one()
    assert raw_narrative.startswith("v1:dev:")

    # Read back through the service as entered.
    tip = client.get(f"/api/v1/tips/{created.json()['id']}", headers=auth("advocate")).json()
    assert tip["narrative"] == NARRATIVE and tip["persons"][0]["name"] == NAME
    assert tip["persons"][0]["aliases"] == [ALIAS] and tip["location"]["address"] == ADDRESS
    assert tip["triage"]["minor"]["status"] == "confirmed"
    # Search finds it by keyed hashes: a word of a name, its first letters, an alias, a phone's digits.
    case_id = created.json()["case_id"]
    for text in ("zebulonia", "Quax", "quixotica", "Zebulonia Quaxworth", "512-555-0199", "5550100"):
        assert case_id in {
            str(found) for found in case_service.search_case_ids(session=session, text=text)
        }, text
    assert case_service.search_case_ids(session=session, text="Zebulonia Smith") == []
    # The texter's conversation and opt-out are found by their number's keyed hash.
    assert session.exec(select(SmsOptOut)).one().phone == SMS_NUMBER
    assert session.exec(select(SmsSession)).one().sender_hash == crypto.lookup_hash("phone", SMS_NUMBER)


def test_every_encrypted_column_is_encrypted_by_the_migration():
    spec = importlib.util.spec_from_file_location(
        "encrypt_migration", next(MIGRATIONS_DIR.glob("versions/*_encrypt_pii_at_rest.py"))
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listed = {(table, column) for table, columns in module.ENCRYPTED_COLUMNS.items() for column in columns}
    assert listed == set(encrypted_columns())


def test_a_value_is_sealed_with_a_fresh_nonce_and_its_key_id():
    keyring = crypto.Keyring.parse(f"old:{crypto.new_key()},new:{NEW_KEY}")
    first, second = keyring.encrypt("Maria"), keyring.encrypt("Maria")
    assert first != second and first.startswith("v1:new:")
    assert keyring.decrypt(first) == "Maria"
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DataKeyError, match="authenticate"):
        keyring.decrypt(tampered)
    with pytest.raises(crypto.DataKeyError, match="no data key 'new'"):
        crypto.Keyring.parse(f"old:{crypto.new_key()}").decrypt(first)


def test_production_refuses_the_development_data_key_and_a_malformed_keyring():
    secrets = {"secret_key": "s" * 40, "matching_key": "m" * 40}
    with pytest.raises(ValueError, match="HOTLINE_DATA_KEYS must hold keys of your own"):
        Settings(_env_file=None, environment="production", **secrets)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(_env_file=None, data_keys="k1:c2hvcnQ=")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not in the keyring"):
        Settings(_env_file=None, data_keys=f"k1:{NEW_KEY}", data_key_id="k2")  # type: ignore[call-arg]
    settings = Settings(_env_file=None, environment="production", data_keys=f"k1:{NEW_KEY}", **secrets)  # type: ignore[call-arg]
    assert settings.keyring().current_id == "k1"


def _raw_values(connection: sa.Connection) -> list[str]:
    values = []
    for table, column in encrypted_columns():
        values += [
            value
            for (value,) in connection.execute(sa.text(f'SELECT "{column}" FROM "{table}"'))
            if value is not None
        ]
    return values


@pytest.mark.committed
def test_rotation_reencrypts_every_value_under_the_new_key_and_the_old_key_can_go(
    committed_db, client_for, restore_keyring
):
    client = client_for(committed_db)
    with committed_db.session_factory() as session:
        _, key = auth_service.create_api_key(
            session=session, name="desk", role=Role.advocate, agency_id=None, actor=system_actor("tests")
        )
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    tip_id = client.post(
        "/api/v1/tips",
        json=tip_payload(narrative=NARRATIVE, persons=[{"role": "victim", "name": NAME, "age": 15}]),
        headers=headers,
    ).json()["id"]
    with committed_db.engine.connect() as connection:
        before = _raw_values(connection)
    assert before and all(value.startswith("v1:dev:") for value in before)

    rotated = crypto.Keyring.parse(f"{crypto.DEVELOPMENT_KEYRING},k2:{NEW_KEY}")
    crypto.use(rotated)
    with committed_db.session_factory() as session:
        rotation = privacy_service.rotate_data_key(
            session=session, keyring=rotated, actor=system_actor("tests"), batch_size=3
        )
    assert rotation.key_id == "k2" and rotation.total == len(before) and rotation.remaining == 0
    with committed_db.engine.connect() as connection:
        after = _raw_values(connection)
    assert len(after) == len(before) and all(value.startswith("v1:k2:") for value in after)

    # The old key removed, everything still reads.
    crypto.use(crypto.Keyring.parse(f"k2:{NEW_KEY}"))
    with committed_db.session_factory() as session:
        tip = session.get(Tip, uuid.UUID(tip_id))
        assert tip is not None and tip.narrative == NARRATIVE and tip.triage is not None
        assert session.exec(select(TipPerson)).one().name == NAME
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "data_key.rotated")).one()
        assert event.detail["reencrypted"] == len(before) and NAME not in json.dumps(event.detail)
    # A second run has nothing to do.
    with committed_db.session_factory() as session:
        again = privacy_service.rotate_data_key(
            session=session, keyring=crypto.current(), actor=system_actor("tests")
        )
    assert again.total == 0 and again.remaining == 0


@pytest.mark.committed
def test_rotate_data_key_command_and_new_data_key(committed_db, restore_keyring):
    with committed_db.session_factory() as session:
        tip_service.create_tip(
            session=session,
            tip_in=TipIn.model_validate(tip_payload(narrative=NARRATIVE)),
            actor=system_actor("tests"),
        )
        session.commit()
    env = {**os.environ, "DATABASE_URL": committed_db.url, "LOG_LEVEL": "WARNING"}
    made = subprocess.run(
        [sys.executable, "-m", "hotline", "keys", "new-data-key", "--id", "k2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert made.startswith("k2:") and len(crypto.Keyring.parse(made).keys["k2"]) == 32
    env["HOTLINE_DATA_KEYS"] = f"{crypto.DEVELOPMENT_KEYRING},{made}"
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "keys", "rotate-data-key"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["key_id"] == "k2" and summary["reencrypted"] >= 2 and summary["remaining"] == 0
    with committed_db.engine.connect() as connection:
        assert all(value.startswith("v1:k2:") for value in _raw_values(connection))


def test_the_migration_encrypts_existing_rows_and_its_downgrade_decrypts_them(tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if BACKEND == "sqlite"
        else create_postgres_database("hotline_encrypt")
    )
    try:
        upgrade(url, "d9bbb647bbf0")
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO tip (id, channel, received_at, language, narrative, reporter_phone,"
                    " location_country, reporter_anonymous, trafficking_type, status, triage, created_at,"
                    " updated_at, created_by)"
                    " VALUES (:id, 'sms', :now, 'en', :narrative, :phone, 'US', false, 'unknown', 'triaged',"
                    " :triage, :now, :now, 'tests')"
                ),
                {
                    "id": "0" * 31 + "1" if BACKEND == "sqlite" else "00000000-0000-0000-0000-000000000001",
                    "now": "2026-11-30 10:00:00",
                    "narrative": NARRATIVE,
                    "phone": SMS_NUMBER,
                    "triage": json.dumps({"minor": {"evidence": [{"text": "Zebulonia"}]}}),
                },
            )
            tip_id = connection.execute(sa.text("SELECT id FROM tip")).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO tip_person (id, tip_id, position, role, name, aliases)"
                    " VALUES (:id, :tip_id, 0, 'victim', :name, :aliases)"
                ),
                {"id": _uuid(2), "tip_id": tip_id, "name": NAME, "aliases": json.dumps([ALIAS])},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO twilio_sms_session (id, sender, tip_id, language, message_count, started_at,"
                    " last_message_at) VALUES (:id, :sender, :tip_id, 'en', 1, :now, :now)"
                ),
                {"id": _uuid(3), "sender": SMS_NUMBER, "tip_id": tip_id, "now": "2026-11-30 10:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO twilio_sms_opt_out (id, phone, opted_out, keyword, changed_at)"
                    " VALUES (:id, :phone, true, 'STOP', :now)"
                ),
                {"id": _uuid(4), "phone": SMS_NUMBER, "now": "2026-11-30 10:00:00"},
            )
        engine.dispose()

        upgrade(url)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            stored = [text.lower() for _, _, text in _stored_texts(connection)]
            assert not [needle for needle in NEEDLES for text in stored if needle in text]
            assert connection.execute(sa.text("SELECT count(*) FROM tip_search_key")).scalar_one() > 5
            sender_hash = connection.execute(
                sa.text("SELECT sender_hash FROM twilio_sms_session")
            ).scalar_one()
            assert sender_hash == crypto.lookup_hash("phone", SMS_NUMBER)
        with sa.orm.Session(engine) as session:
            tip = session.execute(sa.select(Tip)).scalar_one()
            assert tip.narrative == NARRATIVE and tip.triage == {
                "minor": {"evidence": [{"text": "Zebulonia"}]}
            }
            assert session.execute(sa.select(TipPerson)).scalar_one().aliases == [ALIAS]
        engine.dispose()

        downgrade(url, "d9bbb647bbf0")
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT narrative FROM tip")).scalar_one() == NARRATIVE
            assert connection.execute(sa.text("SELECT name FROM tip_person")).scalar_one() == NAME
            assert (
                connection.execute(sa.text("SELECT phone FROM twilio_sms_opt_out")).scalar_one() == SMS_NUMBER
            )
        engine.dispose()
    finally:
        if BACKEND != "sqlite":
            drop_postgres_database(url)


def _uuid(n: int) -> str:
    return f"{n:032x}" if BACKEND == "sqlite" else f"00000000-0000-0000-0000-{n:012x}"


def test_a_new_matching_key_needs_the_search_keys_filed_again(client, session, auth, settings):
    created = client.post(
        "/api/v1/tips", json=tip_payload(persons=[{"role": "victim", "name": NAME}]), headers=auth("advocate")
    ).json()
    twilio_flows.receive_sms(
        session=session,
        settings=settings,
        message_sid="SM" + "3" * 32,
        sender=SMS_NUMBER,
        hotline_number="+15125550000",
        body="STOP",
    )
    session.commit()
    try:
        database.configure_encryption(settings.model_copy(update={"matching_key": SecretStr("n" * 40)}))
        assert case_service.search_case_ids(session=session, text="zebulonia") == []
        assert tip_service.refile_all_search_keys(session=session) >= 1
        assert twilio_service.rehash_numbers(session=session) == 1
        session.commit()
        assert [str(found) for found in case_service.search_case_ids(session=session, text="zebulonia")] == [
            created["case_id"]
        ]
        assert twilio_service.is_opted_out(session=session, phone=SMS_NUMBER)
    finally:
        database.configure_encryption(settings)
