"""/admin/calendar: public holidays and make-up working days, edited by administrators."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, CalendarDay, CalendarYear, Role
from portal.services.sla.sla import deadlines_for
from tests.factories import create_area, create_case, create_resident, create_user
from tests.html import error_summary, field_error
from tests.reference_rows import kept_reference_rows

SH = ZoneInfo("Asia/Shanghai")
#: A year inside the editable range that the chinese-calendar package does not know.
UNPUBLISHED = date.today().year + 3


@pytest.fixture(autouse=True)
def _keep_calendar(app):
    with kept_reference_rows():
        yield


@pytest.fixture
def admin(client_request):
    user = create_user(Role.ADMIN)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def audits(action_prefix: str = "calendar.") -> list[AuditEvent]:
    return [
        a
        for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if a.action.startswith(action_prefix)
    ]


@pytest.mark.parametrize("role", [Role.VILLAGE_WORKER, Role.COUNTY_STAFF, Role.SUPERVISOR])
def test_only_administrators_may_open_or_change_the_calendar(client_request, role):
    county = create_area("511321000000", AreaLevel.COUNTY)
    user = create_user(role, area_id=county.id)
    db.session.commit()
    client_request.login(user)
    client_request.get("/admin/calendar", expected_status=404)
    client_request.get("/admin/calendar?year=2026", expected_status=404)
    form = {"day": "2026-11-25", "kind": "holiday", "name": "假日"}
    client_request.post("/admin/calendar?year=2026", form, expected_status=404)
    client_request.post("/admin/calendar/remove", {"day": "2026-10-01"}, expected_status=404)
    client_request.post("/admin/calendar/publish", {"year": "2026"}, expected_status=404)
    client_request.post("/admin/calendar/reload", {}, expected_status=404)
    assert db.session.get(CalendarDay, date(2026, 11, 25)) is None
    assert db.session.get(CalendarDay, date(2026, 10, 1)) is not None
    assert audits() == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/calendar")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_the_year_lists_its_holidays_and_make_up_days(client_request, admin):
    page = client_request.get("/admin/calendar?year=2026")
    rows = {
        r.find("time")["datetime"]: r.get_text(" ", strip=True) for r in page.select("tbody tr")
    }
    assert "Holiday" in rows["2026-10-01"] and "国庆节" in rows["2026-10-01"]
    assert "Working day" in rows["2026-02-14"] and "春节调休" in rows["2026-02-14"]
    assert "2026-02-21" not in rows  # a plain Saturday inside the holiday: no exception
    assert "is loaded from the chinese-calendar package" in page.get_text()
    assert page.find(id="not-loaded") is None


def test_a_year_without_a_calendar_says_deadlines_fall_back(client_request, admin):
    page = client_request.get(f"/admin/calendar?year={UNPUBLISHED}")
    warning = page.find(id="not-loaded").get_text(" ", strip=True)
    assert f"The official calendar for {UNPUBLISHED} is not loaded" in warning
    assert "fall back to Monday to Friday" in warning


@pytest.mark.parametrize("year", ["1999", "3000", "abc"])
def test_a_year_far_away_is_not_found(client_request, admin, year):
    if year == "abc":  # not a number: the current year
        client_request.get(f"/admin/calendar?year={year}")
    else:
        client_request.get(f"/admin/calendar?year={year}", expected_status=404)


def test_adding_a_holiday_moves_deadlines_of_new_cases(client_request, admin):
    before = deadlines_for(db.session, "complaint", sh(2026, 11, 24, 10))
    assert before.first_response.due_at == sh(2026, 11, 25, 17, 30)
    form = {"day": "2026-11-25", "kind": "holiday", "name": "县庆"}
    client_request.post("/admin/calendar?year=2026", form)
    assert client_request.response.location.endswith("/admin/calendar?year=2026")
    row = db.session.get(CalendarDay, date(2026, 11, 25))
    assert (row.is_working_day, row.name, row.source) == (False, "县庆", "admin")
    after = deadlines_for(db.session, "complaint", sh(2026, 11, 24, 10))
    assert after.first_response.due_at == sh(2026, 11, 26, 17, 30)
    [audit] = audits()
    assert (audit.actor_id, audit.action) == (admin.id, "calendar.day_add")
    assert audit.data == {
        "day": "2026-11-25",
        "new": {"is_working_day": False, "name": "县庆", "source": "admin"},
    }
    page = client_request.get("/admin/calendar?year=2026")
    assert "Saved" in page.find(class_="banner").get_text()


def test_a_make_up_working_day_on_a_weekend_counts(client_request, admin):
    # Saturday 28 Nov 2026 made a working day: Friday's 1-WD deadline moves to Saturday.
    client_request.post("/admin/calendar", {"day": "2026-11-28", "kind": "working", "name": ""})
    assert db.session.get(CalendarDay, date(2026, 11, 28)).is_working_day
    deadlines = deadlines_for(db.session, "complaint", sh(2026, 11, 27, 9))
    assert deadlines.first_response.due_at == sh(2026, 11, 28, 17, 30)


def test_changing_a_package_day_is_audited_with_old_and_new(client_request, admin):
    page = client_request.get("/admin/calendar?year=2026&day=2026-10-01")
    assert page.find(id="day")["value"] == "2026-10-01"
    assert page.find(id="name")["value"] == "国庆节"
    client_request.post(
        "/admin/calendar?year=2026", {"day": "2026-10-01", "kind": "holiday", "name": "国庆"}
    )
    row = db.session.get(CalendarDay, date(2026, 10, 1))
    assert (row.name, row.source) == ("国庆", "admin")
    [audit] = audits()
    assert audit.action == "calendar.day_change"
    assert audit.data["old"] == {"is_working_day": False, "name": "国庆节", "source": "package"}
    assert audit.data["new"] == {"is_working_day": False, "name": "国庆", "source": "admin"}


def test_removing_a_holiday_makes_it_a_working_day_again(client_request, admin):
    assert deadlines_for(db.session, "complaint", sh(2026, 9, 30, 10)).first_response.due_at == (
        sh(2026, 10, 8, 17, 30)
    )
    client_request.post("/admin/calendar/remove", {"day": "2026-10-01"})
    assert db.session.get(CalendarDay, date(2026, 10, 1)) is None
    assert deadlines_for(db.session, "complaint", sh(2026, 9, 30, 10)).first_response.due_at == (
        sh(2026, 10, 1, 17, 30)
    )
    [audit] = audits()
    assert audit.action == "calendar.day_remove"
    assert audit.data["old"]["name"] == "国庆节"
    # Removing it again changes nothing and audits nothing.
    client_request.post("/admin/calendar/remove", {"day": "2026-10-01"})
    assert len(audits()) == 1


@pytest.mark.parametrize("day", ["", "yesterday", "1999-10-01"])
def test_remove_needs_a_date_in_range(client_request, admin, day):
    client_request.post("/admin/calendar/remove", {"day": day}, expected_status=400)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({}, "day", "Enter the date"),
        ({"day": "2026-11-25"}, "kind", "Choose whether the day is a holiday or a working day"),
        ({"day": "2026-13-01", "kind": "holiday", "name": "x"}, "day", "Enter a real date"),
        ({"day": "26-11-25", "kind": "holiday", "name": "x"}, "day", "Enter a real date"),
        ({"day": "1999-10-01", "kind": "holiday", "name": "x"}, "day", "Enter a date from"),
        ({"day": "2026-11-25", "kind": "holiday", "name": ""}, "name", "Enter the holiday's name"),
        ({"day": "2026-11-25", "kind": "holiday", "name": "<b>x</b>"}, "name", "plain words"),
        ({"day": "2026-11-25", "kind": "working", "name": ""}, "kind", "is a weekday"),
        ({"day": "2026-11-25", "kind": "nope", "name": "x"}, "kind", "Choose whether"),
    ],
)
def test_validation_errors_are_shown_next_to_the_fields(
    client_request, admin, form, field, message
):
    page = client_request.post("/admin/calendar?year=2026", form, expected_status=200)
    assert error_summary(page)
    assert message in field_error(page, field)
    if form.get("day"):
        assert page.find(id="day")["value"] == form["day"]  # what was typed stays
    assert audits() == []
    assert db.session.get(CalendarDay, date(2026, 11, 25)) is None


def test_marking_a_year_as_loaded_removes_the_warning_from_deadlines(client_request, admin):
    received = sh(UNPUBLISHED, 6, 2, 10)
    assert deadlines_for(db.session, "complaint", received).calendar_unknown
    client_request.post(
        f"/admin/calendar?year={UNPUBLISHED}",
        {"day": f"{UNPUBLISHED}-10-01", "kind": "holiday", "name": "国庆节"},
    )
    client_request.post("/admin/calendar/publish", {"year": str(UNPUBLISHED)})
    assert db.session.get(CalendarYear, UNPUBLISHED).source == "admin"
    assert not deadlines_for(db.session, "complaint", received).calendar_unknown
    assert [a.action for a in audits()] == ["calendar.day_add", "calendar.year_publish"]
    page = client_request.get(f"/admin/calendar?year={UNPUBLISHED}")
    assert page.find(id="not-loaded") is None
    assert "an administrator entered it" in page.get_text()
    # Marking it twice does nothing more.
    client_request.post("/admin/calendar/publish", {"year": str(UNPUBLISHED)})
    assert len(audits()) == 2


@pytest.mark.parametrize("year", ["", "1999", "x"])
def test_publish_needs_a_year_in_range(client_request, admin, year):
    client_request.post("/admin/calendar/publish", {"year": year}, expected_status=400)


def test_reload_fills_missing_years_and_keeps_administrators_edits(client_request, admin):
    # 2024 went missing, except one day an administrator changed by hand.
    db.session.execute(CalendarYear.__table__.delete().where(CalendarYear.year == 2024))
    db.session.execute(
        CalendarDay.__table__.delete().where(
            CalendarDay.day >= date(2024, 1, 1), CalendarDay.day <= date(2024, 12, 31)
        )
    )
    db.session.add(
        CalendarDay(day=date(2024, 10, 1), is_working_day=False, name="国庆", source="admin")
    )
    # In 2026, an administrator removed a package holiday: reloading must not bring it back.
    db.session.delete(db.session.get(CalendarDay, date(2026, 6, 19)))
    db.session.commit()
    client_request.post("/admin/calendar/reload", {"year": "2024"})
    assert client_request.response.location.endswith("/admin/calendar?year=2024")
    assert db.session.get(CalendarYear, 2024).source == "package"
    assert db.session.get(CalendarDay, date(2024, 10, 1)).name == "国庆"  # kept
    assert db.session.get(CalendarDay, date(2024, 2, 4)).is_working_day  # loaded
    assert db.session.get(CalendarDay, date(2026, 6, 19)) is None  # still removed
    [audit] = audits()
    assert (audit.action, audit.data) == ("calendar.reload", {"years": [2024]})
    page = client_request.get("/admin/calendar?year=2024")
    assert "Loaded from the chinese-calendar package: 2024" in page.get_text()


def test_reload_with_nothing_new_says_so(client_request, admin):
    client_request.post("/admin/calendar/reload", {})
    assert client_request.response.location.endswith("/admin/calendar")
    page = client_request.get("/admin/calendar")
    assert "has no year that is not loaded already" in page.get_text()


def test_cases_filed_after_an_edit_get_the_new_deadline(client_request, admin):
    village = create_area()
    resident = create_resident(village)
    earlier = create_case(resident, now=datetime(2026, 11, 24, 2, tzinfo=UTC))
    db.session.commit()
    client_request.post("/admin/calendar", {"day": "2026-11-25", "kind": "holiday", "name": "县庆"})
    later = create_case(resident, now=datetime(2026, 11, 24, 3, tzinfo=UTC))
    db.session.commit()
    assert earlier.first_response_due_at == sh(2026, 11, 25, 17, 30)
    assert later.first_response_due_at == sh(2026, 11, 26, 17, 30)


def test_the_calendar_is_in_the_staff_menu_of_administrators_only(client_request, admin):
    page = client_request.get("/admin/")
    assert page.find("a", href="/admin/calendar") is not None
    village = create_area()
    worker = create_user(Role.VILLAGE_WORKER, area_id=village.id)
    db.session.commit()
    client_request.login(worker)
    page = client_request.get("/admin/")
    assert page.find("a", href="/admin/calendar") is None


def test_pages_in_chinese(client_request, admin):
    client_request.set_locale("zh_CN")
    client_request.get("/admin/calendar?year=2026")
    client_request.get(f"/admin/calendar?year={UNPUBLISHED}")
