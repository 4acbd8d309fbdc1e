"""Faults the service survives, each on real processes and sockets on 127.0.0.1, bounded in time:

- the database goes away during a request: a clear 503, no partial tip, and service resumes when it returns;
- a partner endpoint down for a while (500s, then refusing connections): deliveries succeed once it is back;
- a worker killed mid-batch while holding leases: after the leases run out another worker delivers all;
- a Twilio callback replayed 50 times, many at once: one tip, one message, one acknowledgement;
- a process killed between the tip's commit and its routing: the worker's recovery triages and routes it.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import func, select

from hotline.auth import service as auth_service
from hotline.core.actor import Role, system_actor
from hotline.core.database import create_db_engine
from hotline.decisions.models import RoutingDecision
from hotline.main import create_app
from hotline.referrals.models import Referral
from hotline.tips.models import Tip, TipPerson
from integrations.twilio.models import SmsMessage
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.support.database import CommittedDatabase, make_settings
from tests.support.factories import tip_payload
from tests.support.fake_twilio import FakeTwilio
from tests.support.receiver import PartnerReceiver, Reply
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    make_simulator,
    sid,
    twilio_settings,
    twiml,
)
from tests.support.webhooks import register_endpoints
from tests.support.worker import start_worker, stop_worker, wait_for, worker_env

pytestmark = [pytest.mark.committed, pytest.mark.timeout(120)]
ACTOR = system_actor("tests")


def _count(db: CommittedDatabase, model, *where) -> int:  # type: ignore[no-untyped-def]
    with db.session_factory() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return session.exec(query).one()


def _advocate_key(db: CommittedDatabase) -> dict[str, str]:
    with db.session_factory() as session:
        _, key = auth_service.create_api_key(session=session, name="desk", role=Role.advocate, actor=ACTOR)
        session.commit()
    return {"Authorization": f"Bearer {key}"}


# 1. The database goes away


class DatabaseProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL that a test can cut (every open connection is reset,
    new ones are closed at once, as when the server or the network goes) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> DatabaseProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(committed_db: CommittedDatabase) -> Iterator[tuple[DatabaseProxy, TestClient, sa.Engine]]:
    url = sa.make_url(committed_db.url)
    proxy = DatabaseProxy(url.host or "127.0.0.1", url.port or 5432).start()
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_db_engine(proxied_url, connect_args={"connect_timeout": 3})
    app = create_app(make_settings(proxied_url), engine=engine)
    try:
        with TestClient(app) as client:
            yield proxy, client, engine
    finally:
        engine.dispose()
        proxy.close()


def _cut_when(engine: sa.Engine, proxy: DatabaseProxy, statement_start: str) -> None:
    """Cut the database the first time a statement beginning so is about to be sent (mid-request)."""

    def cut(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(statement_start) and proxy.up:
            proxy.cut()
            sa.event.remove(engine, "before_cursor_execute", cut)

    sa.event.listen(engine, "before_cursor_execute", cut)


@pytest.mark.postgres_only
def test_the_database_going_away_mid_request_is_a_clear_503_and_service_resumes(committed_db, proxied):
    proxy, client, engine = proxied
    headers = _advocate_key(committed_db)
    assert client.post("/api/v1/tips", json=tip_payload(), headers=headers).status_code == 201
    tips_before = _count(committed_db, Tip)

    # The database goes away while the tip is being inserted.
    _cut_when(engine, proxy, "INSERT INTO tip ")
    payload = tip_payload(external_id="fault-db-gone")
    started = time.monotonic()
    response = client.post("/api/v1/tips", json=payload, headers=headers)
    assert time.monotonic() - started < 10, "the request must fail fast, not hang"
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["detail"].startswith("the database is unavailable")
    # While it stays away: 503s, quickly, and readiness says so.
    assert client.post("/api/v1/tips", json=tip_payload(), headers=headers).status_code == 503
    assert client.get("/readyz").status_code == 503

    # No partial tip: neither the tip nor any of its persons.
    assert _count(committed_db, Tip) == tips_before
    assert _count(committed_db, Tip, Tip.external_id == "fault-db-gone") == 0
    assert _count(committed_db, TipPerson) == 2 * tips_before

    # It comes back: the same submission is stored once, triaged and routed; nothing to restart.
    proxy.restore()
    assert client.get("/readyz").status_code == 200
    response = client.post("/api/v1/tips", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "triaged" and body["triage"]["routing"]["targets"]
    assert _count(committed_db, Tip, Tip.external_id == "fault-db-gone") == 1


@pytest.mark.postgres_only
def test_the_database_going_away_after_the_tip_is_committed_leaves_it_for_recovery(committed_db, proxied):
    proxy, client, engine = proxied
    headers = _advocate_key(committed_db)
    payload = tip_payload(external_id="fault-db-gone-late")
    # The tip is committed; the database goes away while its routing decision is written.
    _cut_when(engine, proxy, "INSERT INTO routing_decision ")
    response = client.post("/api/v1/tips", json=payload, headers=headers)
    assert response.status_code == 503
    assert "same external_id is stored only once" in response.json()["detail"]
    with committed_db.session_factory() as session:
        tip = session.exec(select(Tip).where(Tip.external_id == "fault-db-gone-late")).one()
        assert tip.status == "received" and tip.triage is None
        assert session.exec(select(RoutingDecision).where(RoutingDecision.tip_id == tip.id)).first() is None

    proxy.restore()
    # The client's retry (what the 503 asks for) finds the stored tip, and finishes its triage.
    response = client.post("/api/v1/tips", json=payload, headers=headers)
    assert response.status_code == 200 and response.json()["id"] == str(tip.id)
    assert response.json()["status"] == "triaged"
    assert _count(committed_db, Tip, Tip.external_id == "fault-db-gone-late") == 1
    assert _count(committed_db, RoutingDecision, RoutingDecision.tip_id == tip.id) == 1


# 2. A partner endpoint down for a while


def test_a_partner_down_for_a_while_gets_every_delivery_once_it_is_back(committed_db):
    receiver = PartnerReceiver().start()
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    worker = None
    try:
        with committed_db.session_factory() as session:
            register_endpoints(session, receiver, committed_db.settings, "cps-tx")
        client = TestClient(create_app(committed_db.settings, engine=committed_db.engine))
        headers = _advocate_key(committed_db)
        for _ in range(5):
            assert client.post("/api/v1/tips", json=tip_payload(), headers=headers).status_code == 201
        expected = {message_id for (message_id,) in _messages(committed_db)}
        assert len(expected) == 5

        # First it answers 500 to everything; then it is gone (connections refused); then it is back.
        # (Connection: close, so that once it is gone no kept-alive connection still reaches the old server.)
        receiver.default = Reply(500, headers={"Connection": "close"}, body=b"upstream down")
        env = worker_env(
            committed_db,
            webhook_retry_schedule="0,0.2,0.3,0.5,0.5,1,1,1,1,1,1,1,1,1,1",
            webhook_concurrency=4,
        )
        worker = start_worker(env)
        wait_for(lambda: len(receiver.received) >= 10, 30, "attempts answered 500")
        receiver.stop()
        wait_for(lambda: _attempts_with_error(committed_db, "http_500") > 0, 5, "500s recorded")
        refused_before = _refused_attempts(committed_db)
        _wait_or_show(
            lambda: _refused_attempts(committed_db) > refused_before, 30, "attempts refused", committed_db
        )
        assert _count(committed_db, WebhookDelivery, WebhookDelivery.status == "delivered") == 0

        back = PartnerReceiver(secrets=receiver.secrets)
        back.start(port=port)
        try:
            _wait_or_show(
                lambda: _count(committed_db, WebhookDelivery, WebhookDelivery.status == "delivered") == 5,
                30,
                "every delivery to succeed once the partner is back",
                committed_db,
            )
            # The partner verifies each with standardwebhooks and sees each message (its webhook-id) once.
            assert {r.webhook_id for r in back.ok()} == expected
            assert back.unverified == 0 and back.schema_errors == []
        finally:
            back.stop()
        assert _count(committed_db, WebhookDelivery, WebhookDelivery.status == "dead") == 0
    finally:
        if worker is not None:
            stop_worker(worker)
        receiver.stop()
    assert receiver.unverified == 0


def _wait_or_show(condition, timeout: float, what: str, db: CommittedDatabase) -> None:  # type: ignore[no-untyped-def]
    try:
        wait_for(condition, timeout, what)
    except AssertionError:
        with db.session_factory() as session:
            attempts = session.exec(
                select(WebhookAttempt.number, WebhookAttempt.status_code, WebhookAttempt.error)
            ).all()
            deliveries = session.exec(select(WebhookDelivery.status, WebhookDelivery.attempts)).all()
        raise AssertionError(
            f"{what}: attempts {sorted(map(str, attempts))}, deliveries {deliveries}"
        ) from None


def _messages(db: CommittedDatabase) -> list[tuple[str]]:
    with db.session_factory() as session:
        return [(m,) for m in session.exec(select(WebhookDelivery.message_id)).all()]


def _attempts_with_error(db: CommittedDatabase, error: str) -> int:
    return _count(db, WebhookAttempt, WebhookAttempt.error == error)


def _refused_attempts(db: CommittedDatabase) -> int:
    return _attempts_with_error(db, "connect_error")


# 3. A worker killed mid-batch, holding leases


def test_a_worker_killed_holding_leases_loses_nothing_once_they_run_out(committed_db):
    receiver = PartnerReceiver().start()
    receiver.default = Reply(200, delay=0.2)
    workers: list[subprocess.Popen[bytes]] = []
    lease = 3.0
    try:
        with committed_db.session_factory() as session:
            register_endpoints(session, receiver, committed_db.settings, "cps-tx", "le-tx")
        client = TestClient(create_app(committed_db.settings, engine=committed_db.engine))
        headers = _advocate_key(committed_db)
        for _ in range(15):
            assert client.post("/api/v1/tips", json=tip_payload(), headers=headers).status_code == 201
        expected = {message_id for (message_id,) in _messages(committed_db)}
        assert len(expected) == 30

        env = worker_env(committed_db, webhook_lease_seconds=lease, webhook_concurrency=4)
        workers.append(start_worker(env))
        wait_for(lambda: len(receiver.received) >= 4, 60, "the first worker to be sending")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        with committed_db.session_factory() as session:
            leased = session.exec(
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at).where(
                    WebhookDelivery.status == "pending", WebhookDelivery.lease_token.is_not(None)
                )
            ).all()
        assert leased, "the worker was killed between batches, not while holding leases"

        # A second worker at once: it takes what was never claimed now, and the dead worker's claims only
        # when their leases run out (never two live claims on one delivery).
        workers.append(start_worker(env))
        wait_for(
            lambda: _count(committed_db, WebhookDelivery, WebhookDelivery.status == "delivered") == 30,
            60,
            "the second worker to deliver everything",
        )
        with committed_db.session_factory() as session:
            for delivery_id, lease_ends in leased:
                attempts = session.exec(
                    select(WebhookAttempt.attempted_at).where(WebhookAttempt.delivery_id == delivery_id)
                ).all()
                # Attempts the dead worker made but never recorded are not here: what is here came later.
                assert attempts and min(attempts) >= lease_ends - _slack(), (
                    "a leased delivery was taken early"
                )

        # Nothing lost; repeats only of the same message (same webhook-id, same body), which partners drop.
        assert {r.webhook_id for r in receiver.ok()} == expected
        bodies: dict[str, set[bytes]] = {}
        for request in receiver.received:
            bodies.setdefault(request.webhook_id, set()).add(request.body)
        assert all(len(each) == 1 for each in bodies.values())
        assert receiver.unverified == 0
    finally:
        for worker in workers:
            stop_worker(worker)
        receiver.stop()
    assert receiver.schema_errors == []


def _slack():  # type: ignore[no-untyped-def]
    from datetime import timedelta

    # Clocks are one machine's; a few milliseconds of rounding in stored timestamps.
    return timedelta(milliseconds=50)


# 4. A Twilio callback replayed many times


def test_a_twilio_text_replayed_fifty_times_makes_one_tip_and_one_message(committed_db):
    fake_twilio = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    twilio = make_simulator(committed_db, twilio_settings(committed_db, fake_twilio))
    try:
        with twilio.client:
            _replay_fifty_times(twilio, fake_twilio)
    finally:
        fake_twilio.stop()


def _replay_fifty_times(twilio, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    params = {
        "MessageSid": sid("SM"),
        "From": "+15125550166",
        "To": HOTLINE_NUMBER,
        "Body": "A 14 year old girl is kept in a trailer behind the gas station on FM 1960, please help",
        "NumMedia": "0",
    }
    # Ten replays in a row, then forty at once (Twilio retries on timeouts, and proxies duplicate).
    for _ in range(10):
        twiml(twilio.post("/twilio/sms", params))

    def replay(_: int) -> int:
        return twilio.post("/twilio/sms", params).status_code

    workers = 8 if twilio.db.url.startswith("postgresql") else 4
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(replay, range(40)))
    assert statuses == [200] * 40

    assert twilio.count(Tip, Tip.channel == "sms") == 1
    assert twilio.count(SmsMessage, SmsMessage.direction == "inbound") == 1
    assert twilio.count(SmsMessage, SmsMessage.direction == "outbound") == 1
    assert len(fake_twilio.sent) == 1, "the texter is acknowledged once"
    with twilio.session() as session:
        tip = session.exec(select(Tip).where(Tip.channel == "sms")).one()
        assert tip.status == "triaged" and tip.narrative == params["Body"]
        assert session.exec(select(func.count()).select_from(RoutingDecision)).one() == 1


# 5. A process killed between the tip's commit and its routing

_DIE_AFTER_COMMIT = textwrap.dedent(
    """
    import json, os, signal, sys
    from hotline import assembly
    from hotline.core.actor import system_actor
    from hotline.core.config import get_settings
    from hotline.core.database import session_factory
    from hotline.intake import flows as intake_flows
    from hotline.tips.schemas import TipIn

    def die(**_):
        # The tip is committed; the process is killed before triage and routing write anything.
        os.kill(os.getpid(), signal.SIGKILL)

    intake_flows.triage_tip = die
    assembly.install()
    settings = get_settings()
    factory = session_factory(settings)
    with factory() as session:
        intake_flows.submit_tip(
            session=session,
            settings=settings,
            tip_in=TipIn.model_validate(json.loads(sys.argv[1])),
            actor=system_actor("tests"),
        )
    """
)


def test_a_tip_whose_process_died_before_routing_is_routed_by_the_worker_on_recovery(committed_db):
    import json

    receiver = PartnerReceiver().start()
    worker = None
    try:
        with committed_db.session_factory() as session:
            register_endpoints(session, receiver, committed_db.settings, "cps-tx")
        env = worker_env(committed_db, triage_recovery_after_seconds=0)
        payloads = [tip_payload(external_id=f"fault-crash-{n}") for n in range(3)]
        for payload in payloads:
            crashed = subprocess.run(
                [sys.executable, "-c", _DIE_AFTER_COMMIT, json.dumps(payload)],
                env=env,
                capture_output=True,
                timeout=60,
            )
            assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
        with committed_db.session_factory() as session:
            stranded = session.exec(select(Tip).where(Tip.external_id.startswith("fault-crash-"))).all()  # type: ignore[union-attr]
            assert len(stranded) == 3 and {tip.status for tip in stranded} == {"received"}
        assert _count(committed_db, RoutingDecision) == 0

        # The worker starts (as after the crash): its recovery job triages and routes them, and the
        # referrals they make are delivered.
        worker = start_worker(env)
        wait_for(
            lambda: _count(committed_db, Tip, Tip.status == "received") == 0,
            60,
            "the worker's recovery to triage the stranded tips",
        )
        with committed_db.session_factory() as session:
            for tip in session.exec(select(Tip)).all():
                assert tip.status == "triaged" and tip.triage["routing"]["targets"]
                assert (
                    session.exec(
                        select(func.count())
                        .select_from(RoutingDecision)
                        .where(RoutingDecision.tip_id == tip.id)
                    ).one()
                    == 1
                )
        wait_for(lambda: len(receiver.ok()) == 3, 30, "the recovered tips' referrals to reach the partner")
        assert _count(committed_db, Referral, Referral.agency_id == "cps-tx") == 3
    finally:
        if worker is not None:
            stop_worker(worker)
        receiver.stop()


# 6. More load than connections


def test_requests_waiting_too_long_for_a_database_connection_get_a_503(committed_db):
    # One connection, held elsewhere: the request waits the pool timeout, then is told to come back.
    engine = create_db_engine(committed_db.url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    headers = _advocate_key(committed_db)
    try:
        with TestClient(create_app(committed_db.settings, engine=engine)) as client:
            assert client.get("/api/v1/cases", headers=headers).status_code == 200
            with engine.connect():
                response = client.post("/api/v1/tips", json=tip_payload(), headers=headers)
            assert response.status_code == 503 and response.headers["retry-after"] == "5"
            assert response.json() == {"detail": "the service is overloaded; try again shortly"}
            assert client.post("/api/v1/tips", json=tip_payload(), headers=headers).status_code == 201
    finally:
        engine.dispose()


def test_requests_beyond_the_concurrency_limit_wait_their_turn_then_are_shed_with_a_503():
    import asyncio

    import httpx

    from hotline.core.middleware import ConcurrencyLimitMiddleware

    async def scenario() -> tuple[int, int, int, str]:
        release = asyncio.Event()

        async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
            if scope["path"] == "/slow":
                await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        limited = ConcurrencyLimitMiddleware(app, limit=1, max_wait=0.3)
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            holder = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(0.05)
            shed = await client.get("/fast")  # the only slot stays taken: it waits 0.3 s, then 503
            waiting = asyncio.create_task(client.get("/fast"))
            await asyncio.sleep(0.05)
            release.set()  # the slot frees within the wait: the waiting request is served
            return (await holder).status_code, shed.status_code, (await waiting).status_code, shed.text

    holder, shed, waiting, body = asyncio.run(scenario())
    assert (holder, shed, waiting) == (200, 503, 200)
    assert "overloaded" in body
