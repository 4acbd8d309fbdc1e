"""Dedup latency: how long matching one tip takes against stores of 10,000 to 1,000,000 cases.

    .venv/bin/python bench/dedup_latency.py --database postgresql --sizes 10000,100000,1000000
    .venv/bin/python bench/dedup_latency.py --database sqlite --sizes 10000,100000

The store is seeded with bulk inserts straight into the tables of a benchmark database of its own
(PostgreSQL: `bench_dedup`, created through the postgres user at 127.0.0.1 and dropped at the end; SQLite: a
temporary file): one case per situation drawn by bench/dedup_data.py (common and long-tail surnames, Spanish
double surnames, ages, phones, addresses), its tip, persons, case link and blocking keys computed by the
real normalisation and key code. Then, for each size, it times:

- match: `matching_service.match_profile` after `lock_keys` for a fresh report of a stored situation (70 %)
  or of someone new (30 %): keys, index lookup, candidate profiles, scoring and the decision, in a
  transaction rolled back afterwards (what triage adds for dedup, without the writes);
- place: the full intake of such a tip (`tips.flows.submit_tip`: store, triage with dedup, commit);
- the brute-force baseline: a rapidfuzz scan of every stored case's name for the same reports.

Sizes grow the same store, so seeding 1,000,000 cases costs about one pass. `--max-seconds` bounds each
measurement; `--keep` leaves the database for another run (`--reuse` to start from it).
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LOG_LEVEL", "WARNING")

from bench.dedup_data import Generator, Situation

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_DATABASE = "bench_dedup"
SEED_BATCH = 20_000


@dataclass
class Person:
    role: str
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    dob: date | None = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    nationality: str | None = None
    language: str | None = None


@dataclass
class Tip:
    received_at: datetime
    location_address: str | None
    location_city: str | None
    location_state: str | None
    location_zip: str | None
    location_country: str
    persons: list[Person]


def tip_of(payload: dict[str, Any]) -> Tip:
    location = payload.get("location") or {}
    persons = []
    for raw in payload["persons"]:
        person = Person(**{key: value for key, value in raw.items() if key != "dob"})
        if raw.get("dob"):
            person.dob = date.fromisoformat(raw["dob"])
        persons.append(person)
    return Tip(
        received_at=datetime.fromisoformat(payload["received_at"]),
        location_address=location.get("address"),
        location_city=location.get("city"),
        location_state=location.get("state"),
        location_zip=location.get("zip"),
        location_country="US",
        persons=persons,
    )


# The benchmark database


def create_database(kind: str, workdir: Path, reuse: bool) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'latency.db'}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not reuse:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return sa.make_url(PG_ADMIN_URL).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def drop_database(kind: str) -> None:
    if kind != "postgresql":
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


# Seeding


class Seeder:
    def __init__(self, engine: sa.Engine, *, seed: int, secret: bytes) -> None:
        self.engine = engine
        self.generator = Generator(seed)
        self.secret = secret
        self.count = 0
        # A sample of stored situations to report again, and every case's name for the baseline scan.
        self.sample: list[Situation] = []
        self.names: list[str] = []
        self.rng = random.Random(seed + 1)

    def stored(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM case_file")).scalar_one()

    def save(self, path: Path) -> None:
        state = (self.count, self.sample, self.names, self.generator.rng.getstate(), self.rng.getstate())
        path.write_bytes(pickle.dumps(state))

    def restore(self, path: Path) -> None:
        # Only this script's own file from an earlier --keep run is read back.
        count, self.sample, self.names, generator_state, rng_state = pickle.loads(path.read_bytes())  # noqa: S301
        self.generator.rng.setstate(generator_state)
        self.rng.setstate(rng_state)
        self.count = count
        assert self.stored() >= count, "the kept database does not hold the seeded cases"

    def grow_to(self, size: int) -> float:
        started = time.perf_counter()
        while self.count < size:
            self._batch(min(SEED_BATCH, size - self.count))
            print(f"  seeded {self.count:,} cases ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        return time.perf_counter() - started

    def _batch(self, n: int) -> None:
        from hotline.matching import blocking, normalize

        now = datetime.now(UTC)
        cases, tips, persons, links, keys = [], [], [], [], []
        for _ in range(n):
            situation = self.generator.new_situation()
            self.generator.situations.clear()  # keep memory flat: only the sample is kept
            situation.id = self.count
            payload = self.generator.report(situation, 0).payload
            tip = tip_of(payload)
            case_id, tip_id = uuid.uuid4(), uuid.uuid4()
            location = payload.get("location") or {}
            cases.append((case_id, "open", location.get("state"), None, "unknown", "normal", now, now))
            tips.append(
                (
                    tip_id, "import", tip.received_at, "en", payload["narrative"], location.get("address"),
                    location.get("city"), location.get("state"), location.get("zip"), "US", False, "unknown",
                    "triaged", "unknown", "normal", now, now, "system:bench",
                )
            )  # fmt: skip
            for position, person in enumerate(tip.persons):
                persons.append(
                    (
                        uuid.uuid4(), tip_id, position, person.role, person.name, person.age, person.age_min,
                        person.age_max, person.dob.isoformat() if person.dob else None, person.gender,
                        person.phone, person.email,
                    )
                )  # fmt: skip
            links.append((uuid.uuid4(), case_id, tip_id, "new", now, "system:bench"))
            profile = normalize.tip_profile(tip)
            keys.extend({(key.hash, case_id) for key in blocking.blocking_keys(profile, secret=self.secret)})
            victim = tip.persons[0].name or ""
            self.names.append(victim)
            if len(self.sample) < 5000 or self.rng.random() < 5000 / (self.count + 1):
                if len(self.sample) >= 5000:
                    self.sample[self.rng.randrange(5000)] = situation
                else:
                    self.sample.append(situation)
            self.count += 1
        self._write(cases, tips, persons, links, keys)

    COLUMNS = {
        "case_file": "id, status, state, county, minor_status, urgency, created_at, updated_at",
        "tip": (
            "id, channel, received_at, language, narrative, location_address, location_city, location_state,"
            " location_zip, location_country, reporter_anonymous, trafficking_type, status, minor_status,"
            " urgency, created_at, updated_at, created_by"
        ),
        "tip_person": "id, tip_id, position, role, name, age, age_min, age_max, dob, gender, phone, email",
        "case_tip": "id, case_id, tip_id, action, linked_at, linked_by",
        "match_key": "key_hash, case_id",
    }

    def _write(self, *tables: list[tuple[Any, ...]]) -> None:
        names = ["case_file", "tip", "tip_person", "case_tip", "match_key"]
        if self.engine.dialect.name == "postgresql":
            raw = self.engine.raw_connection()
            try:
                with raw.cursor() as cursor:
                    # Bulk load: skip the foreign-key triggers row by row (the rows are consistent by build).
                    cursor.execute("SET session_replication_role = replica")
                    for name, rows in zip(names, tables, strict=True):
                        with cursor.copy(f"COPY {name} ({self.COLUMNS[name]}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                    cursor.execute("SET session_replication_role = origin")
                raw.commit()
            finally:
                raw.close()
            return
        from sqlmodel import SQLModel

        with self.engine.begin() as connection:
            for name, rows in zip(names, tables, strict=True):
                # The models' tables, so that UUIDs and timestamps are stored as the app stores them.
                table = SQLModel.metadata.tables[name]
                columns = [column.strip() for column in self.COLUMNS[name].split(",")]
                values = [dict(zip(columns, row, strict=True)) for row in rows]
                for value in values:
                    if isinstance(value.get("dob"), str):
                        value["dob"] = date.fromisoformat(value["dob"])
                connection.execute(table.insert(), values)

    def analyze(self) -> None:
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
        else:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")


# Measuring


def open_store(url: str, *, seed: int) -> tuple[sa.Engine, Any, Seeder]:
    """Point the app's settings at `url`, migrate it, and return its engine, a session factory and a seeder
    that files blocking keys under the settings' matching key."""
    os.environ["DATABASE_URL"] = url
    import hotline.models  # noqa: F401
    from hotline.core.config import get_settings
    from hotline.core.database import create_db_engine, make_session_factory
    from hotline.core.logs import configure_logging
    from hotline.core.migrate import upgrade

    get_settings.cache_clear()
    settings = get_settings()
    configure_logging(level="WARNING", json_lines=True)
    upgrade(url)
    engine = create_db_engine(url)
    seeder = Seeder(engine, seed=seed, secret=settings.matching_key.get_secret_value().encode())
    return engine, make_session_factory(engine), seeder


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def reports(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    """Fresh reports: of a stored situation (70 %, noisy as a second caller would be) or of someone new."""
    out = []
    for number in range(count):
        if seeder.sample and seeder.rng.random() < 0.7:
            situation = seeder.rng.choice(seeder.sample)
            payload = seeder.generator.report(situation, 1 + number).payload
        else:
            situation = seeder.generator.new_situation()
            seeder.generator.situations.clear()
            payload = seeder.generator.report(situation, 0).payload
        payload["external_id"] = f"latency-{seeder.count}-{number}-{uuid.uuid4().hex[:6]}"
        out.append(payload)
    return out


def measure_match(factory, payloads: list[dict[str, Any]], max_seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    from hotline.core.config import get_settings
    from hotline.matching import blocking, normalize
    from hotline.matching import service as matching_service

    settings = get_settings()
    secret = settings.matching_key.get_secret_value().encode()
    timings: list[float] = []
    deadline = time.perf_counter() + max_seconds
    with factory() as session:
        for payload in payloads:
            tip = tip_of(payload)
            started = time.perf_counter()
            profile = normalize.tip_profile(tip)
            lookup = blocking.blocking_keys(profile, secret=secret, purpose="lookup")
            matching_service.lock_keys(session, lookup)
            matching_service.match_profile(session, profile, settings=settings, lookup_keys=lookup)
            timings.append(time.perf_counter() - started)
            session.rollback()
            if time.perf_counter() > deadline:
                break
    return timings


def measure_place(factory, payloads: list[dict[str, Any]], max_seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    from hotline.core.actor import system_actor
    from hotline.intake import flows as intake_flows
    from hotline.tips.schemas import TipIn

    actor = system_actor("bench")
    timings: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for payload in payloads:
        tip_in = TipIn.model_validate(payload)
        with factory() as session:
            started = time.perf_counter()
            intake_flows.submit_tip(session=session, tip_in=tip_in, actor=actor)
            timings.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return timings


def measure_baseline(seeder: Seeder, payloads: list[dict[str, Any]], max_seconds: float) -> list[float]:
    from rapidfuzz import fuzz, process

    timings: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for payload in payloads:
        name = payload["persons"][0].get("name") or ""
        started = time.perf_counter()
        process.extractOne(name, seeder.names, scorer=fuzz.token_set_ratio, score_cutoff=85)
        timings.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return timings


def describe(label: str, timings: list[float]) -> str:
    if not timings:
        return f"{label}: no measurement"
    ms = [1000 * value for value in timings]
    return (
        f"{label}: p50 {percentile(ms, 0.5):.2f} ms  p99 {percentile(ms, 0.99):.2f} ms  "
        f"mean {statistics.fmean(ms):.2f} ms  (n {len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="comma-separated store sizes, growing"
    )
    parser.add_argument("--queries", type=int, default=500, help="reports timed for match, per size")
    parser.add_argument("--place-queries", type=int, default=100, help="reports timed for full intake")
    parser.add_argument("--baseline-queries", type=int, default=30)
    parser.add_argument("--max-seconds", type=float, default=120, help="bound on each measurement")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database in place")
    parser.add_argument(
        "--reuse", action="store_true", help="start from a kept PostgreSQL benchmark database"
    )
    parser.add_argument(
        "--state",
        default=str(Path(tempfile.gettempdir()) / "bench_dedup_state.pickle"),
        help="with --keep / --reuse: where the seeder's sample of situations is kept between runs",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as workdir:
        url = create_database(args.database, Path(workdir), args.reuse)
        engine, factory, seeder = open_store(url, seed=args.seed)
        if args.reuse:
            seeder.restore(Path(args.state))
            print(f"reusing {seeder.count:,} stored cases")
        results = []
        try:
            for size in sizes:
                seconds = seeder.grow_to(size)
                seeder.analyze()
                with engine.connect() as connection:
                    key_rows = connection.execute(sa.text("SELECT count(*) FROM match_key")).scalar_one()
                print(
                    f"store: {seeder.count:,} cases, {key_rows:,} blocking keys (seeded in {seconds:.0f} s)"
                )
                payloads = reports(seeder, max(args.queries, args.place_queries, args.baseline_queries))
                measure_match(factory, payloads[:20], 30)  # warm the caches and the connection pool
                match = measure_match(factory, payloads[: args.queries], args.max_seconds)
                place = measure_place(factory, payloads[: args.place_queries], args.max_seconds)
                baseline = measure_baseline(seeder, payloads[: args.baseline_queries], args.max_seconds)
                for label, timings in (
                    (f"{args.database} {seeder.count:>9,} cases  match", match),
                    (f"{args.database} {seeder.count:>9,} cases  place", place),
                    (f"{args.database} {seeder.count:>9,} cases  brute-force scan", baseline),
                ):
                    print(describe(label, timings), flush=True)
                results.append((seeder.count, match, place, baseline))
        finally:
            engine.dispose()
            if args.keep:
                seeder.save(Path(args.state))
            else:
                drop_database(args.database)
        print("summary (ms)          match p50   match p99   place p50   place p99   scan p50")
        for count, match, place, baseline in results:
            ms = [
                percentile(match, 0.5),
                percentile(match, 0.99),
                percentile(place, 0.5),
                percentile(place, 0.99),
                percentile(baseline, 0.5) if baseline else float("nan"),
            ]
            print(f"  {count:>9,} cases  " + "  ".join(f"{1000 * value:10.2f}" for value in ms))


if __name__ == "__main__":
    main()
