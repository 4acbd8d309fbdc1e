"""User accounts: password rules, argon2 hashes, `hotline users …` and the demo's sign-ins."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlmodel import select

from hotline.core.actor import Role, system_actor
from hotline.core.audit.models import AuditEvent
from hotline.users import service as user_service
from hotline.users.models import User
from tests.support.cli import hotline


def test_a_user_is_stored_with_an_argon2id_hash_and_the_creation_is_audited(session):
    user = user_service.create_user(
        session=session,
        username="  JDoe ",
        display_name="Jo Doe",
        role=Role.supervisor,
        password="a long enough passphrase",
        actor=system_actor("tests"),
    )
    session.commit()
    assert user.username == "jdoe"
    assert user.password_hash.startswith("$argon2id$") and "passphrase" not in user.password_hash
    assert user_service.verify_password(user, "a long enough passphrase")
    assert not user_service.verify_password(user, "a long enough passphrasE")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.created")).one()
    assert event.detail == {"username": "jdoe", "role": "supervisor"}


@pytest.mark.parametrize(
    ("username", "role", "password", "message"),
    [
        ("ok-name", Role.advocate, "short", "at least 12"),
        ("ok-name", Role.advocate, "ok-name", "at least 12"),
        ("ok-name-long", Role.advocate, "OK-NAME-LONG", "must not be the username"),
        ("Bad Name!", Role.advocate, "a long enough passphrase", "a username is"),
        ("ok-name", Role.partner, "a long enough passphrase", "API key"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(session, username, role, password, message):
    with pytest.raises(user_service.UserError, match=message):
        user_service.create_user(
            session=session,
            username=username,
            display_name=None,
            role=role,
            password=password,
            actor=system_actor("t"),
        )


def test_a_username_is_taken_once(session, make_user):
    user = make_user("advocate", username="taken")
    with pytest.raises(user_service.UserError, match="taken"):
        user_service.create_user(
            session=session,
            username=user.username.upper(),
            display_name=None,
            role=Role.advocate,
            password="a long enough passphrase",
            actor=system_actor("t"),
        )


def _hotline_with_stdin(db, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "hotline", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.committed
def test_users_create_reads_the_password_from_stdin_never_from_an_argument(committed_db):
    created = _hotline_with_stdin(
        committed_db,
        "a long enough passphrase\n",
        "users", "create", "--username", "desk-7", "--role", "advocate", "--name", "Desk Seven",
        "--password-stdin",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"[0-9a-f-]{36}\n", created.stdout)
    with committed_db.session_factory() as session:
        user = session.exec(select(User)).one()
        assert (user.username, user.display_name, user.role) == ("desk-7", "Desk Seven", "advocate")
        assert user_service.verify_password(user, "a long enough passphrase")
    # Without --password-stdin and without a terminal it says how, rather than hanging on a prompt.
    no_tty = _hotline_with_stdin(
        committed_db, "", "users", "create", "--username", "x1", "--role", "advocate"
    )
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    weak = _hotline_with_stdin(
        committed_db,
        "short\n",
        "users",
        "create",
        "--username",
        "x2",
        "--role",
        "advocate",
        "--password-stdin",
    )
    assert weak.returncode == 2 and "at least 12" in weak.stderr
    # There is no way to pass a password as an argument at all.
    as_argument = hotline("users", "create", "--username", "x3", "--role", "advocate", "--password", "p" * 20,
                          db=committed_db, check=False)  # fmt: skip
    assert as_argument.returncode != 0


@pytest.mark.committed
def test_demo_prints_web_sign_ins_that_work_and_fresh_passwords_each_run(committed_db, client_for):
    first = dict(line.split("=", 1) for line in hotline("demo", db=committed_db).stdout.splitlines())
    second = dict(line.split("=", 1) for line in hotline("demo", db=committed_db).stdout.splitlines())
    assert first["ADVOCATE_USERNAME"] == "demo-advocate" and first["SUPERVISOR_USERNAME"] == "demo-supervisor"
    assert first["ADVOCATE_PASSWORD"] != second["ADVOCATE_PASSWORD"]
    with client_for(committed_db) as client:
        for role in ("ADVOCATE", "SUPERVISOR"):
            for password, works in ((first[f"{role}_PASSWORD"], False), (second[f"{role}_PASSWORD"], True)):
                client.cookies.clear()
                page = client.get("/signin")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                response = client.post(
                    "/signin",
                    data={"username": second[f"{role}_USERNAME"], "password": password, "csrf_token": token},
                    follow_redirects=False,
                )
                assert (response.status_code == 303) is works, (role, works)


@pytest.mark.committed
def test_users_unlock_and_set_password_from_the_command_line(committed_db):
    _hotline_with_stdin(
        committed_db, "a long enough passphrase\n",
        "users", "create", "--username", "lee", "--role", "advocate", "--password-stdin",
    )  # fmt: skip
    with committed_db.session_factory() as session:
        user = session.exec(select(User)).one()
        user.locked_until = user.created_at.replace(year=2100)
        session.commit()
    assert (
        hotline("users", "unlock", "lee", "--reason", "short", db=committed_db, check=False).returncode == 2
    )
    hotline("users", "unlock", "lee", "--reason", "identity checked by phone", db=committed_db)
    changed = _hotline_with_stdin(
        committed_db, "another long passphrase\n", "users", "set-password", "lee", "--password-stdin"
    )
    assert changed.returncode == 0, changed.stderr
    with committed_db.session_factory() as session:
        user = session.exec(select(User)).one()
        assert user.locked_until is None
        assert user_service.verify_password(user, "another long passphrase")
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
        assert actions[-3:] == ["user.created", "user.unlocked", "user.password_set"]
