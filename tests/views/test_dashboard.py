"""The staff dashboard: figures scoped to the user's area, filters, charts, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import AreaLevel, CaseStatus, CaseType, Role, Satisfaction
from tests.dashboard_factories import make_case, rate
from tests.factories import create_area, create_resident, create_user
from tests.summary_helpers import refresh_summaries

D = timedelta(days=1)
H = timedelta(hours=1)


@pytest.fixture
def world(app):
    now = datetime.now(UTC)
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area(
        "511321101201", AreaLevel.VILLAGE, parent_id=township.id, name_en="Xingfu"
    )
    neighbour = create_area(
        "511321101202", AreaLevel.VILLAGE, parent_id=township.id, name_en="=HYPERLINK(1)"
    )
    other_township = create_area("511321102000", AreaLevel.TOWNSHIP, parent_id=county.id)
    far = create_area("511321102201", AreaLevel.VILLAGE, parent_id=other_township.id)
    r1, r2, r3 = create_resident(village), create_resident(neighbour), create_resident(far)
    start = now - 10 * D
    # Answered in time after 5 h, resolved, rated satisfied.
    on_time = make_case(
        r1,
        created_at=start,
        first_response_due_at=start + 2 * D,
        first_responded_at=start + 5 * H,
        resolved_at=start + 3 * D,
        resolve_due_at=start + 5 * D,
        status=CaseStatus.RESOLVED,
    )
    rate(on_time, Satisfaction.SATISFIED)
    # Answered late after 72 h and past its resolution deadline: overdue; rated dissatisfied.
    late = make_case(
        r1,
        created_at=start,
        first_response_due_at=start + 2 * D,
        first_responded_at=start + 72 * H,
        resolve_due_at=start + 5 * D,
    )
    rate(late, Satisfaction.DISSATISFIED)
    # Never answered, deadline passed: late and overdue (a consultation in the neighbour village).
    make_case(
        r2,
        CaseType.CONSULTATION,
        created_at=start,
        first_response_due_at=start + 2 * D,
        status=CaseStatus.NEW,
    )
    # Received seven months ago: outside a three-month period.
    make_case(
        r1,
        created_at=now - 210 * D,
        first_response_due_at=now - 208 * D,
        first_responded_at=now - 209 * D,
        resolved_at=now - 205 * D,
        status=CaseStatus.RESOLVED,
    )
    # In the other township: never seen by this township's staff.
    make_case(r3, created_at=start, first_response_due_at=start + 2 * D, status=CaseStatus.NEW)
    db.session.commit()
    refresh_summaries()  # what the scheduler does every interval
    return {"county": county, "township": township, "village": village, "neighbour": neighbour}


def township_officer(world):
    staff = create_user(Role.TOWNSHIP_OFFICER, area_id=world["township"].id)
    db.session.commit()
    return staff


def headline(page):
    return {
        row.dt.get_text(strip=True): " ".join(row.dd.get_text(" ", strip=True).split())
        for row in page.select("#headline-heading ~ dl .summary__row")
    }


def table(page, name):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in page.select(f"#{name}-caption ~ tbody tr")
    ]


def test_headline_and_tables_for_a_township(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    page = client_request.get("/admin/dashboard")
    figures = headline(page)
    # The old case counts in a 12-month period: 4 due, 2 of them answered in time.
    assert figures["Answered in time"] == "50% (2 of 4 cases)"
    assert figures["Median time to first reply"] == "24.0 hours"  # 5, 24, 72 h: the middle one
    assert figures["Overdue now"] == "2 cases"
    assert figures["Satisfied"] == "50% (2 ratings)"
    areas = table(page, "area")
    assert [row[:2] for row in areas] == [["Xingfu", "3"], ["=HYPERLINK(1)", "1"]]
    assert areas[1][2].startswith("0%") and areas[1][4] == "1"
    types = {row[0]: row[1] for row in table(page, "type")}
    assert types == {"Question": "1", "Complaint": "3"}
    assert sum(int(row[1]) for row in table(page, "month")) == 4
    assert len(table(page, "month")) == 12


def test_charts_are_labelled_images_beside_their_tables(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    page = client_request.get("/admin/dashboard?metric=overdue")
    figures = page.select("figure.chart")
    assert len(figures) == 3
    for figure in figures:
        svg = figure.svg
        assert svg["role"] == "img" and svg["viewBox"].startswith("0 0 288 ")
        assert svg.title["id"] == svg["aria-labelledby"]
        assert "Overdue now" in svg.title.get_text()
        region = figure.find_next_sibling("div", class_="table-wrap")
        assert region.table.caption["id"] == region["aria-labelledby"]
        assert all(th.get("scope") in {"col", "row"} for th in region.find_all("th"))
    texts = [t.get_text() for t in figures[0].find_all("text")]
    assert texts == ["Xingfu", "1", "=HYPERLINK(1)", "1"]


def test_filters_narrow_the_figures(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    page = client_request.get("/admin/dashboard?months=3")
    assert headline(page)["Answered in time"] == "33% (1 of 3 cases)"
    assert len(table(page, "month")) == 3
    page = client_request.get("/admin/dashboard?case_type=consultation")
    assert [row[:2] for row in table(page, "type")] == [["Question", "1"]]
    page = client_request.get(f"/admin/dashboard?area={world['neighbour'].id}")
    assert headline(page)["Overdue now"] == "1 case"


def test_an_area_outside_the_choices_is_an_error_not_a_wider_scope(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    page = client_request.get(f"/admin/dashboard?area={world['county'].id}&months=7")
    assert page.select_one(".error-summary")
    assert headline(page)["Overdue now"] == "2 cases"  # the defaults: the whole township


def test_village_worker_sees_only_their_village(client_request, world):
    staff = create_user(Role.VILLAGE_WORKER, area_id=world["village"].id)
    db.session.commit()
    client_request.login(staff)
    client_request.set_locale("en")
    page = client_request.get("/admin/dashboard")
    assert [row[:2] for row in table(page, "area")] == [["Xingfu", "3"]]
    assert headline(page)["Overdue now"] == "1 case"


def test_csv_export_has_a_bom_localised_headers_and_no_formulas(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    response = client_request.client.get("/admin/dashboard/export-csv?months=3")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Grouping", "Group", "Cases received"]
    assert rows[1][:6] == ["Total", "All cases", "3", "3", "1", "33.3"]
    by_area = {row[1]: row for row in rows if row[0] == "By area"}
    assert set(by_area) == {"Xingfu", "'=HYPERLINK(1)"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_export_in_chinese(app, client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("zh_CN")
    response = client_request.client.get("/admin/dashboard/export-csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    with app.test_request_context(), force_locale("zh_CN"):
        assert rows[0][:2] == [gettext("Grouping"), gettext("Group")]
    assert world["village"].name_zh in {row[1] for row in rows}


def test_xlsx_export_has_the_same_rows(client_request, world):
    client_request.login(township_officer(world))
    client_request.set_locale("en")
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client_request.client.get("/admin/dashboard/export-csv")
                .get_data()
                .decode("utf-8-sig")
            )
        )
    )
    response = client_request.client.get("/admin/dashboard/export-xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    xlsx_rows = [[cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == [[cell(v) for v in row] for row in csv_rows]
    assert sheet["B1"].value == "Group" and sheet.cell(2, 3).value == 4


def cell(value):
    """A cell as both files mean it: numbers as numbers, empty as "", and text as stored (the
    CSV's apostrophe before "=…" is not part of it; XLSX keeps such text as a string cell)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    try:
        return float(value)
    except ValueError:
        return value


@pytest.mark.parametrize("path", ["", "/export-csv", "/export-xlsx"])
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GUARDIAN, Role.INSTITUTION])
def test_not_for_non_staff(client_request, world, path, role):
    client_request.login(create_user(role))
    db.session.commit()
    client_request.get(f"/admin/dashboard{path}", expected_status=404)


def test_anonymous_users_are_sent_to_sign_in(client, world):
    response = client.get("/admin/dashboard/export-csv")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
