"""Partner webhook deliveries per second on PostgreSQL with one and with two `hotline worker` processes, and
the time from a decision's commit to its delivery, against a local receiver that verifies every signature.

    .venv/bin/python bench/webhooks.py [--deliveries 10000] [--live 2000] [--rate 100] [--workers 1,2]

For each worker count:
1. backlog: `--deliveries` deliveries (half as many routed tips: each goes to cps-tx and le-tx, both with
   endpoints) are committed first, then the workers start and drain them. Deliveries/s is the count divided
   by the time from the first arrival at the receiver to the last (a worker's start-up is not counted).
2. live: with the workers running and idle, tips are routed and committed in small batches at `--rate`
   decisions/s until `--live` deliveries were made; p50/p99 is from each decision's commit to the arrival of
   its delivery at the receiver (the workers are woken by LISTEN/NOTIFY).

The workers are real `hotline worker` processes with default settings and LOG_LEVEL=INFO (every attempt is
logged, to /dev/null). The receiver is a separate process (asyncio, uvloop when installed) that verifies each
request with `standardwebhooks` and drops repeats by webhook-id; it shares the machine's cores with the
workers and PostgreSQL, so the figures are for the whole loop on one box. Uses its own database
(`bench_webhooks` at 127.0.0.1:5432, user postgres, trust auth), dropped at the end. Target: >= 500
deliveries/s with one worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "bench_webhooks"
AGENCIES = ("cps-tx", "le-tx")
BATCH = 50


# The receiver (a separate process)


def serve_receiver(port: int, secrets: dict[str, str]) -> None:
    """Verify every POST with standardwebhooks; keep each webhook-id's first arrival time."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    verifiers = {f"/{name}": Webhook(secret) for name, secret in secrets.items()}
    arrivals: dict[str, float] = {}
    counters = {"requests": 0, "repeats": 0, "unverified": 0}
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    def answer_json(transport: asyncio.Transport, value: Any) -> None:
        body = json.dumps(value).encode()
        transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]
            self.buffer = bytearray()

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if len(self.buffer) < end + 4 + length:
                    return
                body = bytes(self.buffer[end + 4 : end + 4 + length])
                del self.buffer[: end + 4 + length]
                method, path, _ = lines[0].split(" ", 2)
                if method == "GET":
                    if path == "/stats":
                        answer_json(self.transport, {**counters, "unique": len(arrivals)})
                    else:
                        answer_json(self.transport, arrivals)
                    continue
                now = time.time()
                counters["requests"] += 1
                try:
                    verifiers[path].verify(body, headers, json_parse=False)
                except (KeyError, WebhookVerificationError):
                    counters["unverified"] += 1
                    self.transport.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                    continue
                webhook_id = headers["webhook-id"]
                if webhook_id in arrivals:
                    counters["repeats"] += 1
                else:
                    arrivals[webhook_id] = now
                self.transport.write(ok)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port, backlog=512)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


# The database side


def _admin(statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _facts():  # type: ignore[no-untyped-def]
    from routing.facts import RoutingFacts

    return RoutingFacts(
        state="TX",
        county="Harris",
        jurisdiction_source="state",
        minor_status="confirmed",
        min_age=15,
        trafficking_type="sex",
        urgency="high",
        immediate_danger=False,
    )


def route_batch(factory, settings, count: int) -> tuple[float, list[str]]:  # type: ignore[no-untyped-def]
    """Store and route `count` tips in one transaction; (commit time, webhook-ids of its deliveries)."""
    from sqlmodel import col, select

    from hotline.core.actor import system_actor
    from hotline.decisions import service as decision_service
    from hotline.referrals import service as referral_service
    from hotline.referrals.models import Referral
    from hotline.tips import service as tip_service
    from hotline.tips.schemas import TipIn
    from integrations.webhooks.models import WebhookDelivery
    from tests.support.factories import tip_payload

    actor = system_actor("bench")
    facts = _facts()
    with factory() as session:
        tips = []
        for _ in range(count):
            tip = tip_service.build_tip(tip_in=TipIn.model_validate(tip_payload()), actor=actor)
            # Routed here rather than by triage: not 'received', or the worker's triage recovery would route
            # it again (and send updates).
            tip.status = "triaged"
            session.add(tip)
            tips.append(tip)
        session.flush()
        for tip in tips:
            decision = decision_service.route_tip(
                session=session, tip=tip, case_id=None, facts=facts, actor=actor
            )
            referral_service.follow_decision(
                session=session, settings=settings, decision=decision, actor=actor
            )
        ids = list(
            session.exec(
                select(WebhookDelivery.message_id)
                .join(Referral, col(Referral.id) == col(WebhookDelivery.referral_id))
                .where(col(Referral.tip_id).in_([tip.id for tip in tips]))
            ).all()
        )
        session.commit()
        return time.time(), ids


def _start_workers(count: int, url: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "hotline", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(port: int, expected: dict[str, float], timeout: float) -> dict[str, float]:
    """Wait until every expected webhook-id has arrived; their arrival times."""
    deadline = time.monotonic() + timeout
    while True:
        stats = _get(port, "/stats")
        if stats["unique"] >= len(expected):
            arrivals = _get(port, "/dump")
            missing = [webhook_id for webhook_id in expected if webhook_id not in arrivals]
            if not missing:
                return arrivals
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {stats['unique']} deliveries arrived, {len(expected)} expected")
        time.sleep(0.2)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from hotline.core.actor import system_actor
    from hotline.core.config import Settings
    from hotline.core.database import create_db_engine, make_session_factory
    from hotline.core.logs import configure_logging
    from hotline.core.migrate import upgrade
    from integrations.webhooks import service as webhook_service

    configure_logging(level="WARNING")
    url = sa.make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DATABASE}"')
    receiver: subprocess.Popen[bytes] | None = None
    engine = None
    try:
        upgrade(url)
        engine = create_db_engine(url)
        factory = make_session_factory(engine)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        secrets: dict[str, str] = {}
        with factory() as session:
            for agency_id in AGENCIES:
                _, secrets[agency_id] = webhook_service.register_endpoint(
                    session=session,
                    agency_id=agency_id,
                    url=f"http://127.0.0.1:{port}/{agency_id}",
                    fields=None,
                    actor=system_actor("bench"),
                    settings=settings,
                )
            session.commit()
        receiver = subprocess.Popen(
            [sys.executable, __file__, "--serve-receiver", str(port), json.dumps(secrets)],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        with engine.connect() as connection:
            pg_version = connection.execute(sa.text("SHOW server_version")).scalar()
        print(
            f"{platform.machine()}, {os.cpu_count()} cores shared by workers, receiver and PostgreSQL "
            f"{pg_version}; Python {platform.python_version()}; worker defaults: concurrency "
            f"{settings.webhook_concurrency}, batch {settings.webhook_batch_size}; LOG_LEVEL=INFO"
        )
        rates: dict[int, float] = {}
        for workers_count in args.workers:
            # 1. Backlog.
            started = time.monotonic()
            committed: dict[str, float] = {}
            for _ in range(args.deliveries // (2 * BATCH)):
                at, ids = route_batch(factory, settings, BATCH)
                committed.update(dict.fromkeys(ids, at))
            load_seconds = time.monotonic() - started
            label = f"{workers_count} worker{'s' if workers_count > 1 else ''}"
            workers = _start_workers(workers_count, url)
            try:
                arrivals = _wait_for(port, committed, timeout=600)
                times = [arrivals[webhook_id] for webhook_id in committed]
                span = max(times) - min(times)
                rate = rates[workers_count] = len(committed) / span if span > 0 else float("inf")
                print(
                    f"{label}, backlog of {len(committed):,}: "
                    f"{rate:,.0f} deliveries/s (first to last arrival {span:.1f} s; routing and committing "
                    f"them took {load_seconds:.1f} s, {len(committed) / 2 / load_seconds:,.0f} decisions/s)"
                )
                # 2. Live: decisions committed at a steady rate while the workers run.
                live: dict[str, float] = {}
                batch = max(1, min(BATCH, args.rate // 10))
                interval = batch / args.rate
                next_at = time.monotonic()
                while len(live) < args.live:
                    at, ids = route_batch(factory, settings, batch)
                    live.update(dict.fromkeys(ids, at))
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.monotonic()))
                arrivals = _wait_for(port, live, timeout=600)
                latencies = [(arrivals[webhook_id] - at) * 1000 for webhook_id, at in live.items()]
                print(
                    f"{label}, live at {args.rate} decisions/s "
                    f"({2 * args.rate} deliveries/s), {len(live):,} deliveries: decision commit -> delivery "
                    f"p50 {_percentile(latencies, 0.5):.0f} ms, p99 {_percentile(latencies, 0.99):.0f} ms, "
                    f"mean {statistics.fmean(latencies):.0f} ms"
                )
            finally:
                _stop(workers)
        stats = _get(port, "/stats")
        print(
            f"receiver: {stats['unique']:,} distinct deliveries verified, {stats['repeats']} repeats "
            f"dropped, {stats['unverified']} unverified"
        )
        if 1 in rates:
            verdict = "met" if rates[1] >= 500 else "NOT met"
            print(f"target >= 500 deliveries/s with one worker: {verdict} ({rates[1]:,.0f})")
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(timeout=10)
        if engine is not None:
            engine.dispose()
        _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-receiver":
        serve_receiver(int(sys.argv[2]), json.loads(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000, help="backlog size per worker count")
    parser.add_argument("--live", type=int, default=2_000, help="deliveries made while the workers run")
    parser.add_argument(
        "--rate", type=int, default=100, help="decisions/s in the live phase (2 deliveries each)"
    )
    parser.add_argument(
        "--workers", type=lambda value: [int(n) for n in value.split(",")], default=[1, 2], help="e.g. 1,2"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
