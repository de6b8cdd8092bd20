"""The 17:30 burst: one SLA sweep acting on many cases due at once. Prints figures only.

    .venv/bin/python bench/sweep.py [DUE] [--others N] [--batch B]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench_sweep \\
        .venv/bin/python bench/sweep.py 10000      # PostgreSQL (the database is recreated)

Every deadline ends at 17:30, so a day's escalations come due together. The bench writes (in
bulk, not through file_case) a county of 10 townships × 10 villages with a worker per village
and two officers per township, DUE cases due now and `--others` open cases (default 90,000)
whose next check is tomorrow. Four due cases in five have passed their resolution deadline with
the warning already written (one escalation each, paging the township's two officers); the
fifth has reached two thirds of its time (one warning to its village worker). Delivery jobs are
counted, not run (RQ runs them in production; inline they would time the console provider).
Figures: seconds, cases/s and SQL statements per case for the sweep, the CPU time it took here
and in PostgreSQL (what a busy shared machine does not change), then the same sweep again.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url

# Run as a script, bench/ comes first on sys.path (bench/queue.py would shadow the standard
# library's queue module): put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import portal.clients.job_queue as job_queue  # noqa: E402
from bench.case_rows import case_row  # noqa: E402
from bench.databases import bench_database  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    AreaLevel,
    Case,
    CaseEvent,
    EventKind,
    Notification,
    Role,
    SlaMark,
)
from portal.services.cases.sweep import sweep  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from tests.factories import create_area, create_resident, create_user  # noqa: E402

#: One due case in this many is a warning; the others escalate.
WARNING_EVERY = 5
CHUNK = 5000


def _county() -> list[Any]:
    county = create_area("511321000000", AreaLevel.COUNTY)
    create_user(Role.COUNTY_STAFF, area_id=county.id)
    residents = []
    for t in range(10):
        township = create_area(f"511321{101 + t:03d}000", AreaLevel.TOWNSHIP, parent_id=county.id)
        for _ in range(2):
            create_user(Role.TOWNSHIP_OFFICER, area_id=township.id)
        for v in range(10):
            village = create_area(
                f"511321{101 + t:03d}{201 + v:03d}", AreaLevel.VILLAGE, parent_id=township.id
            )
            create_user(Role.VILLAGE_WORKER, area_id=village.id)
            residents += [create_resident(village) for _ in range(3)]
    db.session.commit()
    return residents


def _generate(due: int, others: int, now: datetime) -> None:
    residents = _county()
    rows = []
    for i in range(due + others):
        resident = residents[i % len(residents)]
        if i >= due:  # not due: warned already, deadline tomorrow
            created, deadline = now - timedelta(days=20), now + timedelta(days=1)
            rows.append(case_row(f"S{i:09d}", resident, created, deadline, deadline))
        elif i % WARNING_EVERY == 0:  # two thirds of the time has passed
            created, deadline = now - timedelta(days=10), now + timedelta(days=4)
            rows.append(
                case_row(f"S{i:09d}", resident, created, deadline, now - timedelta(minutes=1))
            )
        else:  # the deadline has just passed
            created, deadline = now - timedelta(days=20), now - timedelta(minutes=1)
            rows.append(case_row(f"S{i:09d}", resident, created, deadline, deadline))
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(Case), rows[start : start + CHUNK])
    db.session.commit()
    warned = db.session.scalars(
        select(Case.id).where(Case.created_at <= now - timedelta(days=20)).order_by(Case.id)
    ).all()
    marks = [
        {"case_id": case_id, "clock": "resolution", "level": "warning", "created_at": now}
        for case_id in warned
    ]
    for start in range(0, len(marks), CHUNK):
        db.session.execute(insert(SlaMark), marks[start : start + CHUNK])
    db.session.commit()


class Statements:
    """Counts the SQL statements sent while `counting` is on."""

    def __init__(self) -> None:
        self.count = 0
        self.counting = False

    def __call__(self, *_args: Any) -> None:
        if self.counting:
            self.count += 1


def _backend_cpu(backend: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database (same machine):
    with the process's own CPU time, a figure that does not depend on what else runs."""
    if backend != "postgresql":
        return 0.0
    pids = db.session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    ).all()
    db.session.commit()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _count(model: Any, *where: Any) -> int:
    return len(db.session.scalars(select(model.id).where(*where)).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("due", nargs="?", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=90_000)
    parser.add_argument("--batch", type=int, default=None, help="the sweep's batch size")
    args = parser.parse_args()
    jobs: list[tuple[str, Any]] = []
    # Count the delivery jobs instead of running them inline (see the docstring).
    job_queue.dispatch = lambda queue_name, func, job_args: jobs.append((queue_name, job_args))
    with tempfile.TemporaryDirectory() as tmp:
        url = bench_database(tmp)
        app = create_app(TestingConfig({"DATABASE_URL": url}))
        with app.app_context():
            upgrade()
            seed_reference_data(db.session, date.today())
            db.session.commit()
            now = datetime.now(UTC)
            started = time.perf_counter()
            _generate(args.due, args.others, now)
            backend = make_url(url).get_backend_name()
            print(  # noqa: T201
                f"database: {backend}; {args.due} cases due, {args.others} not due; "
                f"generated in {time.perf_counter() - started:.1f} s"
            )
            if backend == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            statements = Statements()
            event.listen(db.engine, "before_cursor_execute", statements)
            options = {} if args.batch is None else {"batch": args.batch}
            server_cpu = _backend_cpu(backend)
            statements.counting = True
            cpu, started = time.process_time(), time.perf_counter()
            result = sweep(db.session, now, **options)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            statements.counting = False
            server_cpu = _backend_cpu(backend) - server_cpu
            print(  # noqa: T201
                f"sweep: {result.cases} cases ({result.escalations} escalations, "
                f"{result.warnings} warnings) in {elapsed:.2f} s, "
                f"{result.cases / elapsed:.0f} cases/s, "
                f"{statements.count / max(result.cases, 1):.2f} statements per case "
                f"({statements.count} in all), {len(jobs)} delivery jobs queued"
            )
            print(  # noqa: T201
                f"CPU: {cpu:.2f} s in this process, {server_cpu:.2f} s in its PostgreSQL "
                f"backends; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            escalated = _count(CaseEvent, CaseEvent.kind == EventKind.ESCALATED)
            warned = _count(CaseEvent, CaseEvent.kind == EventKind.SLA_WARNING)
            messages = _count(Notification, Notification.case_id.is_not(None))
            print(  # noqa: T201
                f"written: {escalated} escalation events, {warned} warning events, "
                f"{messages} staff messages"
            )
            statements.count, statements.counting = 0, True
            started = time.perf_counter()
            again = sweep(db.session, now)
            elapsed = time.perf_counter() - started
            statements.counting = False
            print(  # noqa: T201
                f"the same sweep again: {again.cases} cases in {elapsed * 1000:.1f} ms, "
                f"{statements.count} statements"
            )


if __name__ == "__main__":
    main()
