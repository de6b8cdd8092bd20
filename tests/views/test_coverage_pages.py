"""/admin/coverage: who may see it, its charts and tables, exports, and the quarterly report."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import AreaLevel, Institution, Role
from portal.services.reference.reference_data import seed_coverage_targets
from tests.factories import create_area, create_resident, create_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item
from tests.summary_helpers import refresh_summaries

THIS_YEAR = date.today().year


@pytest.fixture
def world(app):
    seed_coverage_targets(db.session)
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong")
    east = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="East")
    west = create_area("511321102000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="West")
    blind = create_resident(east, disability_category=1)
    create_resident(west, disability_category=1)
    item = create_plan_item(create_plan(blind), code="REHAB.VIS.OM")
    create_delivery(item, delivered_on=date(THIS_YEAR, 1, 2))
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    db.session.add(home)
    db.session.flush()
    users = {
        "county": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id),
        "admin": create_user(Role.ADMIN),
        "township": create_user(Role.TOWNSHIP_OFFICER, area_id=east.id),
        "village": create_user(Role.VILLAGE_WORKER, area_id=east.id),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
    }
    db.session.commit()
    refresh_summaries()
    return users


def as_user(client_request, world, who):
    client_request.login(world[who])
    client_request.set_locale("en")


def row_cells(page, caption: str, header: str) -> list[str]:
    table = page.find("caption", string=caption).parent
    return [
        c.get_text(" ", strip=True) for c in table.find("th", string=header).parent.find_all("td")
    ]


@pytest.mark.parametrize("who", ["county", "supervisor", "admin"])
def test_county_staff_supervisors_and_admins_see_coverage_against_target(
    client_request, world, who
):
    as_user(client_request, world, who)
    page = client_request.get("/admin/coverage")
    om = "Orientation and mobility training for blind residents"
    assert row_cells(page, "Coverage by service", om) == ["50% (1 of 2)", "80%", "No"]
    assert page.select_one("svg title#coverage-chart-title") is not None
    if who != "admin":
        cells = page.find("caption", string="Coverage by area and service").parent
        assert [r.get_text(" ", strip=True) for r in cells.select("tbody tr")][:2] == [
            f"{om} East 100% (1 of 1)",
            f"{om} West 0% (0 of 1)",
        ]


def test_a_township_officer_sees_their_township_only(client_request, world):
    as_user(client_request, world, "township")
    page = client_request.get("/admin/coverage")
    om = "Orientation and mobility training for blind residents"
    assert row_cells(page, "Coverage by service", om) == ["100% (1 of 1)", "80%", "Yes"]
    assert "West" not in page.get_text()


@pytest.mark.parametrize("who", ["village", "institution"])
def test_village_workers_and_institutions_get_404(client_request, world, who):
    as_user(client_request, world, who)
    for url in (
        "/admin/coverage",
        "/admin/coverage/report",
        "/admin/coverage/export-csv",
        "/admin/coverage/export-xlsx",
    ):
        client_request.get(url, expected_status=404)


@pytest.mark.parametrize(
    ("table", "header"),
    [
        (
            "coverage",
            [
                "Service",
                "Area",
                "Eligible residents",
                "Covered",
                "Coverage, per cent",
                "Target, per cent",
            ],
        ),
        (
            "correspondence",
            ["Area", "Needs", "Answered with a delivery", "Answered, per cent", "Target, per cent"],
        ),
        (
            "satisfaction",
            [
                "Area",
                "Satisfied",
                "Basically satisfied",
                "Dissatisfied",
                "Ratings",
                "Satisfied or basically satisfied, per cent",
            ],
        ),
    ],
)
def test_each_table_exports_as_csv(client_request, world, table, header):
    as_user(client_request, world, "county")
    response = client_request.client.get(f"/admin/coverage/export-csv?table={table}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == header
    if table == "coverage":
        assert rows[1] == [
            "Orientation and mobility training for blind residents",
            "All areas",
            "2",
            "1",
            "50.0",
            "80.0",
        ]
    else:
        assert rows[1][0] == "All areas"


def test_the_excel_file_has_a_sheet_per_table(client_request, world):
    as_user(client_request, world, "county")
    response = client_request.client.get("/admin/coverage/export-xlsx")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames == ["Coverage", "Needs answered", "Satisfaction"]
    rows = list(book["Coverage"].iter_rows(values_only=True))
    assert rows[0][0] == "Service" and rows[1][1:5] == ("All areas", 2, 1, 50.0)


def test_the_quarterly_report_runs_from_new_year_to_the_quarter_end(client_request, world):
    as_user(client_request, world, "county")
    page = client_request.get(f"/admin/coverage/report?quarter={THIS_YEAR}Q4")
    assert page.h1.get_text(strip=True) == f"Quarterly report: {THIS_YEAR}Q4"
    assert f"from {THIS_YEAR}-01-01 to {THIS_YEAR}-12-31" in page.get_text()
    page = client_request.get("/admin/coverage/report?quarter=nonsense")
    assert "Quarterly report: " in page.h1.get_text()  # this quarter instead
