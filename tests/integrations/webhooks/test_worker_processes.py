"""`hotline worker` as separate processes on a committed database: a worker killed with SIGKILL in the middle
of a batch loses nothing (a second worker delivers everything, at least once, and the receiver drops repeats
by webhook-id); two workers at once never send the same attempt twice (PostgreSQL, SKIP LOCKED)."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter

import pytest
from sqlmodel import func, select

from hotline.core.actor import system_actor
from hotline.intake import flows as intake_flows
from hotline.tips.schemas import TipIn
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.support.factories import tip_payload
from tests.support.receiver import PartnerReceiver, Reply
from tests.support.webhooks import register_endpoints
from tests.support.worker import start_worker, stop_worker, wait_for, worker_env

pytestmark = pytest.mark.committed
ACTOR = system_actor("tests")


def _routed_tips(db, receiver: PartnerReceiver, count: int) -> set[str]:
    """`count` tips, each a referral to cps-tx and le-tx, both with endpoints: twice as many deliveries."""
    with db.session_factory() as session:
        register_endpoints(session, receiver, db.settings, "cps-tx", "le-tx")
        for _ in range(count):
            intake_flows.submit_tip(
                session=session, settings=db.settings, tip_in=TipIn.model_validate(tip_payload()), actor=ACTOR
            )
        return set(session.exec(select(WebhookDelivery.message_id)).all())


def _delivered(db) -> int:
    with db.session_factory() as session:
        return session.exec(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "delivered")
        ).one()


def test_a_worker_killed_mid_batch_loses_nothing(committed_db):
    receiver = PartnerReceiver().start()
    # Slow enough that the worker is always in the middle of something when it is killed.
    receiver.default = Reply(200, delay=0.1)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        expected = _routed_tips(committed_db, receiver, 20)
        assert len(expected) == 40
        env = worker_env(committed_db, webhook_lease_seconds=4, webhook_concurrency=4)
        workers.append(start_worker(env))
        wait_for(lambda: len(receiver.received) >= 6, 60, "the first worker to start delivering")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        with committed_db.session_factory() as session:
            leased = session.exec(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.lease_token.is_not(None))
            ).one()
        assert leased > 0, "the worker was killed between batches, not in the middle of one"
        assert _delivered(committed_db) < 40

        workers.append(start_worker(env))
        wait_for(lambda: _delivered(committed_db) == 40, 60, "the second worker to deliver the rest")

        # Nothing lost: every message arrived, verified, at least once.
        received_ids = {r.webhook_id for r in receiver.received if r.status == 200}
        assert received_ids == expected
        assert receiver.unverified == 0
        # Repeats are possible (what the dead worker sent but never recorded); they are the same message,
        # so dropping them by webhook-id is safe.
        by_id: dict[str, set[bytes]] = {}
        for request in receiver.received:
            by_id.setdefault(request.webhook_id, set()).add(request.body)
        assert all(len(bodies) == 1 for bodies in by_id.values())
        assert len(receiver.ok()) == 40
    finally:
        for worker in workers:
            stop_worker(worker)
        receiver.stop()
    assert receiver.schema_errors == []


@pytest.mark.postgres_only
def test_two_workers_at_once_never_send_the_same_attempt_twice(committed_db):
    receiver = PartnerReceiver().start()
    receiver.default = Reply(200, delay=0.03)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        expected = _routed_tips(committed_db, receiver, 60)
        env = worker_env(committed_db, webhook_concurrency=2, webhook_batch_size=10)
        workers = [start_worker(env), start_worker(env)]
        wait_for(lambda: _delivered(committed_db) == len(expected), 90, "both workers to deliver everything")
        counts = Counter(r.webhook_id for r in receiver.received)
        assert set(counts) == expected and max(counts.values()) == 1
        with committed_db.session_factory() as session:
            attempts = session.exec(select(WebhookAttempt.delivery_id, WebhookAttempt.worker)).all()
        assert len(attempts) == len(expected) == len({delivery for delivery, _ in attempts})
        assert len({worker for _, worker in attempts}) == 2, "both workers should have taken a share"
    finally:
        for worker in workers:
            stop_worker(worker)
        receiver.stop()
