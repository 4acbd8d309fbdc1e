"""Load: the real server (`hotline serve --workers N`, PostgreSQL) at a fixed arrival rate, then a check that
nothing was lost.

    .venv/bin/python bench/load.py --cases 100000                 # 60 s at 300 tips/s, 2 server processes
    .venv/bin/python bench/load.py --cases 1000000 --keep         # keep the seeded database for --reuse
    .venv/bin/python bench/load.py --reuse --rate 20                # a rate this machine sustains

Steps: a fresh PostgreSQL database (`bench_load`, through the postgres user at 127.0.0.1; dropped at the end
unless --keep), migrated, seeded with `--cases` existing cases by bench/dedup_latency.py's bulk seeder (cases,
tips, persons and the real blocking keys), webhook endpoints registered for every state's child-protective
services (so tips about minors become outbox deliveries, as `hotline partners add` does), one advocate key.
Then the server runs with HOTLINE_BENCH_ENDPOINTS=true and LOG_LEVEL=WARNING. First each endpoint's capacity:
a closed loop (`--capacity-concurrency` requests always outstanding, `--capacity-seconds`). Then the fixed
rate, open loop: requests leave on a timetable (`--rate` per second, from `--clients` processes), whatever the
answers do, and latency counts from the scheduled send time, so a slow server cannot hide its queue (no
coordinated omission), and one not answered `--timeout` seconds after its time is an error. The same load goes
first to `POST /bench/bare` (parse, authenticate, insert one row, commit: the ceiling of this framework and
database), then to `POST /api/v1/tips` with fresh reports (70 % of a stored situation, as dedup_latency makes
them).

After the server has stopped, the database is checked: every tip that got a 2xx is stored exactly once (by
external_id), triaged, in a case, routed (a routing decision), has one referral per routing target, and every
referral to an agency with an endpoint has its delivery in the outbox. Exit status 1 if anything is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LOG_LEVEL", "WARNING")

from bench.dedup_latency import open_store, percentile, reports

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parent.parent


# The database


def database_url(admin_url: str, name: str, *, fresh: bool) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if fresh:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare(factory) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The published ruleset and directory, a webhook endpoint for each state's CPS, and an advocate key."""
    from sqlmodel import select

    from hotline.agencies import service as agency_service
    from hotline.agencies.models import Agency
    from hotline.auth import service as auth_service
    from hotline.core.actor import Role, system_actor
    from hotline.core.config import get_settings
    from hotline.decisions import service as decision_service
    from hotline.ops.bench import BARE_TABLE_DDL
    from integrations.webhooks import service as webhook_service

    actor = system_actor("bench")
    settings = get_settings()
    with factory() as session:
        session.execute(sa.text(BARE_TABLE_DDL))
        agency_service.sync_directory(session=session, actor=actor)
        decision_service.ensure_active_ruleset(session=session, actor=actor)
        registered = []
        for agency_id in session.exec(select(Agency.id).where(Agency.id.startswith("cps-"))).all():  # type: ignore[attr-defined]
            if webhook_service.endpoint_for_agency(session=session, agency_id=agency_id) is None:
                # Nothing listens there: this benchmark measures intake; the worker is bench/webhooks.py's.
                webhook_service.register_endpoint(
                    session=session,
                    agency_id=agency_id,
                    url="http://127.0.0.1:9/hotline-bench",
                    fields=None,
                    actor=actor,
                    settings=settings,
                )
            registered.append(agency_id)
        _, key = auth_service.create_api_key(
            session=session, name=f"bench-{uuid.uuid4().hex[:6]}", role=Role.advocate, actor=actor
        )
        session.commit()
    return key, registered


# The server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, workers: int, metrics_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HOTLINE_BENCH_ENDPOINTS": "true",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    command = [sys.executable, "-m", "hotline", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become ready in 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# The load


@dataclass
class Outcome:
    external_id: str | None
    status: int | str  # an HTTP status, or the name of the client-side error (timeout, refused…)
    scheduled: float
    latency: float


async def _drive(
    url: str, key: str, bodies: list[dict[str, Any]], times: list[float], timeout: float, in_flight: int
) -> list[Outcome]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    # At most `in_flight` requests on the wire from this process; the others wait their turn here, and that
    # wait counts in their latency (it starts at the scheduled time). httpx's own pool never queues, because
    # its queue costs CPU per waiter and would slow the generator itself once the server falls behind.
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    slots = asyncio.Semaphore(in_flight)

    async def one(client: httpx.AsyncClient, body: dict[str, Any], scheduled: float) -> Outcome:
        status: int | str
        try:
            async with asyncio.timeout(timeout):
                async with slots:
                    response = await client.post(url, json=body, headers=headers)
                    status = response.status_code
        except TimeoutError:
            status = "timeout"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        return Outcome(body.get("external_id"), status, scheduled, time.monotonic() - scheduled)

    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        tasks = []
        for body, scheduled in zip(bodies, times, strict=True):
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, body, scheduled)))
        return await asyncio.gather(*tasks)


def _client(url, key, bodies, times, timeout, in_flight, out) -> None:  # type: ignore[no-untyped-def]
    out.put(asyncio.run(_drive(url, key, bodies, times, timeout, in_flight)))


def run_load(
    url: str,
    key: str,
    bodies: list[dict[str, Any]],
    *,
    rate: float,
    clients: int,
    timeout: float,
    in_flight: int,
) -> tuple[list[Outcome], float]:
    """Send `bodies` at `rate` per second from `clients` processes (request i leaves at start + i/rate);
    return the outcomes and the wall time from the first scheduled send to the last answer."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start = time.monotonic() + 1.0 + 0.3 * clients  # time for the clients to start
    times = [start + i / rate for i in range(len(bodies))]
    processes = [
        context.Process(
            target=_client,
            args=(url, key, bodies[k::clients], times[k::clients], timeout, in_flight, out),
            daemon=True,
        )
        for k in range(clients)
    ]
    for process in processes:
        process.start()
    outcomes: list[Outcome] = []
    while len(outcomes) < len(bodies):
        try:
            outcomes.extend(out.get(timeout=1))
        except queue.Empty:
            # A client that died would otherwise leave this waiting forever.
            if any(p.exitcode not in (None, 0) for p in processes):
                raise SystemExit("a load-generating process failed (see above)") from None
    for process in processes:
        process.join()
    # Throughput counts answers that succeeded, over the time until the last of them: timeouts after it would
    # otherwise dilute what the server managed.
    answered = [o for o in outcomes if _succeeded(o)] or outcomes
    finished = max(o.scheduled + o.latency for o in answered)
    return outcomes, finished - start


async def _saturate(
    url: str, key: str, bodies: list[dict[str, Any]], seconds: float, concurrency: int
) -> list[Outcome]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    pending = iter(bodies)
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + seconds

    async def loop(client: httpx.AsyncClient) -> None:
        # Closed loop: each of `concurrency` senders sends its next request as soon as it has an answer.
        for body in pending:
            if time.monotonic() >= deadline:
                return
            started = time.monotonic()
            try:
                status: int | str = (await client.post(url, json=body, headers=headers)).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            outcomes.append(Outcome(body.get("external_id"), status, started, time.monotonic() - started))

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(loop(client) for _ in range(concurrency)))
    return outcomes


def _saturating_client(url, key, bodies, seconds, concurrency, out) -> None:  # type: ignore[no-untyped-def]
    out.put(asyncio.run(_saturate(url, key, bodies, seconds, concurrency)))


def capacity(
    url: str, key: str, bodies: list[dict[str, Any]], *, seconds: float, clients: int, concurrency: int
) -> tuple[list[Outcome], float]:
    """The most the server answers per second: `concurrency` requests always outstanding (closed loop), for
    `seconds`. Returns the outcomes and the successes per second."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    share = max(1, concurrency // clients)
    processes = [
        context.Process(
            target=_saturating_client, args=(url, key, bodies[k::clients], seconds, share, out), daemon=True
        )
        for k in range(clients)
    ]
    for process in processes:
        process.start()
    outcomes: list[Outcome] = []
    received = 0
    while received < len(processes):
        try:
            outcomes.extend(out.get(timeout=1))
            received += 1
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise SystemExit("a load-generating process failed (see above)") from None
    for process in processes:
        process.join()
    ok = [o for o in outcomes if _succeeded(o)]
    if not ok:
        return outcomes, 0.0
    window = max(o.scheduled + o.latency for o in ok) - min(o.scheduled for o in outcomes)
    return outcomes, len(ok) / window


def _succeeded(outcome: Outcome) -> bool:
    return isinstance(outcome.status, int) and 200 <= outcome.status < 300


@dataclass
class Figures:
    label: str
    sent: int
    ok: int
    errors: dict[str, int]
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" {dict(sorted(self.errors.items()))}" if errors else ""
        return (
            f"{self.label}: {self.sent} sent, {self.ok} 2xx, {errors} errors{detail}; "
            f"{self.throughput:.1f}/s over {self.seconds:.1f} s; latency from scheduled send: "
            f"p50 {self.p50:.1f} ms  p95 {self.p95:.1f} ms  p99 {self.p99:.1f} ms  max {self.max:.1f} ms"
        )


def figures(label: str, outcomes: list[Outcome], seconds: float) -> Figures:
    ok = [o for o in outcomes if _succeeded(o)]
    errors: dict[str, int] = {}
    for o in outcomes:
        if o not in ok:
            errors[str(o.status)] = errors.get(str(o.status), 0) + 1
    ms = [1000 * o.latency for o in outcomes] or [0.0]
    return Figures(
        label,
        len(outcomes),
        len(ok),
        errors,
        seconds,
        percentile(ms, 0.5),
        percentile(ms, 0.95),
        percentile(ms, 0.99),
        max(ms),
    )


# The check


CHECKS = {
    "stored more than once": """
        SELECT count(*) FROM (SELECT external_id FROM tip WHERE channel = 'import' AND external_id = ANY(:ids)
                              GROUP BY external_id HAVING count(*) > 1) AS repeated""",
    "not triaged": """
        SELECT count(*) FROM tip WHERE channel = 'import' AND external_id = ANY(:ids)
        AND (status <> 'triaged' OR triage IS NULL)""",
    "in no case": """
        SELECT count(*) FROM tip t WHERE t.channel = 'import' AND t.external_id = ANY(:ids)
        AND NOT EXISTS (SELECT 1 FROM case_tip c WHERE c.tip_id = t.id)""",
    "not routed (no routing decision)": """
        SELECT count(*) FROM tip t WHERE t.channel = 'import' AND t.external_id = ANY(:ids)
        AND NOT EXISTS (SELECT 1 FROM routing_decision d WHERE d.tip_id = t.id)""",
    "decisions whose targets lack a referral": """
        SELECT count(*) FROM routing_decision d JOIN tip t ON t.id = d.tip_id
        WHERE t.channel = 'import' AND t.external_id = ANY(:ids)
        AND json_array_length(d.targets::json)
            <> (SELECT count(*) FROM referral r WHERE r.decision_id = d.id)""",
    "webhook referrals without an outbox delivery": """
        SELECT count(*) FROM referral r JOIN tip t ON t.id = r.tip_id
        WHERE t.channel = 'import' AND t.external_id = ANY(:ids) AND r.channel = 'webhook'
        AND NOT EXISTS (SELECT 1 FROM webhook_delivery w WHERE w.referral_id = r.id)""",
    "referrals to a partner with an endpoint not sent by webhook": """
        SELECT count(*) FROM referral r JOIN tip t ON t.id = r.tip_id
        WHERE t.channel = 'import' AND t.external_id = ANY(:ids) AND r.channel <> 'webhook'
        AND EXISTS (SELECT 1 FROM webhook_endpoint e WHERE e.agency_id = r.agency_id)""",
}


def check(engine: sa.Engine, acknowledged: list[str]) -> tuple[list[str], dict[str, int]]:
    """Problems found (empty: nothing lost) and what the acknowledged tips produced."""
    problems = []
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text(
                "SELECT count(DISTINCT external_id) FROM tip"
                " WHERE channel = 'import' AND external_id = ANY(:ids)"
            ),
            {"ids": acknowledged},
        ).scalar_one()
        if stored != len(acknowledged):
            problems.append(f"acknowledged but not stored: {len(acknowledged) - stored}")
        for what, query in CHECKS.items():
            count = connection.execute(sa.text(query), {"ids": acknowledged}).scalar_one()
            if count:
                problems.append(f"{what}: {count}")
        produced = {
            name: connection.execute(sa.text(query), {"ids": acknowledged}).scalar_one()
            for name, query in {
                "tips": "SELECT count(*) FROM tip WHERE channel = 'import' AND external_id = ANY(:ids)",
                "referrals": """SELECT count(*) FROM referral r JOIN tip t ON t.id = r.tip_id
                                WHERE t.channel = 'import' AND t.external_id = ANY(:ids)""",
                "outbox deliveries": """SELECT count(*) FROM webhook_delivery w
                                JOIN referral r ON r.id = w.referral_id JOIN tip t ON t.id = r.tip_id
                                WHERE t.channel = 'import' AND t.external_id = ANY(:ids)""",
                "linked to an existing case": """SELECT count(*) FROM tip t JOIN case_tip c ON c.tip_id = t.id
                                WHERE t.channel = 'import' AND t.external_id = ANY(:ids)
                                AND c.action <> 'new'""",
            }.items()
        }
    return problems, produced


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load, per endpoint")
    parser.add_argument("--rate", type=float, default=300, help="requests per second (fixed arrival rate)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="existing cases seeded before the load")
    parser.add_argument("--workers", type=int, default=2, help="server processes (uvicorn --workers)")
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument(
        "--timeout", type=float, default=10, help="per request, from its scheduled time: then an error"
    )
    parser.add_argument(
        "--in-flight", type=int, default=64, help="requests on the wire at once, per client process"
    )
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before each measured run")
    parser.add_argument("--skip-bare", action="store_true", help="no fixed-rate run on the bare endpoint")
    parser.add_argument(
        "--capacity-seconds",
        type=float,
        default=20,
        help="closed-loop run on each endpoint first, to measure its ceiling (0: none)",
    )
    parser.add_argument("--capacity-concurrency", type=int, default=32, help="outstanding requests then")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-name", default="bench_load")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument(
        "--keep", action="store_true", help="leave the database (and its seeded cases) in place"
    )
    parser.add_argument("--reuse", action="store_true", help="start from a database kept by --keep")
    parser.add_argument(
        "--state",
        default=str(Path(tempfile.gettempdir()) / "bench_load_state.pickle"),
        help="with --keep / --reuse: where the seeder's sample of situations is kept between runs",
    )
    args = parser.parse_args()

    url = database_url(args.pg_admin_url, args.database_name, fresh=not args.reuse)
    engine, factory, seeder = open_store(url, seed=args.seed)
    server = None
    failed = False
    try:
        if args.reuse:
            seeder.restore(Path(args.state))
        seconds = seeder.grow_to(args.cases)
        seeder.analyze()
        print(f"store: {seeder.count:,} existing cases (seeded in {seconds:.0f} s)", flush=True)
        key, partners = prepare(factory)
        print(f"partners with a webhook endpoint: {len(partners)} (every state's CPS)", flush=True)

        count = round(args.rate * args.duration)
        warm = round(args.rate * args.warmup)
        payloads = reports(seeder, count + warm)
        # Reports for the capacity runs (more than this server can take in that time).
        extra = reports(seeder, round(args.capacity_seconds * 150))
        with tempfile.TemporaryDirectory() as metrics_dir:
            port = free_port()
            server = start_server(url, port, args.workers, metrics_dir)
            base = f"http://127.0.0.1:{port}"
            load = {
                "rate": args.rate,
                "clients": args.clients,
                "timeout": args.timeout,
                "in_flight": args.in_flight,
            }
            results: dict[str, Figures] = {}
            acknowledged: list[str] = []
            ceiling: dict[str, float] = {}
            if args.capacity_seconds:
                # Capacity first (closed loop): what each endpoint answers per second at most, here.
                bare = [{"n": i, "narrative": "bench"} for i in range(round(args.capacity_seconds * 3000))]
                saturate = {
                    "seconds": args.capacity_seconds,
                    "clients": args.clients,
                    "concurrency": args.capacity_concurrency,
                }
                _, ceiling["bare"] = capacity(f"{base}/bench/bare", key, bare, **saturate)
                outcomes, ceiling["tips"] = capacity(f"{base}/api/v1/tips", key, extra, **saturate)
                acknowledged += [o.external_id for o in outcomes if _succeeded(o)]  # type: ignore[misc]
                print(
                    f"capacity ({args.capacity_concurrency} requests outstanding, "
                    f"{args.capacity_seconds:g} s each): bare endpoint {ceiling['bare']:.1f}/s, "
                    f"tips {ceiling['tips']:.1f}/s",
                    flush=True,
                )
            if not args.skip_bare:
                bare = [{"n": i, "narrative": "bench"} for i in range(count + warm)]
                if warm:
                    run_load(f"{base}/bench/bare", key, bare[:warm], **load)
                outcomes, seconds = run_load(f"{base}/bench/bare", key, bare[warm:], **load)
                results["bare"] = figures("bare endpoint (one insert)", outcomes, seconds)
                print(results["bare"].line(), flush=True)
            if warm:
                outcomes, _ = run_load(f"{base}/api/v1/tips", key, payloads[:warm], **load)
                acknowledged += [o.external_id for o in outcomes if _succeeded(o)]  # type: ignore[misc]
            outcomes, seconds = run_load(f"{base}/api/v1/tips", key, payloads[warm:], **load)
            results["tips"] = figures("tips (store, dedup, triage, route, outbox)", outcomes, seconds)
            print(results["tips"].line(), flush=True)
            acknowledged += [o.external_id for o in outcomes if _succeeded(o)]  # type: ignore[misc]
            # Stop the server first: whatever it was still doing is finished (or abandoned) before the check.
            stop_server(server)
            server = None

        problems, produced = check(engine, acknowledged)
        tips = results["tips"]
        print(
            f"summary: {seeder.count:,} cases, offered {args.rate:g}/s for {args.duration:g} s, "
            f"{args.workers} server processes"
        )
        print(
            f"  tips: {tips.throughput:.1f}/s, p50 {tips.p50:.1f} ms, p95 {tips.p95:.1f} ms, "
            f"p99 {tips.p99:.1f} ms, errors {sum(tips.errors.values())}"
        )
        if "bare" in results:
            ratio = tips.throughput / results["bare"].throughput if results["bare"].throughput else 0.0
            print(
                f"  bare: {results['bare'].throughput:.1f}/s, p99 {results['bare'].p99:.1f} ms; "
                f"ratio tips/bare throughput at this rate {ratio:.2f}"
            )
        if ceiling:
            ratio = ceiling["tips"] / ceiling["bare"] if ceiling["bare"] else 0.0
            print(
                f"  capacity: tips {ceiling['tips']:.1f}/s, bare endpoint {ceiling['bare']:.1f}/s; "
                f"ratio tips/bare capacity {ratio:.2f} (goal >= 0.5)"
            )
        # 1 % slack: the wall time also holds the last answers' latency.
        goal = tips.throughput >= 297 and tips.p99 <= 100 and sum(tips.errors.values()) == 0
        print(f"  goal (>= 300 tips/s at p99 <= 100 ms, no errors): {'met' if goal else 'not met'}")
        print("  acknowledged tips produced: " + ", ".join(f"{v:,} {k}" for k, v in produced.items()))
        if problems:
            failed = True
            print("consistency: FAILED: " + "; ".join(problems))
        else:
            print(
                f"consistency: ok: all {len(acknowledged):,} acknowledged tips stored once, triaged, "
                "in a case, routed, referred, and every webhook referral in the outbox"
            )
    finally:
        if server is not None:
            stop_server(server)
        engine.dispose()
        if args.keep:
            seeder.save(Path(args.state))
        else:
            drop_database(args.pg_admin_url, args.database_name)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
