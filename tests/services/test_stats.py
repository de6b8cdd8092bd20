"""The dashboard's figures on a small, known set of cases (portal.services.reporting.dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from portal.models import Area, AreaLevel, CaseStatus, CaseType, Role, Satisfaction
from portal.services.reporting import dashboard
from tests.dashboard_factories import make_case, rate
from tests.factories import create_area, create_resident, create_user
from tests.summary_helpers import refresh_summaries

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = timedelta(days=1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(app):
    """Two townships of one county, two villages in the first, and a neighbouring county."""
    county = create_area("511321000000", AreaLevel.COUNTY)
    t1 = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    v1 = create_area("511321101201", AreaLevel.VILLAGE, parent_id=t1.id)
    v2 = create_area("511321101202", AreaLevel.VILLAGE, parent_id=t1.id)
    t2 = create_area("511321102000", AreaLevel.TOWNSHIP, parent_id=county.id)
    v3 = create_area("511321102201", AreaLevel.VILLAGE, parent_id=t2.id)
    other = create_area("511322000000", AreaLevel.COUNTY)
    v4 = create_area("511322101201", AreaLevel.VILLAGE, parent_id=other.id)
    r1, r2, r3, r4 = (create_resident(v) for v in (v1, v2, v3, v4))
    # A: received 1 June local time (31 May UTC), answered after 24 h, resolved in time.
    a = make_case(
        r1,
        created_at=at(2026, 5, 31, 17),
        first_response_due_at=at(2026, 6, 3, 9),
        first_responded_at=at(2026, 6, 1, 17),
        resolved_at=at(2026, 6, 5),
        resolve_due_at=at(2026, 6, 10),
        status=CaseStatus.RESOLVED,
    )
    rate(a, Satisfaction.SATISFIED)
    # B: answered late (96 h), resolution deadline passed: overdue.
    make_case(
        r1,
        created_at=at(2026, 5, 10),
        first_response_due_at=at(2026, 5, 12),
        first_responded_at=at(2026, 5, 14),
        resolve_due_at=at(2026, 5, 20),
    )
    # C: never answered, deadline passed: late and overdue.
    make_case(
        r2,
        CaseType.CONSULTATION,
        created_at=at(2026, 6, 10),
        first_response_due_at=at(2026, 6, 12),
        status=CaseStatus.NEW,
    )
    # D: not answered yet, deadline to come: not counted.
    make_case(
        r2,
        CaseType.CONSULTATION,
        created_at=at(2026, 6, 14),
        first_response_due_at=at(2026, 6, 16),
        status=CaseStatus.NEW,
    )
    # E: answered in 10 h, waiting for the resident past its resolution deadline: not overdue.
    e = make_case(
        r2,
        CaseType.NEED,
        created_at=at(2026, 4, 5),
        first_response_due_at=at(2026, 4, 7),
        first_responded_at=at(2026, 4, 5, 10),
        resolve_due_at=at(2026, 4, 20),
        status=CaseStatus.WAITING,
    )
    rate(e, Satisfaction.DISSATISFIED)
    rate(e, Satisfaction.BASIC)
    # W: withdrawn before any answer: left out of the rates.
    make_case(
        r1,
        created_at=at(2026, 6, 2),
        first_response_due_at=at(2026, 6, 4),
        status=CaseStatus.WITHDRAWN,
    )
    # H: received before the period.
    make_case(r1, created_at=at(2026, 2, 1), first_response_due_at=at(2026, 2, 3))
    # F: the other township, answered in 2 h.
    make_case(
        r3,
        created_at=at(2026, 6, 1),
        first_response_due_at=at(2026, 6, 3),
        first_responded_at=at(2026, 6, 1, 2),
    )
    # G: another county, overdue: never counted for this county's staff.
    make_case(r4, created_at=at(2026, 6, 1), first_response_due_at=at(2026, 6, 3))
    db.session.flush()
    return {"county": county, "t1": t1, "t2": t2, "v1": v1, "v2": v2, "other": other}


def figures_for(user, area=None, case_type=None, months=3):
    """The figures as the page reads them: from the summaries, refreshed at NOW."""
    refresh_summaries(NOW, commit=False)
    scope = db.session.get(Area, user.area_id) if user.area_id else None
    return dashboard.compute(
        db.session,
        user.area_id,
        period=dashboard.Period.last_months(NOW.astimezone(ZONE).date(), months, ZONE),
        areas=dashboard.child_areas(db.session, scope),
        case_type=case_type,
        area=area,
    )


def numbers(f):
    return (
        f.received,
        f.answer_due,
        f.answered_in_time,
        f.resolve_due,
        f.resolved_in_time,
        f.overdue,
        f.ratings,
        f.satisfied,
        f.median_hours,
    )


def test_township_figures_by_area_type_and_month(world):
    staff = create_user(Role.TOWNSHIP_OFFICER, area_id=world["t1"].id)
    result = figures_for(staff)
    assert numbers(result.total) == (6, 4, 2, 3, 1, 2, 3, 2, 24.0)
    assert result.total.answered_rate == 0.5
    assert result.total.satisfaction_rate == pytest.approx(2 / 3)
    by_area = {f.key: numbers(f) for f in result.by_area}
    assert by_area == {
        "511321101201": (3, 2, 1, 2, 1, 1, 1, 1, 60.0),
        "511321101202": (3, 2, 1, 1, 0, 1, 2, 1, 10.0),
    }
    by_type = {f.key: numbers(f) for f in result.by_type}
    assert by_type == {
        "need": (1, 1, 1, 1, 0, 0, 2, 1, 10.0),
        "consultation": (2, 1, 0, 0, 0, 1, 0, 0, None),
        "complaint": (3, 2, 1, 2, 1, 1, 1, 1, 60.0),
    }
    assert [f.key for f in result.by_month] == ["2026-04", "2026-05", "2026-06"]
    assert [f.received for f in result.by_month] == [1, 1, 4]  # A counts in June, local time
    assert result.by_month[2].median_hours == 24.0


def test_county_groups_by_township_and_never_counts_another_county(world):
    staff = create_user(Role.COUNTY_STAFF, area_id=world["county"].id)
    result = figures_for(staff)
    assert result.total.received == 7
    assert result.total.median_hours == 17.0  # 2, 10, 24, 96
    assert [(f.key, f.received) for f in result.by_area] == [("511321101", 6), ("511321102", 1)]


def test_village_worker_sees_their_village_only(world):
    staff = create_user(Role.VILLAGE_WORKER, area_id=world["v1"].id)
    result = figures_for(staff)
    assert [(f.key, f.received) for f in result.by_area] == [("511321101201", 3)]
    assert result.total.overdue == 1


def test_administrators_group_by_top_level_area(world):
    admin = create_user(Role.ADMIN)
    result = figures_for(admin)
    by_area = {f.key: f.received for f in result.by_area}
    assert by_area["511321"] == 7 and by_area["511322"] == 1


def test_filters_narrow_the_cases(world):
    staff = create_user(Role.TOWNSHIP_OFFICER, area_id=world["t1"].id)
    assert figures_for(staff, area=world["v2"]).total.received == 3
    assert figures_for(staff, case_type=CaseType.CONSULTATION).total.received == 2
    assert figures_for(staff, months=1).total.received == 4
    empty = figures_for(staff, case_type=CaseType.PETITION)
    assert numbers(empty.total) == (0, 0, 0, 0, 0, 0, 0, 0, None)
    assert empty.total.answered_rate is None


def test_period_months_cross_a_year_end():
    period = dashboard.Period.last_months(datetime(2026, 2, 10).date(), 3, ZONE)
    assert [key for key, _, _ in period.bounds()] == ["2025-12", "2026-01", "2026-02"]
    assert period.start == datetime(2025, 11, 30, 16, tzinfo=UTC)
    assert period.end == datetime(2026, 2, 28, 16, tzinfo=UTC)


def test_cases_filed_at_the_scope_itself_count_as_elsewhere(world):
    staff = create_user(Role.TOWNSHIP_OFFICER, area_id=world["t1"].id)
    make_case(
        create_resident(world["t1"]),
        created_at=at(2026, 6, 1),
        first_response_due_at=at(2026, 6, 3),
        first_responded_at=at(2026, 6, 1, 6),
    )
    result = figures_for(staff)
    by_area = {f.key: (f.received, f.median_hours) for f in result.by_area}
    assert by_area[dashboard.OTHER_AREA] == (1, 6.0)
    assert result.total.received == 7
