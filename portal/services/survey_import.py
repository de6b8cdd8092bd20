"""Bulk import of a year's survey data (both forms, one row per resident) from CSV or XLSX.

A file is checked in full before anything is written (the dry run), so a bad file changes
nothing: every bad row and field is reported with a stable code (worded when shown). Applying
upserts by (resident found by ID number, year) and compares before it writes, so importing the
same file again changes nothing. The job in `portal.jobs.imports` applies rows in batches and
records its progress on the `ImportRun`.

Services flush, never commit.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from portal.models import (
    Area,
    AuditEvent,
    BasicStatusRecord,
    ImportRun,
    NeedItem,
    NeedsAnswer,
    NeedsRecord,
    Resident,
    Role,
    User,
)
from portal.models.base import AnySession
from portal.services import identifiers
from portal.services.access import area_prefix, areas_for
from portal.services.crypto import cipher
from portal.services.phones import PhoneError, validate_phone
from portal.services.residents import register_resident

#: The largest file accepted (bytes): about 100,000 rows, well over a county's residents.
MAX_BYTES = 20 * 1024 * 1024
#: Rows per transaction when applying: progress is committed after each batch.
BATCH = 500
#: Errors kept on a run; a file with more gets one more entry saying how many were left out.
MAX_ERRORS = 1000

FLAG_COLUMNS = ("income_support", "employed", "medical_insurance", "pension_insurance")
FIXED_COLUMNS = (
    "id_number",
    "name",
    "area_code",
    "category",
    "level",
    "phone",
    "visit_date",
    "living_arrangement",
    *FLAG_COLUMNS,
)
LIVING_ARRANGEMENTS = ("with_family", "with_spouse", "alone", "institution")
NAME_LIMIT = 100
_YES = frozenset({"1", "是", "y", "yes", "true"})
_NO = frozenset({"0", "否", "n", "no", "false"})

# ImportRun.status values.
CHECKED, REJECTED, APPLYING, APPLIED, FAILED = (
    "checked",
    "rejected",
    "applying",
    "applied",
    "failed",
)

#: What the export (admin.downloads) puts an apostrophe before: a spreadsheet would run it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Errors about the file as a whole (no row): `row` is 0 in their entries.
FILE_ERRORS = ("unreadable", "not_utf8", "empty", "missing_columns", "unknown_columns")


class ImportFileError(ValueError):
    """The file cannot be read as a table at all; `code` is one of FILE_ERRORS."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SurveyRow:
    """One checked row: the resident's details and both forms for the year."""

    row: int
    id_number: str
    name: str
    area_code: str
    category: int
    level: int | None
    phone: str | None
    visit_date: date
    living_arrangement: str | None
    flags: tuple[bool, ...]  # in FLAG_COLUMNS order
    needs: dict[str, bool]  # need code -> needed; items left empty are not in it


@dataclass
class CheckResult:
    rows: list[SurveyRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows_total: int = 0


def need_codes(session: AnySession) -> list[str]:
    """The catalogue's need codes, one column each, in catalogue order."""
    return list(
        session.scalars(
            select(NeedItem.code)
            .where(NeedItem.active, NeedItem.kind.in_(("need", "both")))
            .order_by(NeedItem.id)
        )
    )


def template_header(session: AnySession) -> list[str]:
    return [*FIXED_COLUMNS, *need_codes(session)]


# ---------------------------------------------------------------------------------------------
# Reading


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's cells as text, row by row: XLSX (by content) or CSV in UTF-8 (BOM or not)."""
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if filename.lower().endswith(".xlsx"):
        raise ImportFileError("unreadable")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("not_utf8") from None
    try:
        return [
            [_cell_text(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))
        ]
    except csv.Error:
        raise ImportFileError("unreadable") from None


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        table = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, IndexError, OSError):
        raise ImportFileError("unreadable") from None
    return table


def _cell_text(value: object) -> str:
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
    # The formula-safe export's apostrophe before "+86…" or "=…" is not part of the value.
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# ---------------------------------------------------------------------------------------------
# Checking (the dry run)


def _error(row: int, column: str, code: str, **params: Any) -> dict[str, Any]:
    return {"row": row, "field": column, "code": code, **params}


def scope_prefix(session: AnySession, user: User) -> str | None:
    """The area-code prefix the user may import into; None means everywhere (administrators)."""
    if user.role == Role.ADMIN:
        return None
    return area_prefix(session, user) or "-"  # "-" matches no code: no area, no scope


def check_table(
    session: AnySession, user: User, table: list[list[str]], *, year: int, today: date
) -> CheckResult:
    """Check every row of `table` (header first) for `user`'s scope; writes nothing."""
    if not table or not any(table[0]):
        return CheckResult(errors=[_error(0, "", "empty")])
    header = table[0]
    body = [(number, cells) for number, cells in enumerate(table[1:], start=2) if any(cells)]
    result = CheckResult(rows_total=len(body))
    expected = template_header(session)
    missing = [column for column in expected if column not in header]
    unknown = [column for column in header if column not in expected]
    if missing:
        result.errors.append(_error(0, "", "missing_columns", columns=", ".join(missing)))
    if unknown:
        shown = ", ".join(column or '""' for column in unknown)
        result.errors.append(_error(0, "", "unknown_columns", columns=shown))
    if missing or unknown:
        return result
    needs = expected[len(FIXED_COLUMNS) :]
    seen: dict[str, int] = {}
    for number, cells in body:
        values = dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False))
        row = _check_row(number, values, needs, year=year, today=today, errors=result.errors)
        if row is None:
            continue
        if row.id_number in seen:
            result.errors.append(
                _error(number, "id_number", "duplicate", first_row=seen[row.id_number])
            )
            continue
        seen[row.id_number] = number
        result.rows.append(row)
    _check_scope(session, user, result)
    if len(result.errors) > MAX_ERRORS:
        left_out = len(result.errors) - MAX_ERRORS
        result.errors = [*result.errors[:MAX_ERRORS], _error(0, "", "more_errors", count=left_out)]
    return result


def _check_row(
    number: int,
    values: dict[str, str],
    needs: list[str],
    *,
    year: int,
    today: date,
    errors: list[dict[str, Any]],
) -> SurveyRow | None:
    """The row as a `SurveyRow`, or None after adding an error for each bad field."""
    found: list[dict[str, Any]] = []

    def bad(column: str, code: str, **params: Any) -> None:
        found.append(_error(number, column, code, **params))

    id_number = ""
    try:
        id_number = identifiers.validate_resident_id(values["id_number"], today=today).number
    except identifiers.IdentifierError as error:
        bad("id_number", "required" if not values["id_number"] else error.code)
    name = values["name"]
    if not name:
        bad("name", "required")
    elif len(name) > NAME_LIMIT:
        bad("name", "name_too_long", limit=NAME_LIMIT)
    area_code = values["area_code"]
    if not (len(area_code) == 12 and area_code.isascii() and area_code.isdigit()):
        bad("area_code", "area_format")
    category = _number(values["category"], range(1, 8))
    if category is None:
        bad("category", "category")
    level = _number(values["level"], range(1, 5)) if values["level"] else None
    if values["level"] and level is None:
        bad("level", "level")
    phone = None
    if values["phone"]:
        try:
            phone = validate_phone(values["phone"])
        except PhoneError:
            bad("phone", "phone")
    visit_date = _visit_date(values["visit_date"], year, today, bad)
    living = values["living_arrangement"] or None
    if living is not None and living not in LIVING_ARRANGEMENTS:
        bad("living_arrangement", "living_arrangement")
    flags = tuple(_yes_no(values[column], column, bad) is True for column in FLAG_COLUMNS)
    answers: dict[str, bool] = {}
    for code in needs:
        answer = _yes_no(values[code], code, bad)
        if answer is not None:
            answers[code] = answer
    errors.extend(found)
    if found or category is None or visit_date is None:
        return None
    return SurveyRow(
        row=number,
        id_number=id_number,
        name=name,
        area_code=area_code,
        category=category,
        level=level,
        phone=phone,
        visit_date=visit_date,
        living_arrangement=living,
        flags=flags,
        needs=answers,
    )


def _number(text: str, allowed: range) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and int(text) in allowed else None


def _visit_date(text: str, year: int, today: date, bad: Any) -> date | None:
    if not text:
        bad("visit_date", "required")
        return None
    try:
        day = date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        bad("visit_date", "date_format")
        return None
    if day > today:
        bad("visit_date", "date_future")
    elif day.year != year:
        bad("visit_date", "date_year", year=year)
    return day


def _yes_no(text: str, column: str, bad: Any) -> bool | None:
    """1/是 → True, 0/否 → False, empty → None (not asked); anything else is an error."""
    value = text.lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value not in _NO:
        bad(column, "yes_no")
    return False


def _check_scope(session: AnySession, user: User, result: CheckResult) -> None:
    """Area codes must exist and be in the user's scope; so must a resident already known."""
    codes = sorted({row.area_code for row in result.rows})
    in_scope = set()
    for chunk in _chunks(codes):
        in_scope |= set(session.scalars(areas_for(session, user).where(Area.code.in_(chunk))).all())
    scope_codes = {area.code for area in in_scope}
    existing = set()
    for chunk in _chunks([code for code in codes if code not in scope_codes]):
        existing |= set(session.scalars(select(Area.code).where(Area.code.in_(chunk))))
    prefix = scope_prefix(session, user)
    fields = cipher()
    by_lookup = {fields.lookup(row.id_number): row for row in result.rows}
    outside: set[str] = set()
    for chunk in _chunks(list(by_lookup)):
        for lookup, code in session.execute(
            select(Resident.id_number_lookup, Area.code)
            .join(Area, Resident.area_id == Area.id)
            .where(Resident.id_number_lookup.in_(chunk))
        ):
            if lookup is not None and prefix is not None and not code.startswith(prefix):
                outside.add(lookup)
    kept = []
    for row in result.rows:
        problems = []
        if row.area_code not in scope_codes:
            code = "area_out_of_scope" if row.area_code in existing else "unknown_area"
            problems.append(_error(row.row, "area_code", code))
        if fields.lookup(row.id_number) in outside:
            problems.append(_error(row.row, "id_number", "resident_out_of_scope"))
        result.errors.extend(problems)
        if not problems:
            kept.append(row)
    result.errors.sort(key=lambda error: error["row"])
    result.rows = kept


def _chunks(items: Sequence[str], size: int = BATCH) -> list[Sequence[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# ---------------------------------------------------------------------------------------------
# Runs: the dry run, then applying


def stored_file(folder: Path, run: ImportRun) -> Path:
    """Where a checked file waits to be applied (removed once applied)."""
    suffix = ".xlsx" if run.filename.lower().endswith(".xlsx") else ".csv"
    return folder / f"{run.id}-{run.sha256}{suffix}"


def start_run(
    session: AnySession,
    user: User,
    *,
    filename: str,
    sha256: str,
    year: int,
    data: bytes,
    now: datetime,
    today: date,
) -> ImportRun:
    """Check the file (the dry run) and record the run: `checked` or `rejected`; flushed."""
    try:
        result = check_table(session, user, read_table(data, filename), year=year, today=today)
    except ImportFileError as error:
        result = CheckResult(errors=[_error(0, "", error.code)])
    area_id = user.area_id or session.scalar(
        select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id).limit(1)
    )
    run = ImportRun(
        user_id=user.id,
        area_id=area_id,
        filename=filename[:255],
        sha256=sha256,
        year=year,
        status=REJECTED if result.errors else CHECKED,
        rows_total=result.rows_total,
        errors=result.errors,
        created_at=now,
    )
    session.add(run)
    session.flush()
    return run


def runs_for(session: AnySession, user: User) -> Select[ImportRun]:
    """A select of the runs `user` may see: those uploaded inside their scope."""
    query = select(ImportRun).join(Area, ImportRun.area_id == Area.id)
    prefix = scope_prefix(session, user)
    if prefix is not None:
        query = query.where(Area.code.startswith(prefix))
    return query.order_by(ImportRun.id.desc())


def apply_rows(
    session: AnySession, run: ImportRun, rows: Sequence[SurveyRow], *, today: date
) -> int:
    """Upsert `rows` for `run.year`; returns how many rows changed anything (flushed)."""
    fields = cipher()
    lookups = [fields.lookup(row.id_number) for row in rows]
    residents = {
        resident.id_number_lookup: resident
        for resident in session.scalars(
            select(Resident).where(Resident.id_number_lookup.in_(lookups))
        )
    }
    areas = {
        area.code: area
        for area in session.scalars(
            select(Area).where(Area.code.in_({row.area_code for row in rows}))
        )
    }
    ids = [resident.id for resident in residents.values()]
    basics = {
        record.resident_id: record
        for record in session.scalars(
            select(BasicStatusRecord).where(
                BasicStatusRecord.resident_id.in_(ids), BasicStatusRecord.year == run.year
            )
        )
    }
    needs = {
        record.resident_id: record
        for record in session.scalars(
            select(NeedsRecord)
            .options(selectinload(NeedsRecord.answers))
            .where(NeedsRecord.resident_id.in_(ids), NeedsRecord.year == run.year)
        )
    }
    items = {code: item_id for code, item_id in session.execute(select(NeedItem.code, NeedItem.id))}
    # New residents first, each flushed alone; then every record of the batch in one flush
    # (interleaving them would flush the records row by row, many times slower).
    created = set()
    for row, lookup in zip(rows, lookups, strict=True):
        if lookup not in residents:
            residents[lookup] = register_resident(
                session,
                name=row.name,
                area=areas[row.area_code],
                disability_category=row.category,
                disability_level=row.level,
                id_number=row.id_number,
                phone=row.phone,
                today=today,
            )
            created.add(lookup)
    changed = 0
    with session.no_autoflush:
        for row, lookup in zip(rows, lookups, strict=True):
            resident = residents[lookup]
            row_changed = lookup in created or _update_resident(resident, row, areas[row.area_code])
            row_changed |= _upsert_basic(session, basics.get(resident.id), resident, row, run.year)
            wanted = {items[code]: needed for code, needed in row.needs.items()}
            record = needs.get(resident.id)
            if row_changed or _needs_differ(record, row, wanted):
                _write_needs(session, record, resident, row, run, wanted)
                changed += 1
    session.flush()
    return changed


def _update_resident(resident: Resident, row: SurveyRow, area: Area) -> bool:
    """Bring the resident's details in line with the row; an empty phone keeps theirs."""
    wanted = {
        "name": row.name,
        "area_id": area.id,
        "disability_category": row.category,
        "disability_level": row.level,
        "phone": row.phone or resident.phone,
    }
    differ = {key: value for key, value in wanted.items() if getattr(resident, key) != value}
    for key, value in differ.items():
        setattr(resident, key, value)
    return bool(differ)


def _upsert_basic(
    session: AnySession,
    record: BasicStatusRecord | None,
    resident: Resident,
    row: SurveyRow,
    year: int,
) -> bool:
    if record is None:
        record = BasicStatusRecord(resident_id=resident.id, year=year, answers={})
        session.add(record)
    wanted: dict[str, Any] = {
        "surveyed_on": row.visit_date,
        "living_arrangement": row.living_arrangement,
        **dict(zip(FLAG_COLUMNS, row.flags, strict=True)),
    }
    differ = {key: value for key, value in wanted.items() if getattr(record, key) != value}
    for key, value in differ.items():
        setattr(record, key, value)
    return bool(differ)


def _needs_differ(record: NeedsRecord | None, row: SurveyRow, wanted: dict[int, bool]) -> bool:
    if record is None:
        return True
    have = {answer.need_item_id: answer.needed for answer in record.answers}
    return record.surveyed_on != row.visit_date or have != wanted


def _write_needs(
    session: AnySession,
    record: NeedsRecord | None,
    resident: Resident,
    row: SurveyRow,
    run: ImportRun,
    wanted: dict[int, bool],
) -> None:
    """Write the needs form; a changed record needs the resident's confirmation again."""
    if record is None:
        record = NeedsRecord(resident_id=resident.id, year=run.year, surveyed_on=row.visit_date)
        session.add(record)
    have = {answer.need_item_id: answer for answer in record.answers}
    if record.surveyed_on != row.visit_date or {k: a.needed for k, a in have.items()} != wanted:
        record.confirmed_at = None
        record.confirmed_by_id = None
        record.confirmation_method = None
        record.confirmation_witness = None
    record.surveyed_on = row.visit_date
    record.import_run_id = run.id
    record.answers = [answer for item, answer in have.items() if item in wanted]
    for item, needed in wanted.items():
        answer = have.get(item)
        if answer is None:
            record.answers.append(NeedsAnswer(need_item_id=item, needed=needed))
        elif answer.needed != needed:
            answer.needed = needed


def finish_run(session: AnySession, run: ImportRun, *, now: datetime) -> None:
    """Mark the run applied and audit it as the uploader's change (flushed)."""
    run.status = APPLIED
    run.finished_at = now
    session.add(
        AuditEvent(
            actor_id=run.user_id,
            action="survey_import.apply",
            object_type="import_run",
            object_id=run.id,
            data={"year": run.year, "rows": run.rows_done, "changed": run.rows_changed},
            created_at=now,
        )
    )
    session.flush()
