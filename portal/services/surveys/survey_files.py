"""Reading survey import files row by row, so that a file's size never decides the memory used.

An XLSX of 691 KB can hold a million rows (its XML compresses to almost nothing), and a sheet
may declare a million rows or 16,384 columns it does not have. So:

- the rows are counted first, cheaply (`count_rows`): for XLSX the row elements in the
  unpacked XML are counted as it streams by (no cell is parsed), for CSV the records; a file
  over the row cap is refused before anything is parsed;
- XLSX is then read with openpyxl in read-only mode, row by row (`iter_rows` with
  `values_only`), its declared dimensions ignored and every row cut to the header's width;
  CSV is read record by record; neither is ever held whole.

Cells come back as the text a person typed (dates as YYYY-MM-DD, 1.0 as 1), stripped, and
without the apostrophe the formula-safe export (`admin.downloads`) puts before text such as
`+86…`, so that an export imports back unchanged.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

#: Columns read from the header row at most (the template has about 60).
MAX_COLUMNS = 1024
#: An XLSX may unpack to at most this much XML: a full sheet at the default row cap, with the
#: template's columns, unpacks to well under it. Past it the file is refused unopened, since
#: openpyxl scans a sheet without dimensions (and loads the shared strings) in full on opening.
MAX_UNPACKED_BYTES = 2 * 1024**3
#: The shared strings are loaded whole: they may unpack to at most this much.
MAX_SHARED_STRINGS_BYTES = 128 * 1024**2
#: What the export puts before a cell a spreadsheet would run (admin.downloads.FORMULA_STARTS).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A row element in SpreadsheetML, with or without a namespace prefix (not <rowBreaks>).
_ROW_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CHUNK = 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    ParseError,
    KeyError,
    ValueError,
    IndexError,
    TypeError,
    EOFError,
    OSError,
)


class ImportFileError(ValueError):
    """The file cannot be read as a table at all; `code` names why, `params` fill its message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def is_xlsx(path: Path, filename: str) -> bool:
    """XLSX by content (a zip); a file named .xlsx that is not one is unreadable."""
    with path.open("rb") as handle:
        if handle.read(4) == _XLSX_MAGIC:
            return True
    if filename.lower().endswith(".xlsx"):
        raise ImportFileError("unreadable")
    return False


def count_rows(path: Path, filename: str, limit: int) -> int:
    """The rows after the header, blank ones too, counted up to `limit + 1` at most."""
    if is_xlsx(path, filename):
        return _count_xlsx_rows(path, limit)
    try:
        with _csv_text(path) as text:
            return max(0, sum(1 for _ in islice(csv.reader(text), limit + 2)) - 1)
    except UnicodeDecodeError:
        raise ImportFileError("not_utf8") from None
    except csv.Error:
        raise ImportFileError("unreadable") from None


def read_rows(path: Path, filename: str) -> Generator[list[str], None, None]:
    """The header row (trailing empty cells dropped), then every row as text of its width."""
    if path.suffix == ".jsonl":
        yield from _read_kept(path)
    elif is_xlsx(path, filename):
        yield from _read_xlsx(path)
    else:
        yield from _read_csv(path)


def keep_rows(rows: Iterator[list[str]], out: IO[str]) -> Iterator[list[str]]:
    """`rows`, each also written to `out` as a line of JSON (`read_rows` reads them back fast).

    A checked XLSX is kept this way for applying: openpyxl parses a large sheet slowly, and
    the apply step reads the file twice (checked again, then written).
    """
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        yield row


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed (dates as YYYY-MM-DD, 1.0 as 1)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # The export's apostrophe before "+86…" or "=…" is not part of the value.
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# ---------------------------------------------------------------------------------------------
# XLSX


def _count_xlsx_rows(path: Path, limit: int) -> int:
    """Row elements in the workbook's XML, streamed; the workbook's unpacked size is checked
    first. Every sheet counts (a sheet openpyxl opens is scanned in full), the header not."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            shared = sum(m.file_size for m in members if m.filename.endswith("sharedStrings.xml"))
            if (
                sum(m.file_size for m in members) > MAX_UNPACKED_BYTES
                or shared > MAX_SHARED_STRINGS_BYTES
            ):
                raise ImportFileError("unpacked_too_large")
            found = 0
            for member in members:
                if member.filename.endswith(".xml"):
                    found += _count_elements(archive, member, limit + 2 - found)
                    if found > limit + 1:
                        break
    except ImportFileError:
        raise
    except _UNREADABLE:
        raise ImportFileError("unreadable") from None
    return min(max(0, found - 1), limit + 1)


def _count_elements(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> int:
    """Row elements in one member, up to `limit`; a tag split across two chunks counts once."""
    found = 0
    tail = b""
    with archive.open(member) as stream:
        while found < limit and (chunk := stream.read(_CHUNK)):
            data = tail + chunk
            cut = data.rfind(b"<")
            cut = len(data) if cut == -1 or len(data) - cut > 64 else cut
            found += len(_ROW_ELEMENT.findall(data, 0, cut))
            tail = data[cut:]
    return found + len(_ROW_ELEMENT.findall(tail))


def _read_xlsx(path: Path) -> Iterator[list[str]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE:
        raise ImportFileError("unreadable") from None
    try:
        sheet = book.worksheets[0]
        # Declared dimensions are not to be trusted: a row is as wide as the header, a sheet
        # as long as its rows.
        sheet.reset_dimensions()
        first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        header = _trimmed([cell_text(value) for value in first])
        yield header
        if not header:
            return
        for row in sheet.iter_rows(min_row=2, max_col=len(header), values_only=True):
            yield [cell_text(value) for value in row]
    except _UNREADABLE:
        raise ImportFileError("unreadable") from None
    finally:
        book.close()


# ---------------------------------------------------------------------------------------------
# CSV and the kept rows


def _csv_text(path: Path) -> IO[str]:
    """The file as UTF-8 text (with a byte-order mark or not), opened for the csv module."""
    return path.open(encoding="utf-8-sig", newline="")


def _read_csv(path: Path) -> Iterator[list[str]]:
    with _csv_text(path) as text:
        records = csv.reader(text)
        try:
            header = _trimmed([cell_text(cell) for cell in next(records, [])[:MAX_COLUMNS]])
            yield header
            width = len(header)
            for record in records:
                cells = [cell_text(cell) for cell in record[:width]]
                yield cells + [""] * (width - len(cells))
        except UnicodeDecodeError:
            raise ImportFileError("not_utf8") from None
        except csv.Error:
            raise ImportFileError("unreadable") from None


def _read_kept(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _trimmed(header: list[str]) -> list[str]:
    """The header without the empty cells after its last column."""
    while header and not header[-1]:
        header.pop()
    return header
