"""The one writer of the files staff download: CSV that spreadsheet programs open in Chinese,
and XLSX. Formula-safe by construction: no cell can run as a formula.

Every CSV or XLSX the app produces goes through here (a meta-test refuses `csv.writer`,
openpyxl's `Workbook` or a `text/csv` response anywhere else), because a value typed by a
resident or a member of staff, such as a name `=HYPERLINK(...)`, would otherwise become a live
formula in a file that may carry full ID numbers.

Files are sent as they are produced, so a download of 100,000 rows holds a few rows in memory,
not the file: a CSV's rows are written and sent in chunks of about 64 KB as the caller's rows
come (give a generator); an XLSX is a ZIP whose directory comes last, so it is written to a
temporary file on disk (openpyxl's write-only mode keeps its rows on disk too) and then sent in
chunks from there, and a failure while writing it is still an error page, not half a file.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO

from flask import Response, stream_with_context
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
#: Bytes gathered before a chunk is sent.
CHUNK = 64 * 1024


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(rows: Rows) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese; formulas neutralised; in
    chunks of about `CHUNK` bytes, each written as the rows arrive."""
    yield "\ufeff".encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(_text(value)) for value in row])
        if out.tell() >= CHUNK:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def csv_bytes(rows: Rows) -> bytes:
    return b"".join(csv_chunks(rows))


def write_xlsx(sheets: Iterable[tuple[str, Rows]], out: IO[bytes]) -> None:
    """One sheet per (title, rows), streamed (write-only); titles cut to Excel's 31 characters.

    Text is always written as a string cell, never as a formula, so it shows exactly as stored
    (an ID number keeps its 18 characters, `+86…` its plus sign, `=…` stays inert).
    """
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(out)


def xlsx_bytes(sheets: Iterable[tuple[str, Rows]]) -> bytes:
    out = io.BytesIO()
    write_xlsx(sheets, out)
    return out.getvalue()


def csv_file(rows: Rows, filename: str) -> Response:
    """The rows as a CSV download, sent as they are produced (`rows` may be a generator that
    reads the database: it runs inside the request's context)."""
    return _attachment(stream_with_context(csv_chunks(rows)), CSV, filename)


def xlsx_file(sheets: Iterable[tuple[str, Rows]], filename: str) -> Response:
    """The sheets as an XLSX download: written to a temporary file, then sent from it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _file_chunks once sent
    try:
        write_xlsx(sheets, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return _attachment(_file_chunks(out), XLSX, filename)


def _file_chunks(out: IO[bytes]) -> Iterator[bytes]:
    with out:
        while chunk := out.read(CHUNK):
            yield chunk


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


def _attachment(data: Iterable[bytes], mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
