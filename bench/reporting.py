"""Reporting from summaries (#12, point 3): coverage, dashboard and supervision figures on a
county of 100,000 residents, before (recomputed from the raw tables, the code as it was) and
after (summed from the summaries), and the cost of keeping the summaries current.

    createdb -h 127.0.0.1 -U postgres wenxu_reporting
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wenxu_reporting \\
        .venv/bin/python bench/reporting.py [--reuse] [--residents 100000]

Builds (unless --reuse finds it built) one county of 15 townships × 12 villages by SQL only:
N residents with a plan of 3 items, 5 deliveries each over two years, a needs form each,
N cases over 24 months (statuses, deadlines and replies spread), ratings, and a supervision
round per township and month. Then prints the median and worst of 7 runs of:

- before: the services as they were at the commit before the summaries (read from git), as
  county staff and as the administrator;
- after: the same figures from the summaries, and each page through the test client with its
  query count;
- the full rebuild, and the periodic refresh after a new case and a new delivery (one village).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import TestingConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Area, Role, User  # noqa: E402
from portal.services.people.access import cases_for  # noqa: E402
from portal.services.reference.reference_data import seed_reference_data  # noqa: E402
from portal.services.reporting import coverage, dashboard, summaries, supervision  # noqa: E402
from tests.query_count import count_queries  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
#: The last commit before the summaries: "before" runs its services.
BEFORE = "dcd67d3^"
COUNTY = "511321000000"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def timed(label: str, action: Callable[[], object], runs: int = 7) -> None:
    action()  # warm up: caches, plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    say(f"  {label}: median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms")


def build(residents: int, cases: int) -> None:
    """The county, by SQL (about a minute for 100,000 residents)."""
    t = datetime.now(UTC)
    run = db.session.execute
    run(
        text(
            "INSERT INTO area (code, name_zh, name_en, level, valid_from)"
            " VALUES (:c, '测试县', 'Test County', 'county', '2020-01-01')"
        ),
        {"c": COUNTY},
    )
    run(
        text("""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from)
        SELECT '511321' || lpad((100 + t)::text, 3, '0') || '000', '镇' || t, 'Town ' || t,
               'township', (SELECT id FROM area WHERE code = :c), '2020-01-01'
        FROM generate_series(1, 15) t"""),
        {"c": COUNTY},
    )
    run(
        text("""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from)
        SELECT substr(a.code, 1, 9) || lpad((200 + v)::text, 3, '0'), a.name_zh || '村' || v,
               a.name_en || ' village ' || v, 'village', a.id, '2020-01-01'
        FROM area a, generate_series(1, 12) v WHERE a.level = 'township'""")
    )
    run(
        text(f"""
        INSERT INTO resident (name, birth_date, sex, disability_category, disability_level,
            area_id, language, channel, quiet_hours_start, quiet_hours_end, large_text,
            high_contrast, read_aloud, created_at, pin_failures)
        SELECT '居民' || g, (:t)::date - (power(random(), 0.7) * 95 * 365.25)::int, 'F',
               1 + (g * 7) % 7, 1 + g % 4, v.id, 'zh_CN', 'sms', '21:00', '08:00',
               false, false, false, :t, 0
        FROM generate_series(1, {residents}) g
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM area
              WHERE level = 'village') v ON v.i = g % 180"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO plan (resident_id, year, version, is_current, status, created_at)
        SELECT id, extract(year FROM :t)::int, 1, true, 'active', :t FROM resident"""),
        {"t": t},
    )
    run(
        text("""
        WITH items AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
                       FROM need_item WHERE kind <> 'status')
        INSERT INTO plan_item (plan_id, part, need_item_id, status)
        SELECT p.id, CASE WHEN j < 3 THEN 'assistance' ELSE 'development' END,
               CASE WHEN j = 1 THEN (SELECT id FROM need_item WHERE code = CASE
                   r.disability_category WHEN 1 THEN 'REHAB.VIS.OM' WHEN 2 THEN 'REHAB.HEAR.AVT'
                   WHEN 4 THEN 'ACC.WHEELCHAIR' WHEN 6 THEN 'REHAB.MENT.MED'
                   ELSE 'EDU.AID' END)
               ELSE items.ids[1 + (p.id * 7 + j * 31) % items.n] END, 'delivered'
        FROM plan p JOIN resident r ON r.id = p.resident_id, items, generate_series(1, 3) j""")
    )
    run(
        text("""
        INSERT INTO delivery (plan_item_id, delivered_on, responsible, project_name,
                              measures, effect, created_at)
        SELECT i.id, (:t)::date - (random() * 700)::int, '乡镇残联', '基本服务', '上门服务',
               '满意', :t
        FROM plan_item i, generate_series(1, 2) n
        WHERE n = 1 OR i.part = 'assistance'"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO needs_record (resident_id, year, surveyed_on, created_at)
        SELECT id, extract(year FROM :t)::int, make_date(extract(year FROM :t)::int, 1, 15), :t
        FROM resident"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO needs_answer (record_id, need_item_id, needed)
        SELECT DISTINCT n.id, i.need_item_id, true
        FROM needs_record n JOIN plan p ON p.resident_id = n.resident_id
        JOIN plan_item i ON i.plan_id = p.id""")
    )
    run(
        text(f"""
        INSERT INTO case_file (reference, type, status, resident_id, area_id, channel,
            description, language, escalation_level, urgent, reopen_count, extensions_used,
            first_response_due_at, resolve_due_at, current_due_at, first_responded_at,
            resolved_at, calendar_unknown, created_at)
        SELECT 'R' || lpad(g::text, 9, '0'),
               (ARRAY['need','consultation','help','complaint','suggestion','correction',
                      'report','petition'])[1 + g % 8],
               st, r.id, r.area_id, 'web', '请帮助', 'zh_CN', 0, false, 0, 0,
               created + interval '2 days', created + interval '15 days',
               CASE WHEN st IN ('new', 'in_progress') THEN created + interval '15 days' END,
               CASE WHEN st <> 'new' THEN created + random() * interval '60 hours' END,
               CASE WHEN st IN ('resolved', 'closed')
                    THEN created + random() * interval '20 days' END,
               false, created
        FROM (SELECT g, :t - random() * interval '730 days' AS created,
                     CASE WHEN x < 0.1 THEN 'new' WHEN x < 0.5 THEN 'in_progress'
                          WHEN x < 0.6 THEN 'waiting' WHEN x < 0.7 THEN 'resolved'
                          WHEN x < 0.98 THEN 'closed' ELSE 'withdrawn' END AS st,
                     (g * 7919) % {residents} AS ri
              FROM (SELECT g, random() AS x FROM generate_series(1, {cases}) g) q) c
        JOIN (SELECT id, area_id, row_number() OVER (ORDER BY id) - 1 AS ri FROM resident) r
          ON r.ri = c.ri"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO rating (resident_id, case_id, level, given_as, channel, created_at)
        SELECT resident_id, id, (ARRAY['satisfied','basic','dissatisfied'])[1 + id % 3],
               'resident', 'web', resolved_at FROM case_file
        WHERE resolved_at IS NOT NULL AND id % 2 = 0""")
    )
    run(
        text("""
        INSERT INTO rating (resident_id, delivery_id, level, given_as, channel, created_at)
        SELECT p.resident_id, d.id, (ARRAY['satisfied','basic','dissatisfied'])[1 + d.id % 3],
               'resident', 'web', d.delivered_on + time '12:00'
        FROM delivery d JOIN plan_item i ON i.id = d.plan_item_id JOIN plan p ON p.id = i.plan_id
        WHERE d.id % 10 = 0""")
    )
    _supervision(t)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _supervision(t: datetime) -> None:
    run = db.session.execute
    run(
        text("""
        INSERT INTO supervision_round (area_id, month, seed, sample_size, created_at)
        SELECT a.id, (date_trunc('month', (:t)::date) - m * interval '1 month')::date, 'b', 10, :t
        FROM area a, generate_series(0, 11) m WHERE a.level = 'township'"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO supervision_sample (round_id, resident_id, checked_at, falsification_found,
                                        created_at)
        SELECT sr.id, r.id, :t, r.id % 97 = 0, :t
        FROM supervision_round sr
        JOIN area v ON v.parent_id = sr.area_id
        JOIN LATERAL (SELECT id FROM resident WHERE area_id = v.id
                      ORDER BY id OFFSET extract(month FROM sr.month)::int LIMIT 1) r ON true"""),
        {"t": t},
    )
    run(
        text("""
        INSERT INTO supervision_item (sample_id, plan_item_id, imprecise)
        SELECT s.id, i.id, i.id % 9 = 0
        FROM supervision_sample s JOIN plan p ON p.resident_id = s.resident_id
        JOIN plan_item i ON i.plan_id = p.id""")
    )


def before_module(name: str) -> ModuleType:
    """`portal.services.<name>` as it was before the summaries, from git."""
    source = subprocess.run(  # noqa: S603 - a fixed git command
        ["git", "show", f"{BEFORE}:portal/services/{name}.py"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
    ).stdout
    spec = importlib.util.spec_from_loader(f"before_{name}", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, f"{BEFORE}:{name}.py", "exec"), module.__dict__)  # noqa: S102
    return module


def user(role: Role, area_id: int | None) -> User:
    found = db.session.scalar(db.select(User).where(User.role == role).limit(1))
    if found is None:
        from tests.factories import create_user

        found = create_user(role, area_id=area_id)
        db.session.commit()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ["BENCH_DATABASE_URL"]
    app = create_app(TestingConfig({"DATABASE_URL": url}))
    with app.app_context():
        built = db.session.scalar(text("SELECT to_regclass('public.area') IS NOT NULL"))
        county = db.session.scalar(db.select(Area).where(Area.code == COUNTY)) if built else None
        db.session.commit()
        if county is not None and args.reuse:
            upgrade()  # a summary table changed since the build: the data stays
        if county is None or not args.reuse:
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade()
            seed_reference_data(db.session, date.today())
            db.session.commit()
            started = time.perf_counter()
            build(args.residents, args.residents)
            say(
                f"built {args.residents} residents, cases and 5 deliveries each in "
                f"{time.perf_counter() - started:.0f} s"
            )
            county = db.session.scalar(db.select(Area).where(Area.code == COUNTY))
        assert county is not None
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM resident), (SELECT count(*) FROM delivery),"
                " (SELECT count(*) FROM case_file), (SELECT count(*) FROM supervision_item)"
            )
        ).one()
        say(
            f"postgresql: {counts[0]} residents, {counts[1]} deliveries, {counts[2]} cases, "
            f"{counts[3]} supervision items checked"
        )
        staff, admin = user(Role.COUNTY_STAFF, county.id), user(Role.ADMIN, None)
        measure(app, county, staff, admin)


def measure(app, county: Area, staff: User, admin: User) -> None:  # noqa: ANN001
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    year = coverage.Period.of_year(today.year)
    months = dashboard.Period.last_months(today, 12, ZONE)
    old_coverage, old_dashboard = before_module("coverage"), before_module("dashboard")
    old_supervision = before_module("supervision")
    say("before (recomputed from the raw tables on every view):")
    for label, who, scope in (("county staff", staff, county), ("administrator", admin, None)):
        timed(
            f"coverage, {label}",
            lambda s=scope: old_coverage.compute(db.session, s, year),
            runs=3,
        )
        timed(
            f"dashboard, {label}",
            lambda w=who, s=scope: old_dashboard.compute(
                db.session,
                cases_for(db.session, w, today),
                period=months,
                areas=old_dashboard.child_areas(db.session, s),
                now=now,
            ),
            runs=3,
        )
        timed(
            f"supervision precision, {label}",
            lambda w=who: old_supervision.precision(db.session, w, today.year),
            runs=3,
        )
    started = time.perf_counter()
    summaries.rebuild(db.session, now, ZONE)
    db.session.commit()
    say(f"full rebuild of the summaries: {time.perf_counter() - started:.1f} s")
    say("after (summed from the summaries):")
    for label, who, scope in (("county staff", staff, county), ("administrator", admin, None)):
        timed(f"coverage, {label}", lambda s=scope: coverage.compute(db.session, s, year))
        timed(
            f"dashboard, {label}",
            lambda w=who, s=scope: dashboard.compute(
                db.session,
                w.area_id,
                period=months,
                areas=dashboard.child_areas(db.session, s),
            ),
        )
        timed(
            f"supervision precision, {label}",
            lambda w=who: supervision.precision(db.session, w, today.year),
        )
    client = app.test_client()
    for label, who in (("county staff", staff), ("administrator", admin)):
        with client.session_transaction() as session:
            session["_user_id"] = who.get_id()
        for path in ("/admin/coverage", "/admin/dashboard", "/admin/supervision/precision"):
            with count_queries() as queries:
                assert client.get(path).status_code == 200
            timed(f"GET {path} ({label}, {queries.count} queries)", lambda p=path: client.get(p))
    refreshes(staff)


def refreshes(staff: User) -> None:
    """The periodic refresh: with nothing changed, and after a case and a delivery."""
    from tests.factories import create_case
    from tests.plan_factories import create_delivery

    def refresh() -> summaries.Refreshed:
        result = summaries.refresh(db.session, datetime.now(UTC), ZONE)
        db.session.commit()
        return result

    refresh()
    started = time.perf_counter()
    result = refresh()
    say(
        f"periodic refresh, nothing changed: {(time.perf_counter() - started) * 1000:.0f} ms "
        f"({result.areas} areas)"
    )
    resident = db.session.scalar(text("SELECT id FROM resident ORDER BY id LIMIT 1"))
    from portal.models import PlanItem, Resident

    create_case(db.session.get(Resident, resident))
    item = db.session.scalar(db.select(PlanItem).order_by(PlanItem.id).limit(1))
    create_delivery(item, delivered_on=date.today())
    db.session.commit()
    started = time.perf_counter()
    result = refresh()
    say(
        f"periodic refresh after a new case and delivery: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms ({result.areas} areas)"
    )


if __name__ == "__main__":
    main()
