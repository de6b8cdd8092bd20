"""Survey import bounds (#11, point 7): the time and peak memory of the upload request and of
the dry run's job for a large XLSX. Prints figures, asserts nothing.

    .venv/bin/python bench/import_bounds.py [ROWS] [--valid]

By default ROWS is 1,000,000 and each row holds three cells (an ID number, a name, an area
code), like the 691 KB workbook of issue #11 that held a web worker 30 s and ~600 MB; with
--valid every row is a correct template row, its fixed columns filled and its need columns left
empty (try 200000: a file at the row cap).

Each step runs in a process of its own (spawned), its peak resident memory (VmHWM) measured
from just before it starts: first the upload through the Flask test client, with jobs going to
a (fake) Redis queue as in production, then the queued `check_import(run_id)` as a worker runs
it. A throw-away SQLite database (or DATABASE_URL, a throw-away database: its tables are
created here).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

YEAR = date.today().year


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak since the last reset (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> float:
    """Start measuring the peak from here (Linux: writing 5 to clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_mb()


def make_app(url: str, folder: str):  # noqa: ANN201 (imports after the path fix)
    from portal import create_app
    from portal.config import TestingConfig

    app = create_app(TestingConfig({"DATABASE_URL": url}))
    app.config["IMPORT_FOLDER"] = folder
    return app


def set_up(url: str, folder: str, path: Path, rows: int, valid: bool) -> None:
    from flask_migrate import upgrade

    from portal.extensions import db
    from portal.models import AreaLevel, Role
    from portal.services.reference.reference_data import seed_reference_data
    from portal.services.surveys.survey_import import template_header
    from tests.factories import create_area, create_user
    from tests.import_files import id_number, survey_row
    from tests.xlsx_raw import write_xlsx

    app = make_app(url, folder)
    with app.app_context():
        upgrade()
        seed_reference_data(db.session, date.today())
        county = create_area("511321000000", AreaLevel.COUNTY)
        township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
        create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
        create_user(Role.COUNTY_STAFF, area_id=county.id)
        db.session.commit()
        header = template_header(db.session)
    if valid:
        body = (
            survey_row(
                header, id_number=id_number(n, born=date(1950, 1, 1)), visit_date=f"{YEAR}-01-10"
            )
            for n in range(rows)
        )
    else:
        body = (["110101199003074514", "张三", "511321101201"] for _ in range(rows))
    write_xlsx(path, [header, *body])


def upload(url: str, folder: str, path: str, out: multiprocessing.Queue) -> None:
    """The web request: POST /admin/imports, jobs going to a queue as with REDIS_URL."""
    import fakeredis
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import ImportRun, User
    from tests.html import ClientRequest

    app = make_app(url, folder)
    app.extensions["redis"] = fakeredis.FakeRedis()
    with app.app_context():
        client = ClientRequest(app.test_client())
        client.login(db.session.scalars(select(User)).one())
        data = Path(path).read_bytes()
        before = reset_peak()
        started = time.perf_counter()
        client.post(
            "/admin/imports",
            {"import-year": str(YEAR), "import-file": (io.BytesIO(data), "big.xlsx")},
            expected_status=303,
            content_type="multipart/form-data",
        )
        took = time.perf_counter() - started
        run = db.session.scalars(select(ImportRun)).one()
        out.put((run.id, run.status, took, before, rss_mb("VmHWM")))


def check(url: str, folder: str, run_id: int, out: multiprocessing.Queue) -> None:
    """The queued job, as a worker runs it."""
    from portal.extensions import db
    from portal.jobs.imports import check_import
    from portal.models import ImportRun

    app = make_app(url, folder)
    with app.app_context():
        before = reset_peak()
        started = time.perf_counter()
        check_import(run_id)
        took = time.perf_counter() - started
        run = db.session.get_one(ImportRun, run_id)
        errors = [e["code"] for e in run.errors[:3]]
        out.put((run.status, run.rows_total, errors, took, before, rss_mb("VmHWM")))


def in_own_process(target, *args):  # noqa: ANN001, ANN201
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=target, args=(*args, out))
    process.start()
    result = out.get()
    process.join()
    return result


def main(rows: int, valid: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        folder = str(Path(tmp) / "imports")
        path = Path(tmp) / "big.xlsx"
        started = time.perf_counter()
        set_up(url, folder, path, rows, valid)
        kind = "correct template rows" if valid else "three cells a row"
        say(
            f"file: {rows:,} rows ({kind}), {path.stat().st_size / 1e6:.2f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        run_id, status, took, before, peak = in_own_process(upload, url, folder, str(path))
        say(
            f"web request: {took:.2f} s, peak RSS {peak:.0f} MB ({before:.0f} MB before it); "
            f"the run is {status!r}"
        )
        status, total, errors, took, before, peak = in_own_process(check, url, folder, run_id)
        say(
            f"check job: {took:.1f} s, peak RSS {peak:.0f} MB ({before:.0f} MB before it); "
            f"the run is {status!r}, {total:,} rows, errors {errors}"
        )


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(arguments[0]) if arguments else 1_000_000, "--valid" in sys.argv)
