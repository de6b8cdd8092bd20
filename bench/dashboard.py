"""The dashboard's figures on a generated county: prints timings, asserts nothing.

    .venv/bin/python bench/dashboard.py [N]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_bench .venv/bin/python \
        bench/dashboard.py 100000

N cases (100,000 by default) over 12 months in one county of 20 townships and 300 villages, a
fifth of them rated, are bulk-inserted into a throw-away SQLite file (or an empty DATABASE_URL
database, migrated here). Then it times `services.dashboard.compute` for a county, a township
and an administrator (read from the summaries, rebuilt first), and the page and CSV export for
the county's staff.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_migrate import upgrade
from sqlalchemy import insert

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would shadow the
# standard library's queue module: put the repository there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Area,
    AreaLevel,
    Case,
    CaseChannel,
    CaseStatus,
    CaseType,
    GivenAs,
    Rating,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.services.reporting import dashboard, summaries  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def timed(label: str, action: Callable[[], object], repeat: int = 5) -> None:
    action()  # warm up
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    say(f"{label}: {(time.perf_counter() - started) / repeat * 1000:.0f} ms")


def build(count: int) -> dict[str, Area]:
    rng = random.Random(4)
    county = Area(code="511321000000", name_zh="测试县", name_en="County", level=AreaLevel.COUNTY)
    db.session.add(county)
    db.session.flush()
    townships, villages = [], []
    for t in range(20):
        township = Area(
            code=f"511321{101 + t:03d}000",
            name_zh=f"镇{t}",
            name_en=f"Town {t}",
            level=AreaLevel.TOWNSHIP,
            parent_id=county.id,
        )
        db.session.add(township)
        db.session.flush()
        townships.append(township)
        for v in range(15):
            village = Area(
                code=f"{township.code[:9]}{201 + v:03d}",
                name_zh=f"村{t}-{v}",
                name_en=f"Village {t}-{v}",
                level=AreaLevel.VILLAGE,
                parent_id=township.id,
            )
            villages.append(village)
    db.session.add_all(villages)
    db.session.flush()
    residents = [
        Resident(name=f"居民{i}", disability_category=1, area_id=villages[i % 300].id)
        for i in range(1000)
    ]
    db.session.add_all(residents)
    db.session.flush()
    now = datetime.now(UTC)
    rows = []
    types = list(CaseType)
    for i in range(count):
        resident = residents[i % len(residents)]
        created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        first_due = created + timedelta(days=2)
        answered = rng.random() < 0.9 and (first_due < now or rng.random() < 0.5)
        first_at = created + timedelta(hours=rng.uniform(0.5, 80)) if answered else None
        resolved = answered and rng.random() < 0.7
        resolved_at = (
            (first_at or created) + timedelta(days=rng.uniform(0, 20)) if resolved else None
        )
        if resolved_at and resolved_at > now:
            resolved_at = None
        rows.append(
            {
                "reference": f"B{i:09d}",
                "type": rng.choice(types),
                "status": CaseStatus.RESOLVED if resolved_at else CaseStatus.IN_PROGRESS,
                "resident_id": resident.id,
                "area_id": resident.area_id,
                "channel": CaseChannel.WEB,
                "description": "bench",
                "created_at": created,
                "first_response_due_at": first_due,
                "first_responded_at": first_at,
                "resolve_due_at": created + timedelta(days=15),
                "resolved_at": resolved_at,
            }
        )
    for start in range(0, count, 5000):
        db.session.execute(insert(Case), rows[start : start + 5000])
    db.session.flush()
    ids = db.session.scalars(db.select(Case.id).where(Case.resolved_at.is_not(None))).all()
    ratings = [
        {
            "resident_id": residents[0].id,
            "case_id": case_id,
            "level": rng.choice(list(Satisfaction)),
            "given_as": GivenAs.RESIDENT,
        }
        for case_id in ids[: count // 5]
    ]
    for start in range(0, len(ratings), 5000):
        db.session.execute(insert(Rating), ratings[start : start + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE"))  # as autovacuum would after a bulk load
        db.session.commit()
    return {"county": county, "township": townships[0]}


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # BENCH_DB=path keeps the SQLite file, and reuses it when it is already filled.
        keep = os.environ.get("BENCH_DB")
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{keep or Path(tmp) / 'bench.db'}"
        app = create_app(TestingConfig({"DATABASE_URL": url}))
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            filled = db.session.scalar(db.select(Area).where(Area.code == "511321000000"))
            if filled:
                township = db.session.scalar(db.select(Area).where(Area.code == "511321101000"))
                areas = {"county": filled, "township": township}
                say(f"{db.engine.dialect.name}: reusing the cases already there")
            else:
                areas = build(count)
                elapsed = time.perf_counter() - started
                say(f"{db.engine.dialect.name}: inserted {count} cases in {elapsed:.1f} s")
            from tests.factories import create_user

            users = {}
            for label, role, area in (
                ("county staff", Role.COUNTY_STAFF, areas["county"]),
                ("township officer", Role.TOWNSHIP_OFFICER, areas["township"]),
                ("administrator", Role.ADMIN, None),
            ):
                users[label] = db.session.scalar(
                    db.select(User).where(User.role == role).limit(1)
                ) or create_user(role, area_id=area.id if area else None)
            db.session.commit()
            now = datetime.now(UTC)
            started = time.perf_counter()
            summaries.rebuild(db.session, now, ZONE)  # the figures come from the summaries
            db.session.commit()
            say(f"summaries rebuilt in {time.perf_counter() - started:.1f} s")
            period = dashboard.Period.last_months(now.astimezone(ZONE).date(), 12, ZONE)
            for label, user in users.items():
                scope = db.session.get(Area, user.area_id) if user.area_id else None

                def run(user=user, scope=scope) -> object:  # noqa: ANN001
                    return dashboard.compute(
                        db.session,
                        user.area_id,
                        period=period,
                        areas=dashboard.child_areas(db.session, scope),
                    )

                timed(f"compute() for {label}", run)
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = users["county staff"].get_id()
            for path in (
                "/admin/dashboard",
                "/admin/dashboard/export-csv",
                "/admin/dashboard/export-xlsx",
            ):
                timed(
                    f"GET {path} (county staff)",
                    lambda path=path: client.get(path).status_code == 200,
                )  # noqa: B023


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
