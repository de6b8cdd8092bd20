"""One export writer (#11, point 5): every CSV/XLSX the app produces goes through
`admin.downloads`, which is formula-safe by construction; nothing else builds a spreadsheet."""

from __future__ import annotations

import ast
import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admin import downloads
from portal.extensions import db
from portal.models import AreaLevel, BasicStatusRecord, Role
from portal.services.people.residents import register_resident
from tests.factories import create_area, create_user
from tests.import_files import id_number

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "admin" / "downloads.py"
YEAR = date.today().year
HOSTILE = '=HYPERLINK("http://x","y")'

#: What building a spreadsheet looks like in a source file.
SPREADSHEET_MODULES = {"xlsxwriter", "pandas", "tablib", "pyexcel", "xlwt"}
CSV_WRITERS = {"writer", "DictWriter"}
SPREADSHEET_TYPES = ("text/csv", "spreadsheetml")


def _spreadsheet_building(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "csv" and node.attr in CSV_WRITERS:
                found.append(f"csv.{node.attr}")
            if node.value.id == "openpyxl" and node.attr == "Workbook":
                found.append("openpyxl.Workbook")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "csv" and names & CSV_WRITERS:
                found.append(f"from csv import {', '.join(sorted(names & CSV_WRITERS))}")
            if node.module.split(".")[0] == "openpyxl" and "Workbook" in names:
                found.append(f"from {node.module} import Workbook")
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            found += [f"import {m}" for m in modules if m.split(".")[0] in SPREADSHEET_MODULES]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"{kind!r} response" for kind in SPREADSHEET_TYPES if kind in node.value]
    return found


def test_no_module_but_the_writer_builds_a_spreadsheet():
    offenders = {}
    for package in ("portal", "admin"):
        for path in (ROOT / package).rglob("*.py"):
            if path == WRITER:
                continue
            found = _spreadsheet_building(ast.parse(path.read_text(encoding="utf-8")))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}, "build CSV and XLSX files with admin/downloads.py only"
    assert _spreadsheet_building(ast.parse(WRITER.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+8613900000001", "'+8613900000001"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("王一", "王一"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert downloads.neutralise(value) == expected


def test_xlsx_cells_are_written_as_text_never_as_formulas():
    data = downloads.xlsx_bytes([("s", [["a", "b"], [HOSTILE, 2, "-1", None]])])
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    cell = sheet["A2"]
    assert (cell.value, cell.data_type) == (HOSTILE, "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == (2, "n")
    assert (sheet["C2"].value, sheet["C2"].data_type) == ("-1", "s")


def test_csv_cells_are_prefixed():
    text = downloads.csv_bytes([["name"], [HOSTILE]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["name"], ["'" + HOSTILE]]


@pytest.fixture
def hostile_resident(client_request):
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    staff = create_user(Role.COUNTY_STAFF, area_id=county.id)
    resident = register_resident(
        db.session,
        name=HOSTILE,
        area=village,
        disability_category=1,
        id_number=id_number(1),
        phone="+8613900000001",
        today=date.today(),
    )
    db.session.add(
        BasicStatusRecord(
            resident_id=resident.id, year=YEAR, answers={}, surveyed_on=date(YEAR, 1, 10)
        )
    )
    db.session.commit()
    client_request.login(staff)
    return resident


def test_the_survey_export_is_inert_in_csv(client_request, hostile_resident):
    client_request.get(f"/admin/imports/export-csv?year={YEAR}")
    response = client_request.response
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    name, phone = rows[0].index("name"), rows[0].index("phone")
    assert rows[1][name] == "'" + HOSTILE
    assert rows[1][phone] == "'+8613900000001"
    assert rows[1][0] == id_number(1)


def test_the_survey_export_is_inert_in_xlsx(client_request, hostile_resident):
    client_request.get(f"/admin/imports/export-xlsx?year={YEAR}")
    book = load_workbook(io.BytesIO(client_request.response.get_data()))
    sheet = book.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=2, column=header.index("name") + 1)
    assert (name.value, name.data_type) == (HOSTILE, "s")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.cell(row=2, column=1).value == id_number(1)
