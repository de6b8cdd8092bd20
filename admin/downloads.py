"""The one writer of the files staff download: CSV that spreadsheet programs open in Chinese,
and XLSX. Formula-safe by construction: no cell can run as a formula.

Every CSV or XLSX the app produces goes through here (a meta-test refuses `csv.writer`,
openpyxl's `Workbook` or a `text/csv` response anywhere else), because a value typed by a
resident or a member of staff, such as a name `=HYPERLINK(...)`, would otherwise become a live
formula in a file that may carry full ID numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: A cell starting with one of these would run as a formula in a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Rows = Iterable[Sequence[object]]
#: Values written as they are; anything else (a lazy translation, a decimal) is written as text.
_PLAIN = (str, int, float, date, datetime)


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(rows: Rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese; formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(_text(value)) for value in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Iterable[tuple[str, Rows]]) -> bytes:
    """One sheet per (title, rows), streamed (write-only); titles cut to Excel's 31 characters.

    Text is always written as a string cell, never as a formula, so it shows exactly as stored
    (an ID number keeps its 18 characters, `+86…` its plus sign, `=…` stays inert).
    """
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(rows: Rows, filename: str) -> Response:
    return _attachment(csv_bytes(rows), CSV, filename)


def xlsx_file(sheets: Iterable[tuple[str, Rows]], filename: str) -> Response:
    return _attachment(xlsx_bytes(sheets), XLSX, filename)


def _text(value: object) -> object:
    return value if value is None or isinstance(value, _PLAIN) else str(value)


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    value = _text(value)
    if not isinstance(value, str):
        return value
    # XML cannot hold most control characters; openpyxl would refuse the whole file.
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula: never here
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
