"""Reporting from summaries (#12, point 3): the coverage, dashboard and supervision pages show
the summaries' figures and their "as of" time, the periodic job picks up changes, the
administrator's button rebuilds, and each page runs as many queries at 10 rows as at 200."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs.summaries import refresh_summaries as refresh_job
from portal.models import AreaLevel, AuditEvent, Case, CaseStatus, Role, SummaryState
from portal.services.reference.reference_data import seed_coverage_targets
from portal.services.reporting import summaries
from portal.services.reporting import supervision as supervision_service
from tests.dashboard_factories import make_case
from tests.factories import create_area, create_resident, create_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item
from tests.query_count import count_queries
from tests.summary_helpers import refresh_summaries

D = timedelta(days=1)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def county(app):
    """A county of two townships with three villages each, and county staff and an admin."""
    seed_coverage_targets(db.session)
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong")
    townships, villages = [], []
    for t in range(2):
        town = create_area(
            f"5113211{t:02d}000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en=f"Town {t}"
        )
        townships.append(town)
        for v in range(3):
            villages.append(
                create_area(
                    f"5113211{t:02d}2{v:02d}",
                    AreaLevel.VILLAGE,
                    parent_id=town.id,
                    name_en=f"Village {t}{v}",
                )
            )
    staff = create_user(Role.COUNTY_STAFF, area_id=county.id)
    admin = create_user(Role.ADMIN)
    db.session.commit()
    return {"county": county, "townships": townships, "villages": villages}, staff, admin


def open_case(resident, days_ago: int = 3) -> Case:
    now = datetime.now(UTC)
    return make_case(
        resident,
        created_at=now - days_ago * D,
        first_response_due_at=now - (days_ago - 2) * D,
        status=CaseStatus.NEW,
    )


def headline(page) -> dict[str, str]:
    return {
        row.dt.get_text(strip=True): " ".join(row.dd.get_text(" ", strip=True).split())
        for row in page.select("#headline-heading ~ dl .summary__row")
    }


def received_by_area(page) -> dict[str, int]:
    rows = page.select("#area-caption ~ tbody tr")
    return {row.th.get_text(strip=True): int(row.td.get_text(strip=True)) for row in rows}


def as_staff(client_request, user) -> None:
    client_request.login(user)
    client_request.set_locale("en")


def test_the_pages_say_so_before_the_first_build_and_show_no_figures(client_request, county):
    world, staff, _admin = county
    open_case(create_resident(world["villages"][0]))
    db.session.commit()
    as_staff(client_request, staff)
    for url in ("/admin/dashboard", "/admin/coverage", "/admin/supervision/precision"):
        page = client_request.get(url)
        note = page.select_one("#as-of").get_text(" ", strip=True)
        assert "have not been worked out yet" in note, url
        assert not page.select("table"), url  # no figures rather than zeros


def test_dashboard_figures_equal_a_direct_count_and_show_as_of_in_local_time(
    client_request, county
):
    world, staff, _admin = county
    for n, village in enumerate(world["villages"]):
        resident = create_resident(village)
        for _ in range(n + 1):
            open_case(resident, days_ago=3 + n)
    db.session.commit()
    refreshed = datetime.now(UTC)
    refresh_summaries(refreshed)
    as_staff(client_request, staff)
    page = client_request.get("/admin/dashboard")

    local = refreshed.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")  # Beijing time, as staff see
    assert f"Figures as of {local}." in page.select_one("#as-of").get_text()
    for town in world["townships"]:
        direct = db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.area_id.in_([v.id for v in world["villages"] if v.parent_id == town.id]))
        )
        assert received_by_area(page)[town.name_en] == direct
    total = db.session.scalar(select(func.count()).select_from(Case))
    assert headline(page)["Overdue now"] == f"{total} cases"


def test_the_periodic_job_picks_up_a_new_case_and_a_deadline_passing(client_request, county):
    world, staff, _admin = county
    resident = create_resident(world["villages"][0])
    open_case(resident)
    db.session.commit()
    refresh_summaries()
    as_staff(client_request, staff)
    assert received_by_area(client_request.get("/admin/dashboard"))["Town 0"] == 1

    now = datetime.now(UTC)
    make_case(  # due in a minute: not overdue yet
        resident,
        created_at=now - D,
        first_response_due_at=now + timedelta(minutes=1),
        status=CaseStatus.NEW,
    )
    db.session.commit()
    assert received_by_area(client_request.get("/admin/dashboard"))["Town 0"] == 1  # as of before
    assert refresh_job() == 1  # one village changed
    page = client_request.get("/admin/dashboard")
    assert received_by_area(page)["Town 0"] == 2
    assert headline(page)["Overdue now"] == "1 case"

    # Nothing written: the deadline passes and the next refresh counts the case overdue.
    later = now + timedelta(minutes=2)
    assert refresh_summaries(later).areas == 1
    assert headline(client_request.get("/admin/dashboard"))["Overdue now"] == "2 cases"


def coverage_cells(page, service: str) -> str:
    row = page.find("caption", string="Coverage by service").parent.find("th", string=service)
    return row.parent.find("td").get_text(" ", strip=True)


def test_coverage_equals_a_direct_count_and_the_job_picks_up_a_delivery(client_request, county):
    world, staff, _admin = county
    blind = [create_resident(v, disability_category=1) for v in world["villages"]]
    create_resident(world["villages"][0], disability_category=1, deceased_on=date(2020, 1, 1))
    create_delivery(create_plan_item(create_plan(blind[0]), code="REHAB.VIS.OM"))
    db.session.commit()
    refresh_summaries()
    as_staff(client_request, staff)
    page = client_request.get("/admin/coverage")
    assert page.select_one("#as-of") is not None
    # Six living blind residents, one of them with a delivery of orientation and mobility.
    assert (
        coverage_cells(page, "Orientation and mobility training for blind residents")
        == "17% (1 of 6)"
    )

    create_delivery(create_plan_item(create_plan(blind[1]), code="REHAB.VIS.OM"))
    db.session.commit()
    refresh_job()
    page = client_request.get("/admin/coverage")
    assert (
        coverage_cells(page, "Orientation and mobility training for blind residents")
        == "33% (2 of 6)"
    )


def test_the_administrators_button_rebuilds_and_is_audited(client_request, county):
    world, staff, admin = county
    open_case(create_resident(world["villages"][0]))
    db.session.commit()
    as_staff(client_request, staff)
    assert (
        client_request.get("/admin/dashboard").select_one("form[action='/admin/dashboard/rebuild']")
        is None
    )
    client_request.post("/admin/dashboard/rebuild", {}, expected_status=404)

    as_staff(client_request, admin)
    form = client_request.get("/admin/dashboard").select_one(
        "form[action='/admin/dashboard/rebuild']"
    )
    assert form["method"] == "post" and form.find("input", attrs={"name": "csrf_token"})
    response = client_request.client.post("/admin/dashboard/rebuild")
    assert response.status_code == 302 and response.location.endswith("/admin/dashboard")
    state = db.session.get(SummaryState, 1)
    assert state is not None and state.rebuilt_at == state.refreshed_at  # built (inline jobs)
    audit = db.session.scalars(select(AuditEvent.action)).all()
    assert "summaries.rebuild" in audit
    page = client_request.get("/admin/dashboard")
    assert "being worked out again" in page.get_text()
    assert "Figures as of" in page.select_one("#as-of").get_text()


def test_supervision_precision_reads_the_summaries(client_request, county):
    world, staff, _admin = county
    town = world["townships"][0]
    residents = [create_resident(world["villages"][0]) for _ in range(2)]
    round_, _ = supervision_service.draw_round(
        db.session,
        town,
        month=datetime.now(UTC).astimezone(ZONE).date().replace(day=1),
        seed="s",
        size=2,
        actor_id=staff.id,
        now=datetime.now(UTC),
    )
    for sample, resident in zip(round_.samples, residents, strict=True):
        item = create_plan_item(create_plan(resident))
        supervision_service.record_check(
            db.session,
            sample,
            supervision_service.Check(
                True, True, True, False, None, {item.id: supervision_service.ItemCheck("missed")}
            ),
            actor_id=staff.id,
            now=datetime.now(UTC),
        )
    db.session.commit()
    as_staff(client_request, staff)
    refresh_summaries()
    page = client_request.get("/admin/supervision/precision")
    cells = [td.get_text(strip=True) for td in page.find("th", string="Town 0").parent("td")]
    assert cells == ["2", "2", "0.0%"]
    assert "Figures as of" in page.select_one("#as-of").get_text()


# --- query-count guards: the same number of queries at 10 and at 200 rows in scope ---------


def guard(client_request, user, url: str, grow) -> None:
    as_staff(client_request, user)
    counts = []
    for rows in (10, 190):
        grow(rows)
        db.session.commit()
        refresh_summaries()
        client_request.get(url)  # warm the per-process caches (area tree, signed-in user)
        with count_queries() as queries:
            client_request.get(url)
        counts.append(queries)
    small, large = counts
    assert large.count == small.count, f"10 rows:\n{small}\n\n200 rows:\n{large}"


def test_dashboard_queries_do_not_grow_with_the_cases(client_request, county):
    world, staff, _admin = county
    residents = [create_resident(v) for v in world["villages"]]

    def grow(count: int) -> None:
        for n in range(count):
            open_case(residents[n % len(residents)], days_ago=3 + n % 200)

    guard(client_request, staff, "/admin/dashboard", grow)


def test_coverage_queries_do_not_grow_with_the_residents(client_request, county):
    world, staff, _admin = county

    def grow(count: int) -> None:
        for n in range(count):
            resident = create_resident(world["villages"][n % 6], disability_category=1 + n % 7)
            if n % 2:
                create_delivery(create_plan_item(create_plan(resident), code="REHAB.VIS.OM"))

    guard(client_request, staff, "/admin/coverage", grow)


@pytest.mark.parametrize("url", ["/admin/supervision", "/admin/supervision/precision"])
def test_supervision_queries_do_not_grow_with_the_rounds(client_request, county, url):
    world, staff, _admin = county
    resident = create_resident(world["villages"][0])
    item = create_plan_item(create_plan(resident))
    towns = [world["townships"][0]] + [
        create_area(
            f"51132120{n:01d}000", AreaLevel.TOWNSHIP, parent_id=world["county"].id, name_en=str(n)
        )
        for n in range(9)
    ]
    db.session.commit()
    drawn = {"n": 0}

    def grow(count: int) -> None:
        for _ in range(count):
            n = drawn["n"]
            drawn["n"] += 1
            town = towns[n % len(towns)]
            month = date(2026 - n // 120, 1 + (n // len(towns)) % 12, 1)
            round_, _ = supervision_service.draw_round(
                db.session,
                town,
                month=month,
                seed=str(n),
                size=1,
                actor_id=staff.id,
                now=datetime.now(UTC),
            )
            for sample in round_.samples:
                supervision_service.record_check(
                    db.session,
                    sample,
                    supervision_service.Check(
                        True,
                        True,
                        True,
                        False,
                        None,
                        {item.id: supervision_service.ItemCheck(None)},
                    ),
                    actor_id=staff.id,
                    now=datetime.now(UTC),
                )

    guard(client_request, staff, url + "?year=2026", grow)


def test_the_periodic_refresh_is_listed_with_the_other_sweeps():
    from portal.jobs.periodic import PERIODIC_JOBS

    assert refresh_job in PERIODIC_JOBS
    assert summaries.REBUILD_EVERY == timedelta(hours=24)


def test_exports_stream(client_request, county):
    world, staff, _admin = county
    open_case(create_resident(world["villages"][0]))
    db.session.commit()
    refresh_summaries()
    as_staff(client_request, staff)
    for path in ("/admin/dashboard/export-csv", "/admin/coverage/export-csv"):
        response = client_request.client.get(path)
        assert response.status_code == 200 and response.is_streamed, path
        assert response.get_data().startswith(b"\xef\xbb\xbf")
    response = client_request.client.get("/admin/dashboard/export-xlsx")
    assert response.is_streamed and response.get_data()[:2] == b"PK"  # sent from a file


def test_csv_rows_are_sent_in_chunks_as_they_come():
    from admin.downloads import CHUNK, csv_chunks

    produced = []

    def rows():
        for n in range(5000):
            produced.append(n)
            yield [n, "x" * 40]

    chunks = csv_chunks(rows())
    assert next(chunks) == b"\xef\xbb\xbf"
    first = next(chunks)
    assert CHUNK <= len(first) < 2 * CHUNK and len(produced) < 5000  # before the last row
    assert sum(len(c) for c in chunks) > 0 and len(produced) == 5000
