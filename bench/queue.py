"""Queue page and SLA sweep times on a generated county of open cases: prints figures only.

    .venv/bin/python bench/queue.py [N]            # N open cases (default 100000), SQLite
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench \\
        .venv/bin/python bench/queue.py            # the same on PostgreSQL (database created)

The cases are written in bulk (not through file_case) across 3 townships × 10 villages, with
deadlines spread over the past and next 20 days, so the queue has every deadline state and
the sweep finds the cases whose next check has come. Figures: the /admin/ first page for a
county officer and for a village worker (median of 20), the count and the filtered page, an
idle sweep (nothing due) and a sweep of the 1% of cases whose check is due now (each escalates
and pages its township staff; without REDIS_URL the console messages are delivered inline).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

# Run as a script, bench/ comes first on sys.path, where this file would shadow the standard
# library's queue module (redis imports it): put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from bench.case_rows import case_row  # noqa: E402
from bench.databases import bench_database  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AreaLevel, Case, CaseStatus, Role  # noqa: E402
from portal.services.cases.sweep import sweep  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from tests.factories import create_area, create_resident, create_user  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _timed(run, times: int = 20) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _generate(count: int, now: datetime) -> tuple[list, list]:
    county = create_area("511321000000", AreaLevel.COUNTY)
    villages, residents = [], []
    for t in range(3):
        township = create_area(f"511321{101 + t:03d}000", AreaLevel.TOWNSHIP, parent_id=county.id)
        for v in range(10):
            village = create_area(
                f"511321{101 + t:03d}{201 + v:03d}", AreaLevel.VILLAGE, parent_id=township.id
            )
            villages.append(village)
            residents += [create_resident(village) for _ in range(5)]
    db.session.commit()
    rng = random.Random(7)
    rows = []
    for i in range(count):
        resident = residents[i % len(residents)]
        created = now - timedelta(minutes=rng.randint(0, 40 * 24 * 60))
        due = created + timedelta(days=rng.randint(1, 21))
        status = CaseStatus.WAITING if i % 10 == 0 else CaseStatus.IN_PROGRESS
        # A check far enough ahead that only the "due now" run below finds them. One case in
        # DUE_EVERY has its next check now (a minute's worth after an outage); the rest later,
        # so the sweep has to find the few among many.
        if status == CaseStatus.WAITING:
            check = None
        elif i % DUE_EVERY == 1:
            check = now - timedelta(minutes=1)
        else:
            check = now + timedelta(days=1)
        rows.append(case_row(f"B{i:09d}", resident, created, due, check, status))
    for start in range(0, count, 5000):
        db.session.execute(insert(Case), rows[start : start + 5000])
    db.session.commit()
    return villages, residents


#: One open case in this many is due for a check when the sweep runs.
DUE_EVERY = 100


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = bench_database(tmp)
        app = create_app(TestingConfig({"DATABASE_URL": url}))
        with app.app_context():
            upgrade()
            seed_reference_data(db.session, date.today())
            now = datetime.now(UTC)
            started = time.perf_counter()
            villages, _ = _generate(count, now)
            print(f"database: {make_url(url).get_backend_name()}; {count} open cases")  # noqa: T201
            print(f"generated in {time.perf_counter() - started:.1f} s")  # noqa: T201
            county_officer = create_user(Role.COUNTY_STAFF, area_id=villages[0].parent.parent_id)
            worker = create_user(Role.VILLAGE_WORKER, area_id=villages[0].id)
            db.session.commit()
            if make_url(url).get_backend_name() == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            client = app.test_client()
            for who, user in (("county officer", county_officer), ("village worker", worker)):
                with client.session_transaction() as session:
                    session["_user_id"] = user.get_id()
                for label, path in (
                    ("first page", "/admin/"),
                    ("overdue filter", "/admin/?deadline=overdue"),
                ):
                    median = _timed(lambda path=path: client.get(path))
                    print(f"/admin/ {label} as {who}: {_ms(median)} (median of 20)")  # noqa: T201

            idle = _timed(lambda: sweep(db.session, now - timedelta(days=60)), times=5)
            print(f"idle sweep (nothing due): {_ms(idle)}")  # noqa: T201
            started = time.perf_counter()
            result = sweep(db.session, now)
            elapsed = time.perf_counter() - started
            print(  # noqa: T201
                f"sweep of the cases due now: {result.cases} cases, "
                f"{result.escalations} escalations, {result.warnings} warnings in "
                f"{elapsed:.1f} s ({result.cases / elapsed:.0f} cases/s)"
            )
            again = _timed(lambda: sweep(db.session, now), times=5)
            print(f"the next sweep, with those done: {_ms(again)}")  # noqa: T201


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
