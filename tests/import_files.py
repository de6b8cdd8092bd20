"""Survey import files for tests and the benchmark: valid ID numbers, rows in the template."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook

from portal.services.people.identifiers import check_character


def id_number(n: int, born: date = date(1980, 1, 1), area: str = "511321") -> str:
    """A valid ID number (right checksum), different for each `n`."""
    born += timedelta(days=n // 1000)
    first17 = f"{area}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def survey_row(header: list[str], **values: str) -> list[str]:
    """A row in `header`'s order: defaults for the fixed columns, `values` for any column."""
    defaults = {
        "name": "张三",
        "area_code": "511321101201",
        "category": "4",
        "level": "2",
        "phone": "13900000001",
        "visit_date": f"{date.today().year}-01-10",
        "living_arrangement": "with_family",
        "income_support": "1",
        "employed": "0",
        "medical_insurance": "是",
        "pension_insurance": "否",
    }
    merged = defaults | values
    return [merged.get(column, "") for column in header]


def to_csv(rows: list[list[str]], *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return ("\ufeff" if bom else "").encode(encoding) + out.getvalue().encode(encoding)


def to_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
