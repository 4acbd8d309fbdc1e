"""Twilio tests: a real app on a committed database, called the way Twilio calls it (signed form posts to
the public URL), with its outbound texts going to a fake Twilio API on 127.0.0.1."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, func, select
from twilio.request_validator import RequestValidator

from hotline.auth import service as auth_service
from hotline.core.actor import Role, system_actor
from hotline.core.config import Settings
from hotline.main import create_app
from tests.support.database import CommittedDatabase, make_settings
from tests.support.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://hotline.example.org"
HOTLINE_NUMBER = "+15125550100"
ADVOCATE_NUMBER = "+15125550199"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield fake
    fake.stop()


def twilio_settings(db: CommittedDatabase, fake: FakeTwilio, **overrides: object) -> Settings:
    values: dict[str, object] = {
        # The app sees http://testserver; Twilio calls (and signs) the public https URL: as behind a proxy.
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_api_base_url": fake.url,
        "twilio_advocate_dial": ADVOCATE_NUMBER,
    }
    values.update(overrides)
    return make_settings(db.url, **values)


@dataclass
class TwilioSimulator:
    """Posts webhooks as Twilio does: form-encoded, to a public URL, signed with the account's token."""

    client: TestClient
    settings: Settings
    db: CommittedDatabase
    token: str = AUTH_TOKEN

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.settings.public_base_url + path

    def sign(self, url: str, params: dict[str, str]) -> str:
        return RequestValidator(self.token).compute_signature(url, params)

    def post(self, path_or_url: str, params: dict[str, str], *, signature: str | None = None) -> Response:
        url = self.url(path_or_url)
        form = {"AccountSid": ACCOUNT_SID, **params}
        parts = urlsplit(url)
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Twilio-Signature": signature if signature is not None else self.sign(url, form)}
        return self.client.post(local, data=form, headers=headers)

    def session(self) -> Session:
        return self.db.session_factory()

    def count(self, model, *where) -> int:  # type: ignore[no-untyped-def]
        with self.session() as session:
            query = select(func.count()).select_from(model)
            for condition in where:
                query = query.where(condition)
            return session.exec(query).one()


def make_simulator(db: CommittedDatabase, settings: Settings) -> TwilioSimulator:
    return TwilioSimulator(
        client=TestClient(create_app(settings, engine=db.engine)), settings=settings, db=db
    )


@pytest.fixture
def twilio(committed_db: CommittedDatabase, fake_twilio: FakeTwilio) -> Iterator[TwilioSimulator]:
    simulator = make_simulator(committed_db, twilio_settings(committed_db, fake_twilio))
    with simulator.client:
        yield simulator


def twiml(response: Response) -> ET.Element:
    """The TwiML document of a response, parsed (tests read elements and attributes, never raw text)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)  # noqa: S314  (our own output, parsed in tests)
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[tuple[str | None, str]]:
    """(language, text) of every <Say> under an element, in order."""
    return [(say.get("language"), say.text or "") for say in element.iter("Say")]


def advocate_key(db: CommittedDatabase) -> dict[str, str]:
    with db.session_factory() as session:
        _, key = auth_service.create_api_key(
            session=session, name="desk", role=Role.advocate, actor=system_actor("tests")
        )
        session.commit()
    return {"Authorization": f"Bearer {key}"}


def sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex
