"""Filing throughput and queue-page time: prints figures, asserts nothing.

    .venv/bin/python bench/file_cases.py [N]

Uses a throw-away SQLite file (or DATABASE_URL) and the inline job path, so each case includes
its first event and its console acknowledgement.
"""

from __future__ import annotations

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
from portal.models import AreaLevel, Role  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app(TestingConfig({"DATABASE_URL": url}))
        with app.app_context():
            upgrade()
            seed_reference_data(db.session, date.today())
            from tests.factories import create_area, create_case, create_resident, create_user

            village = create_area("511321101201", AreaLevel.VILLAGE)
            residents = [create_resident(village) for _ in range(50)]
            staff = create_user(Role.VILLAGE_WORKER, area_id=village.id)
            db.session.commit()
            started = time.perf_counter()
            for i in range(count):
                create_case(residents[i % len(residents)], now=datetime.now(UTC))
                db.session.commit()
            elapsed = time.perf_counter() - started
            print(f"filed {count} cases in {elapsed:.2f} s: {count / elapsed:.0f} cases/s")  # noqa: T201
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = staff.get_id()
            started = time.perf_counter()
            for _ in range(20):
                assert client.get("/admin/").status_code == 200
            per_page = (time.perf_counter() - started) / 20 * 1000
            print(f"/admin/ queue page with {count} open cases: {per_page:.1f} ms")  # noqa: T201


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
