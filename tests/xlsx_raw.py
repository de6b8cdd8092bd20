"""Large XLSX files for tests and the benchmark, written as raw XML (openpyxl would take minutes).

`write_xlsx` streams rows into the sheet as inline strings, so a million rows take seconds;
`dimension` writes a `<dimension>` element, true or not (a sheet may claim a size it has not);
`numbers` gives the rows' numbers (a sheet may skip from row 3 to row 1,000,000).
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
PARTS = {
    "[Content_Types].xml": (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_BOOK_TYPE}"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEET_TYPE}"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_HEAD}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_HEAD}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def write_xlsx(
    path: Path,
    rows: Iterable[Sequence[object]],
    *,
    dimension: str | None = None,
    numbers: Iterable[int] | None = None,
) -> None:
    """Write `rows` (header first) to the first sheet of a workbook at `path`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for number, cells in zip(numbers or itertools.count(1), rows, strict=False):
                sheet.write(_row(number, cells))
            sheet.write(b"</sheetData></worksheet>")


def _row(number: int, cells: Sequence[object]) -> bytes:
    parts = [f'<row r="{number}">']
    for column, value in enumerate(cells, start=1):
        if value not in ("", None):
            text = escape(str(value))
            ref = f"{_column(column)}{number}"
            parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    parts.append("</row>")
    return "".join(parts).encode()


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
