"""Sending the outbox: claim due deliveries, POST them signed, record every attempt, retry or dead-letter.

Claims are short transactions: due rows are taken with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one
writer at a time) and given a lease (`next_attempt_at` moves past the lease, `lease_token` names the claim).
No transaction is open while partners are called. A worker killed mid-batch loses nothing: its leases run out
and another worker sends those deliveries again (delivery is at least once; `webhook-id` lets the partner
drop a repeat). A result is applied only by the claim that still holds the lease, so two workers never make
the same attempt, and a delivery is never started when its lease could run out before the request ends.

Within a worker, requests run on a thread pool with one pooled httpx client, at most
`webhook_endpoint_concurrency` at a time per endpoint, so one slow partner cannot hold every slot. Results
are written in batches. Logs name ids, status codes and timings only: never the body or a secret.
"""

from __future__ import annotations

import email.utils
import os
import queue
import random
import secrets
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
import structlog
from prometheus_client import Counter as MetricCounter
from prometheus_client import Histogram
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from hotline.core.audit import service as audit_service
from hotline.core.config import Settings
from hotline.core.database import is_postgres, utcnow
from hotline.referrals import service as referral_service
from hotline.referrals.models import SupervisorAlert
from integrations.webhooks import service as webhook_service
from integrations.webhooks import signing
from integrations.webhooks.channel import NOTIFY_CHANNEL
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger(__name__)

EXCERPT_BYTES = 1024
USER_AGENT = "hotline-webhooks/1"
# Statuses that mean "not now" rather than "not this": retried on the full schedule.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# How often the loop looks again for due work when a claim found none, and the most results one write holds.
FLUSH_SECONDS = 0.1
FLUSH_SIZE = 200
# A delivery loop returns after this long even with work left, so the worker's other jobs get their turn.
RUN_BUDGET_SECONDS = 5.0
# Claimed deliveries held ready per request slot: enough that the pool never waits for a claim, few enough
# that none waits long for its turn (its lease runs meanwhile).
BUFFER_FACTOR = 4
# How long the recorder waits for more results before it writes what it has.
RECORD_WAIT_SECONDS = 0.02

ATTEMPTS = MetricCounter(
    "hotline_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, retry, failed, held, disabled, stale)",
    ["outcome"],
)
ATTEMPT_LATENCY = Histogram(
    "hotline_webhook_attempt_seconds",
    "Webhook delivery attempt latency",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    message_id: str
    endpoint_id: uuid.UUID
    agency_id: str
    referral_id: uuid.UUID
    event_type: str
    url: str
    body: str
    secrets: tuple[str, ...]
    lease_token: str
    # When the claim's lease runs out (time.monotonic() of this process).
    lease_deadline: float


@dataclass(slots=True)
class AttemptResult:
    claimed: Claimed
    attempted_at: datetime
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    # False: not sent (its lease could have run out first); the delivery is released for the next claim.
    sent: bool = True


def claim_due(
    *,
    session_factory: sessionmaker[Session],
    limit: int,
    lease: timedelta,
    now: datetime | None = None,
) -> list[Claimed]:
    """Take up to `limit` due deliveries for this worker, in one short transaction."""
    table = WebhookDelivery.__table__
    endpoints = WebhookEndpoint.__table__
    with session_factory() as session:
        now = now or utcnow()
        due = (
            sa.select(table.c.id)
            .where(table.c.status == "pending", table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at)
            .limit(limit)
        )
        if is_postgres(session):
            due = due.with_for_update(skip_locked=True)
        ids = list(session.execute(due).scalars())
        if not ids:
            session.rollback()
            return []
        token = secrets.token_hex(8)
        session.execute(
            sa.update(table).where(table.c.id.in_(ids)).values(next_attempt_at=now + lease, lease_token=token)
        )
        rows = session.execute(
            sa.select(
                table.c.id,
                table.c.message_id,
                table.c.endpoint_id,
                table.c.agency_id,
                table.c.referral_id,
                table.c.event_type,
                table.c.body,
                endpoints.c.url,
                endpoints.c.secret,
                endpoints.c.previous_secret,
                endpoints.c.previous_secret_expires_at,
            )
            .join(endpoints, endpoints.c.id == table.c.endpoint_id)
            .where(table.c.id.in_(ids))
            .order_by(table.c.next_attempt_at, table.c.created_at)
        ).all()
        session.commit()
    deadline = time.monotonic() + lease.total_seconds()
    claimed = []
    for row in rows:
        secrets_ = signing.secrets_in_use(
            row.secret, row.previous_secret, row.previous_secret_expires_at, now=now
        )
        claimed.append(
            Claimed(
                delivery_id=row.id,
                message_id=row.message_id,
                endpoint_id=row.endpoint_id,
                agency_id=row.agency_id,
                referral_id=row.referral_id,
                event_type=row.event_type,
                url=row.url,
                body=row.body,
                secrets=tuple(secrets_),
                lease_token=token,
                lease_deadline=deadline,
            )
        )
    return claimed


# Sending


def _error_code(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "read_timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect_error"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol_error"
    return "http_error:" + type(exc).__name__


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def _excerpt(response: httpx.Response) -> str:
    collected = bytearray()
    for chunk in response.iter_bytes():
        collected.extend(chunk)
        if len(collected) >= EXCERPT_BYTES:
            break
    # PostgreSQL text cannot hold NUL; nothing a person reads is lost.
    return bytes(collected[:EXCERPT_BYTES]).decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def send(client: httpx.Client, claimed: Claimed) -> AttemptResult:
    """One signed POST of the exact stored body."""
    now = utcnow()
    timestamp = signing.attempt_time(now)
    headers = signing.headers(
        message_id=claimed.message_id, timestamp=timestamp, body=claimed.body, secrets_=list(claimed.secrets)
    )
    result = AttemptResult(claimed=claimed, attempted_at=now)
    started = time.perf_counter()
    try:
        with client.stream("POST", claimed.url, content=claimed.body.encode(), headers=headers) as response:
            result.status_code = response.status_code
            result.excerpt = _excerpt(response)
            result.retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        if not 200 <= response.status_code < 300:
            result.error = f"http_{response.status_code}"
    except httpx.HTTPError as exc:
        result.error = _error_code(exc)
    except Exception as exc:  # a bug or an unusual URL must not lose the attempt
        result.error = "error:" + type(exc).__name__
    elapsed = time.perf_counter() - started
    result.latency_ms = round(elapsed * 1000)
    ATTEMPT_LATENCY.observe(elapsed)
    return result


# Recording


def classify(result: AttemptResult) -> str:
    """success | gone | retryable | client_error"""
    status = result.status_code
    if status is None:
        return "retryable"  # timeouts, refused connections, broken responses
    if 200 <= status < 300:
        return "success"
    if status == 410:
        return "gone"
    if status >= 500 or status in RETRYABLE_STATUSES:
        return "retryable"
    return "client_error"


def retry_delay(*, attempts: int, settings: Settings, retry_after: float | None) -> float | None:
    """Seconds before the next attempt after `attempts` failed ones, or None when none is left."""
    delays = settings.webhook_retry_delays
    if attempts >= len(delays):
        return None
    delay = delays[attempts]
    jitter = settings.webhook_retry_jitter
    if delay and jitter:
        delay *= 1 + random.uniform(-jitter, jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(settings.webhook_retry_after_max_seconds)))
    return delay


@dataclass
class RecordReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def attempts(self) -> int:
        return sum(count for outcome, count in self.outcomes.items() if outcome != "released")


# What every recorded attempt sets on its delivery, in one executemany UPDATE per batch.
_UPDATE_DELIVERY = (
    sa.update(WebhookDelivery.__table__)
    .where(WebhookDelivery.__table__.c.id == sa.bindparam("b_id"))
    .values(
        status=sa.bindparam("b_status"),
        attempts=sa.bindparam("b_attempts"),
        next_attempt_at=sa.bindparam("b_next_attempt_at"),
        lease_token=None,
        last_attempt_at=sa.bindparam("b_last_attempt_at"),
        last_status_code=sa.bindparam("b_last_status_code"),
        last_error=sa.bindparam("b_last_error"),
        delivered_at=sa.bindparam("b_delivered_at"),
    )
)


def record_results(
    *,
    session_factory: sessionmaker[Session],
    results: list[AttemptResult],
    settings: Settings,
    worker: str,
) -> RecordReport:
    """Store every attempt and what it decided, in one transaction.

    The common outcomes (delivered, retry) are written in bulk; the rare ones (dead letter, an endpoint to
    disable) go through the service functions, which alert supervisors and audit.
    """
    report = RecordReport()
    if not results:
        return report
    table = WebhookDelivery.__table__
    with session_factory() as session:
        now = utcnow()
        rows = session.execute(
            sa.select(
                table.c.id,
                table.c.lease_token,
                table.c.status,
                table.c.attempts,
                table.c.event_type,
                table.c.referral_id,
            ).where(table.c.id.in_([result.claimed.delivery_id for result in results]))
        ).all()
        current = {row.id: row for row in rows}
        endpoints = {
            endpoint.id: endpoint
            for endpoint in session.exec(
                select(WebhookEndpoint).where(
                    col(WebhookEndpoint.id).in_({result.claimed.endpoint_id for result in results})
                )
            ).all()
        }
        failing_cutoff = now - timedelta(hours=settings.webhook_disable_after_hours)
        updates: list[dict[str, object]] = []
        attempts: list[dict[str, object]] = []
        released: list[uuid.UUID] = []
        special: list[tuple[AttemptResult, str, int]] = []
        delivered: list[AttemptResult] = []
        for result in results:
            claimed = result.claimed
            row = current.get(claimed.delivery_id)
            ours = (
                row is not None
                and row.lease_token == claimed.lease_token
                and row.status in {"pending", "held"}
            )
            if not result.sent:
                if ours and row is not None and row.status == "pending":
                    released.append(claimed.delivery_id)
                report.outcomes["released"] += 1
                continue
            verdict = classify(result)
            endpoint = endpoints[claimed.endpoint_id]
            if verdict == "success":
                endpoint.last_success_at, endpoint.failing_since = now, None
            else:
                endpoint.last_failure_at = now
                endpoint.failing_since = endpoint.failing_since or result.attempted_at
            number = (row.attempts if row is not None else 0) + 1
            next_at: datetime | None = None
            if not ours or row is None:
                # The lease passed to another claim: the attempt happened, its result is not ours to apply.
                outcome = "stale"
            elif verdict == "success":
                outcome = "delivered"
                delivered.append(result)
                updates.append(_update_row(result, number, status="delivered", next_at=now, delivered_at=now))
            else:
                outcome, next_at = _after_failure(
                    result, verdict, row.status, number, endpoint, settings, failing_cutoff
                )
                if outcome == "special":
                    special.append((result, verdict, number))
                else:
                    status = "held" if outcome == "held" else "pending"
                    updates.append(_update_row(result, number, status=status, next_at=next_at or now))
            if outcome != "special":
                attempts.append(_attempt_row(result, number, outcome, next_at, worker))
                _count_and_log(report, result, number, outcome, next_at, now)
        if updates:
            session.execute(_UPDATE_DELIVERY, updates)
        if released:
            session.execute(
                sa.update(table).where(table.c.id.in_(released)).values(next_attempt_at=now, lease_token=None)
            )
        for result, verdict, number in special:
            endpoint = endpoints[result.claimed.endpoint_id]
            outcome = _apply_rare(session, result, verdict, number, endpoint, now, failing_cutoff)
            attempts.append(_attempt_row(result, number, outcome, None, worker))
            _count_and_log(report, result, number, outcome, None, now)
        session.execute(sa.insert(WebhookAttempt.__table__), attempts)
        if delivered:
            _record_delivered(session, delivered, current, now)
        session.commit()
    return report


def _update_row(
    result: AttemptResult,
    number: int,
    *,
    status: str,
    next_at: datetime,
    delivered_at: datetime | None = None,
) -> dict[str, object]:
    return {
        "b_id": result.claimed.delivery_id,
        "b_status": status,
        "b_attempts": number,
        "b_next_attempt_at": next_at,
        "b_last_attempt_at": result.attempted_at,
        "b_last_status_code": result.status_code,
        "b_last_error": result.error,
        "b_delivered_at": delivered_at,
    }


def _attempt_row(
    result: AttemptResult, number: int, outcome: str, next_at: datetime | None, worker: str
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "delivery_id": result.claimed.delivery_id,
        "number": number,
        "attempted_at": result.attempted_at,
        "status_code": result.status_code,
        "latency_ms": result.latency_ms,
        "error": result.error,
        "response_excerpt": result.excerpt,
        "outcome": outcome,
        "next_attempt_at": next_at,
        "worker": worker,
    }


def _count_and_log(
    report: RecordReport,
    result: AttemptResult,
    number: int,
    outcome: str,
    next_at: datetime | None,
    now: datetime,
) -> None:
    report.outcomes[outcome] += 1
    ATTEMPTS.labels(outcome=outcome).inc()
    claimed = result.claimed
    log.info(
        "webhook_attempt",
        delivery_id=str(claimed.delivery_id),
        webhook_id=claimed.message_id,
        endpoint_id=str(claimed.endpoint_id),
        agency_id=claimed.agency_id,
        event_type=claimed.event_type,
        attempt=number,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        outcome=outcome,
        retry_in_seconds=round((next_at - now).total_seconds(), 1) if next_at else None,
    )


def _after_failure(
    result: AttemptResult,
    verdict: str,
    status: str,
    number: int,
    endpoint: WebhookEndpoint,
    settings: Settings,
    failing_cutoff: datetime,
) -> tuple[str, datetime | None]:
    """(retry, next attempt), (held, None) or (special, None): a dead letter or an endpoint to disable."""
    if verdict == "gone":
        return "special", None
    if status == "held":
        return "held", None
    if endpoint.status == "active" and endpoint.failing_since and endpoint.failing_since <= failing_cutoff:
        return "special", None
    budget = len(settings.webhook_retry_delays)
    if verdict == "client_error":
        budget = min(budget, settings.webhook_client_error_attempts)
    if number >= budget:
        return "special", None
    delay = retry_delay(attempts=number, settings=settings, retry_after=result.retry_after)
    if delay is None:
        return "special", None
    return "retry", utcnow() + timedelta(seconds=delay)


def _apply_rare(
    session: Session,
    result: AttemptResult,
    verdict: str,
    number: int,
    endpoint: WebhookEndpoint,
    now: datetime,
    failing_cutoff: datetime,
) -> str:
    """A 410, the end of days of failures (the endpoint is disabled), or the last attempt (a dead letter)."""
    delivery = session.get(WebhookDelivery, result.claimed.delivery_id)
    assert delivery is not None
    delivery.attempts = number
    delivery.last_attempt_at = result.attempted_at
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.lease_token = None
    failing_too_long = endpoint.failing_since is not None and endpoint.failing_since <= failing_cutoff
    if endpoint.status == "active" and (verdict == "gone" or failing_too_long):
        webhook_service.disable_endpoint(
            session=session,
            endpoint=endpoint,
            reason="gone" if verdict == "gone" else "failing",
            actor=referral_service.WORKER_ACTOR,
            detail={
                "delivery_id": str(delivery.id),
                "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
            },
        )
        delivery.status = "held"
        return "disabled"
    if endpoint.status == "disabled":
        # Disabled by another attempt of this batch: wait for it to be enabled rather than give up.
        delivery.status = "held"
        return "held"
    _dead_letter(session, delivery, endpoint, now)
    return "failed"


def _record_delivered(
    session: Session, delivered: list[AttemptResult], current: dict[uuid.UUID, sa.Row[Any]], now: datetime
) -> None:
    """Referrals whose created or updated event arrived are `delivered`; one audit event lists the batch."""
    referral_ids = [
        current[result.claimed.delivery_id].referral_id
        for result in delivered
        if result.claimed.event_type != "referral.withdrawn"
    ]
    referral_service.mark_delivered(session=session, referral_ids=referral_ids, at=now)
    audit_service.record(
        session,
        actor=referral_service.WORKER_ACTOR,
        action="webhook.delivered",
        subject_type="webhook_delivery",
        subject_id=delivered[0].claimed.delivery_id if len(delivered) == 1 else "batch",
        detail={
            "deliveries": [
                {
                    "delivery_id": str(result.claimed.delivery_id),
                    "referral_id": str(result.claimed.referral_id),
                    "agency_id": result.claimed.agency_id,
                    "event_type": result.claimed.event_type,
                    "status_code": result.status_code,
                }
                for result in delivered
            ]
        },
    )


def _dead_letter(
    session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime
) -> None:
    delivery.status, delivery.dead_lettered_at = "failed", now
    audit_service.record(
        session,
        actor=referral_service.WORKER_ACTOR,
        action="webhook.dead_lettered",
        subject_type="webhook_delivery",
        subject_id=delivery.id,
        detail={
            "referral_id": str(delivery.referral_id),
            "agency_id": delivery.agency_id,
            "event_type": delivery.event_type,
            "attempts": delivery.attempts,
            "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
        },
    )
    # One open alert per endpoint counts its dead letters, rather than one alert each.
    open_alert = session.exec(
        select(SupervisorAlert).where(
            SupervisorAlert.kind == "delivery_dead_lettered",
            SupervisorAlert.endpoint_id == endpoint.id,
            col(SupervisorAlert.acknowledged_at).is_(None),
        )
    ).first()
    if open_alert is not None:
        count = int(open_alert.detail.get("count", 1)) + 1
        open_alert.detail = {**open_alert.detail, "count": count, "latest_delivery_id": str(delivery.id)}
        open_alert.summary = _dead_letter_summary(delivery, count)
        return
    referral_service.raise_alert(
        session=session,
        kind="delivery_dead_lettered",
        summary=_dead_letter_summary(delivery, 1),
        agency_id=delivery.agency_id,
        referral_id=delivery.referral_id,
        delivery_id=delivery.id,
        endpoint_id=endpoint.id,
        detail={"count": 1, "latest_delivery_id": str(delivery.id), "last_error": delivery.last_error},
    )


def _dead_letter_summary(delivery: WebhookDelivery, count: int) -> str:
    what = "A delivery" if count == 1 else f"{count} deliveries"
    return (
        f"{what} to {delivery.agency_id} failed every attempt (last: {delivery.last_error}). "
        "Phone the agency, then replay once its endpoint works."
    )


# The loop


class Wakeup:
    """Waits for new work: LISTEN/NOTIFY on PostgreSQL (a commit wakes the worker), a sleep on SQLite."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._connection = None
        self._postgres = database_url.startswith("postgresql")

    def _listen(self):  # type: ignore[no-untyped-def]
        if self._connection is None or self._connection.closed:
            import psycopg

            url = sa.make_url(self._url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._connection = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self._connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return self._connection

    def wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if not self._postgres:
            time.sleep(seconds)
            return
        try:
            connection = self._listen()
            for _ in connection.notifies(timeout=seconds, stop_after=1):
                break
        except Exception:
            # The database went away: fall back to polling; the next wait reconnects.
            log.warning("webhook_listen_failed")
            self.close()
            time.sleep(seconds)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class Recorder:
    """Writes attempt results on its own thread, in batches of whatever has arrived, so that sending never
    waits for the database. A batch that cannot be written is logged; its deliveries keep their lease and
    are sent again when it runs out (at least once)."""

    def __init__(self, record: Callable[[list[AttemptResult]], int]) -> None:
        self._record = record
        self._queue: queue.SimpleQueue[AttemptResult | None] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._pending = 0
        self._handled = 0
        self._thread: threading.Thread | None = None

    def put(self, result: AttemptResult) -> None:
        with self._done:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="webhook-recorder", daemon=True)
                self._thread.start()
        self._queue.put(result)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            # Wait a moment for more: one write of many results costs little more than one of a few.
            until = time.monotonic() + RECORD_WAIT_SECONDS
            while len(batch) < FLUSH_SIZE:
                try:
                    item = self._queue.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                handled = self._record(batch)
            except Exception:
                log.exception("webhook_results_not_recorded", results=len(batch))
                handled = 0
            with self._done:
                self._handled += handled
                self._pending -= len(batch)
                self._done.notify_all()
            if stop:
                return

    def drain(self) -> int:
        """Wait until everything put so far is written; the attempts recorded since the last drain."""
        with self._done:
            self._done.wait_for(lambda: self._pending == 0)
            handled, self._handled = self._handled, 0
            return handled

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None


class Dispatcher:
    """One worker's delivery machinery: the httpx client, the thread pool, the recorder and the
    claim/send loop.

    `serialize_database`: claims and records take turns on one lock (tests, whose sessions share one
    connection); a worker lets them overlap, each on its own pooled connection.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        serialize_database: bool = False,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.concurrency = settings.webhook_concurrency
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(
                connect=settings.webhook_connect_timeout_seconds,
                read=settings.webhook_read_timeout_seconds,
                write=settings.webhook_read_timeout_seconds,
                pool=settings.webhook_read_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=self.concurrency * 2, max_keepalive_connections=self.concurrency * 2
            ),
            headers={"user-agent": USER_AGENT},
            follow_redirects=False,
        )
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="webhook")
        self.recorder = Recorder(self._record)
        self.wakeup = Wakeup(settings.database_url)
        self.worker = worker_name()
        self.clock = clock
        self._run_lock = threading.Lock()
        self._database_lock: threading.Lock | None = threading.Lock() if serialize_database else None
        # The longest one request can take: a delivery is not started later than this before its lease ends.
        self.request_budget = (
            settings.webhook_connect_timeout_seconds + 2 * settings.webhook_read_timeout_seconds + 1.0
        )

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.recorder.close()
        self.client.close()
        self.wakeup.close()

    def _claim(self, room: int) -> list[Claimed]:
        with self._database_lock or nullcontext():
            return claim_due(
                session_factory=self.session_factory,
                limit=min(room, self.settings.webhook_batch_size),
                lease=timedelta(seconds=self.settings.webhook_lease_seconds),
            )

    def _send(self, claimed: Claimed) -> AttemptResult:
        if self.clock() + self.request_budget > claimed.lease_deadline:
            result = AttemptResult(claimed=claimed, attempted_at=utcnow(), sent=False)
        else:
            result = send(self.client, claimed)
        self.recorder.put(result)
        return result

    def _record(self, results: list[AttemptResult]) -> int:
        with self._database_lock or nullcontext():
            report = record_results(
                session_factory=self.session_factory,
                results=results,
                settings=self.settings,
                worker=self.worker,
            )
        return report.attempts

    def run(self, *, budget: float = RUN_BUDGET_SECONDS, wait_for_work: bool = True) -> int:
        """Deliver what is due until nothing is or `budget` seconds have passed; returns attempts made.

        With nothing due, waits up to `webhook_poll_seconds` once for new work (unless `wait_for_work` is
        false). Claims only as much as the pool can start soon, so leases are not spent waiting.
        """
        with self._run_lock:
            return self._run(budget=budget, wait_for_work=wait_for_work)

    def _run(self, *, budget: float, wait_for_work: bool) -> int:
        deadline = self.clock() + budget
        capacity = self.concurrency
        per_endpoint = self.settings.webhook_endpoint_concurrency
        # Claim in batches (fewer transactions), but hold no more than a few rounds of the pool's work.
        buffer = max(self.settings.webhook_batch_size, BUFFER_FACTOR * capacity)
        min_claim = max(1, min(self.settings.webhook_batch_size, buffer) // 2)
        in_flight: dict[Future[AttemptResult], Claimed] = {}
        waiting: deque[Claimed] = deque()
        busy: Counter[uuid.UUID] = Counter()
        handled = 0
        waited = False
        # When a claim last found nothing: the next is not tried before FLUSH_SECONDS have passed.
        empty_at = float("-inf")
        while True:
            now = self.clock()
            room = buffer - len(in_flight) - len(waiting)
            if now < deadline and room >= min_claim and now - empty_at >= FLUSH_SECONDS:
                claimed = self._claim(room)
                if claimed:
                    waiting.extend(claimed)
                else:
                    empty_at = now
            # Start what the pool and each endpoint's share allow, in claim order.
            for _ in range(len(waiting)):
                if len(in_flight) >= capacity:
                    break
                item = waiting.popleft()
                if busy[item.endpoint_id] >= per_endpoint:
                    waiting.append(item)
                    continue
                busy[item.endpoint_id] += 1
                in_flight[self.pool.submit(self._send, item)] = item
            if not in_flight and not waiting:
                handled += self.recorder.drain()
                if self.clock() >= deadline or handled or waited or not wait_for_work:
                    return handled
                # Nothing was due: wait once for new work (a NOTIFY on PostgreSQL), then look again.
                self.wakeup.wait(min(self.settings.webhook_poll_seconds, deadline - self.clock()))
                waited, empty_at = True, float("-inf")
                continue
            done, _ = wait(in_flight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                item = in_flight.pop(future)
                busy[item.endpoint_id] -= 1


class DeliveryJob:
    """The `webhook-deliveries` worker job: one Dispatcher per worker process, made on first use.

    The job is always due; when a run fails (the database is unreachable), it waits before the worker calls
    it again, longer each time up to half a minute, rather than spin.
    """

    MAX_BACKOFF_SECONDS = 30.0

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._dispatcher: Dispatcher | None = None
        self._sleep = sleep
        self._failures = 0

    def __call__(self, context) -> int:  # type: ignore[no-untyped-def]
        try:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(
                    settings=context.settings, session_factory=context.session_factory
                )
            handled = self._dispatcher.run()
        except Exception:
            self._failures += 1
            self._sleep(min(self.MAX_BACKOFF_SECONDS, 0.5 * 2**self._failures))
            raise
        self._failures = 0
        return handled
