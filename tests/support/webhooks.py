"""Partner delivery tests: real tips routed by the real pipeline, delivered by the real dispatcher over
HTTP to a partner receiver on 127.0.0.1 that verifies every request with `standardwebhooks` and validates
every body against the published JSON Schema. Retry schedules are tiny so the suite stays fast."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from hotline.core.actor import system_actor
from hotline.core.config import Settings
from hotline.intake import flows as intake_flows
from hotline.referrals.models import Referral
from hotline.tips.models import Tip
from hotline.tips.schemas import TipIn
from integrations.webhooks import service as webhook_service
from integrations.webhooks.delivery import Dispatcher
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.database import make_settings
from tests.support.factories import tip_payload
from tests.support.receiver import PartnerReceiver

ACTOR = system_actor("tests")
# Seconds, not hours: four attempts in a fraction of a second.
TINY_SETTINGS: dict[str, object] = {
    "webhook_retry_schedule": "0,0.05,0.05,0.05",
    "webhook_retry_jitter": 0,
    "webhook_client_error_attempts": 2,
    "webhook_connect_timeout_seconds": 1.0,
    "webhook_read_timeout_seconds": 0.5,
    "webhook_lease_seconds": 30,
    "webhook_poll_seconds": 0.05,
    "webhook_concurrency": 4,
    "webhook_endpoint_concurrency": 4,
}

# Who the factories' tip goes to: a 15-year-old in sex trafficking in Texas.
MINOR_TARGETS = {"cps-tx", "le-tx"}


def adult_tip(**overrides: object) -> dict:
    """An adult victim in Texas who did not consent to a police report: victim services only."""
    values: dict[str, object] = {
        "narrative": "A woman at a nail salon says her employer keeps her passport and she works for no pay.",
        "persons": [{"role": "victim", "name": "Rosa Delgado", "age": 34, "gender": "female"}],
        "trafficking_type": "labor",
        "consent_to_report": False,
    }
    values.update(overrides)
    return tip_payload(**values)


@pytest.fixture
def receiver() -> Iterator[PartnerReceiver]:
    receiver = PartnerReceiver().start()
    yield receiver
    receiver.stop()
    assert receiver.schema_errors == [], "a body did not match its published JSON Schema"


@pytest.fixture
def webhook_settings(database_url: str) -> Settings:
    return make_settings(database_url, **TINY_SETTINGS)


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection, as the worker opens its own: their commits release savepoints."""
    return sessionmaker(
        bind=session.bind, class_=Session, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def dispatcher(webhook_settings: Settings, factory: sessionmaker[Session]) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(settings=webhook_settings, session_factory=factory, serialize_database=True)
    yield dispatcher
    dispatcher.close()


def register_endpoints(
    session: Session,
    receiver: PartnerReceiver,
    settings: Settings,
    *agency_ids: str,
    fields: list[str] | None = None,
    url: str | None = None,
) -> list[WebhookEndpoint]:
    """Register the receiver as these agencies' endpoint (committed); it learns each signing secret."""
    endpoints = []
    for agency_id in agency_ids:
        endpoint, secret = webhook_service.register_endpoint(
            session=session,
            agency_id=agency_id,
            url=url or receiver.url,
            fields=fields,
            actor=ACTOR,
            settings=settings,
        )
        receiver.secrets.append(secret)
        endpoints.append(endpoint)
    session.commit()
    return endpoints


@dataclass
class Partners:
    session: Session
    receiver: PartnerReceiver
    settings: Settings

    def register(
        self, agency_id: str, *, fields: list[str] | None = None, url: str | None = None
    ) -> WebhookEndpoint:
        (endpoint,) = register_endpoints(
            self.session, self.receiver, self.settings, agency_id, fields=fields, url=url
        )
        return endpoint

    def submit(self, payload: dict | None = None, **overrides: object) -> Tip:
        tip_in = TipIn.model_validate(payload or tip_payload(**overrides))
        tip = intake_flows.submit_tip(
            session=self.session, settings=self.settings, tip_in=tip_in, actor=ACTOR
        ).tip
        assert tip.status == "triaged"
        return tip

    def referrals(self, tip: Tip) -> dict[str, Referral]:
        self.session.expire_all()
        rows = self.session.exec(
            select(Referral).where(Referral.tip_id == tip.id).order_by(col(Referral.created_at))
        ).all()
        return {row.agency_id: row for row in rows if row.status not in {"withdrawn", "declined"}} | {
            f"{row.agency_id}:{row.status}": row for row in rows if row.status in {"withdrawn", "declined"}
        }

    def deliveries(self, **where: object) -> list[WebhookDelivery]:
        self.session.expire_all()
        query = select(WebhookDelivery).order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))
        for name, value in where.items():
            query = query.where(getattr(WebhookDelivery, name) == value)
        return list(self.session.exec(query).all())


@pytest.fixture
def partners(session: Session, receiver: PartnerReceiver, webhook_settings: Settings) -> Partners:
    return Partners(session=session, receiver=receiver, settings=webhook_settings)


def deliver_until(dispatcher: Dispatcher, done: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Run the delivery loop until `done()` (the retry schedule is in fractions of a second)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("deliveries did not reach the expected state in time")
        dispatcher.run(budget=0.5, wait_for_work=False)
        time.sleep(0.01)
