"""Survey import throughput: the time to check and apply a file of N residents (goal: 10,000
in under 60 s). Prints figures, asserts nothing.

    .venv/bin/python bench/import.py [N]

Uses a throw-away SQLite file, or DATABASE_URL (a throw-away PostgreSQL database: its tables
are created here), and the job as the worker runs it. Each resident has the fixed columns,
three needs answered yes and two answered no.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from flask_migrate import upgrade

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.jobs.imports import apply_import, check_import  # noqa: E402
from portal.models import AreaLevel, ImportRun, Role  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from portal.services.surveys.survey_import import (  # noqa: E402
    APPLYING,
    create_run,
    need_codes,
    stored_file,
    template_header,
)

YEAR = date.today().year


def survey_file(count: int, header: list[str], villages: list[str]) -> bytes:
    from tests.import_files import id_number, survey_row, to_csv

    needs = need_codes(db.session)
    rows = [header]
    for n in range(count):
        answers = {code: "1" for code in needs[n % 40 : n % 40 + 3]}
        answers |= {code: "0" for code in needs[n % 40 + 3 : n % 40 + 5]}
        rows.append(
            survey_row(
                header,
                id_number=id_number(n, born=date(1950, 1, 1)),
                name=f"居民{n}",
                area_code=villages[n % len(villages)],
                category=str(n % 7 + 1),
                phone=f"139{n:08d}",
                visit_date=f"{YEAR}-01-{n % 28 + 1:02d}",
                **answers,
            )
        )
    return to_csv(rows)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app(TestingConfig({"DATABASE_URL": url}))
        app.config["IMPORT_FOLDER"] = tmp
        with app.app_context():
            upgrade()
            seed_reference_data(db.session, date.today())
            from tests.factories import create_area, create_user

            county = create_area("511321000000", AreaLevel.COUNTY)
            township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
            villages = [
                create_area(f"511321101{n:03d}", AreaLevel.VILLAGE, parent_id=township.id).code
                for n in range(201, 221)
            ]
            staff = create_user(Role.COUNTY_STAFF, area_id=county.id)
            db.session.commit()
            data = survey_file(count, template_header(db.session), villages)
            print(f"file: {count} rows, {len(data) / 1e6:.1f} MB")  # noqa: T201

            for attempt in ("first import", "same file again"):
                started, cpu = time.perf_counter(), time.process_time()
                run = create_run(
                    db.session,
                    staff,
                    filename="bench.csv",
                    sha256=hashlib.sha256(data).hexdigest(),
                    year=YEAR,
                    now=datetime.now(UTC),
                )
                stored_file(Path(tmp), run).write_bytes(data)
                db.session.commit()
                check_import(run.id)  # the dry run's job
                run = db.session.get_one(ImportRun, run.id)
                assert run.status == "checked", run.errors[:5]  # noqa: S101
                run.status = APPLYING
                db.session.commit()
                checked = time.perf_counter()
                apply_import(run.id)
                done = time.perf_counter()
                run = db.session.get_one(ImportRun, run.id)
                print(  # noqa: T201
                    f"{attempt}: dry run {checked - started:.1f} s, apply {done - checked:.1f} s, "
                    f"total {done - started:.1f} s (CPU {time.process_time() - cpu:.1f} s); "
                    f"{run.rows_changed} of {run.rows_done} rows changed ({run.status})"
                )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
