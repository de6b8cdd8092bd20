"""Bulk import of a year's survey data (both forms, one row per resident) from CSV or XLSX.

A file is checked in full before anything is written (the dry run), so a bad file changes
nothing: every bad row and field is reported with a stable code (worded when shown). Applying
upserts by (resident found by ID number, year) and compares before it writes, so importing the
same file again changes nothing.

Rows are checked in batches as they are read (`check_batches`), never all held at once: the
dry run and the apply step are jobs (`portal.jobs.imports`) that stream the file
(`survey_files`), record their progress on the `ImportRun` after each batch, and stop at the
row cap (`IMPORT_ROW_CAP`).

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, false, select

from portal.models import (
    Area,
    AuditEvent,
    ImportRun,
    NeedItem,
    Resident,
    Role,
    User,
)
from portal.models.base import AnySession
from portal.services.people.access import area_prefix, areas_for
from portal.services.people.crypto import cipher
from portal.services.reference.area_tree import in_subtree
from portal.services.surveys.survey_rows import FLAG_COLUMNS, SurveyRow, check_row, field_error

#: The largest file accepted (bytes): well over a county's residents in CSV.
MAX_BYTES = 20 * 1024 * 1024
#: Rows per transaction when applying: progress is committed after each batch.
BATCH = 500
#: Errors kept on a run; a file with more gets one more entry saying how many were left out.
MAX_ERRORS = 1000

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

# ImportRun.status values.
CHECKING, CHECKED, REJECTED, APPLYING, APPLIED, FAILED = (
    "checking",
    "checked",
    "rejected",
    "applying",
    "applied",
    "failed",
)

#: Errors about the file as a whole (no row): `row` is 0 in their entries.
FILE_ERRORS = (
    "unreadable",
    "not_utf8",
    "empty",
    "missing_columns",
    "unknown_columns",
    "too_many_rows",
    "unpacked_too_large",
)


@dataclass
class CheckResult:
    """What a pass over a file found: its errors (the first MAX_ERRORS listed, in row order,
    and all counted), the rows read (blank ones too) and the rows with something in them."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    rows_read: int = 0
    rows_total: int = 0

    def add(self, errors: list[dict[str, Any]]) -> None:
        self.error_count += len(errors)
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(sorted(errors, key=lambda error: error["row"])[:room])

    def refuse(self, code: str, **params: Any) -> None:
        """The file as a whole cannot be imported: this error replaces any found so far."""
        self.errors = [field_error(0, "", code, **params)]
        self.error_count = 1

    def report(self) -> list[dict[str, Any]]:
        """The errors as a run keeps them: the listed ones, then how many were left out."""
        left_out = self.error_count - len(self.errors)
        if left_out > 0:
            return [*self.errors, field_error(0, "", "more_errors", count=left_out)]
        return list(self.errors)


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
# Checking (the dry run)


def scope_prefix(session: AnySession, user: User) -> str | None:
    """The area-code prefix the user may import into; None means everywhere (administrators)."""
    if user.role == Role.ADMIN:
        return None
    return area_prefix(session, user) or "-"  # "-" matches no code: no area, no scope


def check_batches(
    session: AnySession,
    user: User,
    rows: Iterable[list[str]],
    *,
    year: int,
    today: date,
    cap: int,
    result: CheckResult,
) -> Iterator[list[SurveyRow]]:
    """Check a file's rows (header first) for `user`'s scope, a batch at a time; writes nothing.

    Yields the good rows of each batch once it is checked, so that progress can be recorded
    and rows applied between batches; what is wrong goes to `result`. Only the ID numbers seen
    are kept from one batch to the next. A file with more than `cap` rows after its header is
    refused as a whole as soon as the row past the cap is read.
    """
    rows = iter(rows)
    header = next(rows, [])
    if not any(header):
        result.refuse("empty")
        return
    expected = template_header(session)
    missing = [column for column in expected if column not in header]
    unknown = [column for column in header if column not in expected]
    if missing:
        result.add([field_error(0, "", "missing_columns", columns=", ".join(missing))])
    if unknown:
        shown = ", ".join(column or '""' for column in unknown)
        result.add([field_error(0, "", "unknown_columns", columns=shown)])
    if missing or unknown:
        return
    checker = _Checker(session, user, header, expected[len(FIXED_COLUMNS) :], year, today)
    batch: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows, start=2):
        if number - 1 > cap:
            result.refuse("too_many_rows", cap=cap)
            return
        result.rows_read = number - 1
        if any(cells):
            result.rows_total += 1
            batch.append((number, cells))
        if len(batch) == BATCH:
            yield checker.check(batch, result)
            batch = []
    if batch:
        yield checker.check(batch, result)


class _Checker:
    """Checks one file's batches: each field, ID numbers repeated across the file, scope."""

    def __init__(
        self,
        session: AnySession,
        user: User,
        header: list[str],
        needs: list[str],
        year: int,
        today: date,
    ) -> None:
        self.session = session
        self.user = user
        self.header = header
        self.needs = needs
        self.year = year
        self.today = today
        self.seen: dict[str, int] = {}  # ID number -> the row it was first on
        self.areas: dict[str, str] = {}  # area code -> "in", "out" (of scope) or "unknown"
        self.prefix = scope_prefix(session, user)

    def check(self, batch: list[tuple[int, list[str]]], result: CheckResult) -> list[SurveyRow]:
        errors: list[dict[str, Any]] = []
        good = []
        width = len(self.header)
        for number, cells in batch:
            values = dict(zip(self.header, [*cells, *[""] * (width - len(cells))], strict=False))
            row = check_row(
                number, values, self.needs, year=self.year, today=self.today, errors=errors
            )
            if row is None:
                continue
            if row.id_number in self.seen:
                first_row = self.seen[row.id_number]
                errors.append(field_error(number, "id_number", "duplicate", first_row=first_row))
                continue
            self.seen[row.id_number] = number
            good.append(row)
        kept = self._in_scope(good, errors)
        result.add(errors)
        return kept

    def _in_scope(self, rows: list[SurveyRow], errors: list[dict[str, Any]]) -> list[SurveyRow]:
        """Area codes must exist and be in the user's scope; so must a resident already known."""
        self._learn_areas({row.area_code for row in rows} - self.areas.keys())
        fields = cipher()
        lookups = {row.row: fields.lookup(row.id_number) for row in rows}
        outside = set()
        if self.prefix is not None and lookups:
            for lookup, code in self.session.execute(
                select(Resident.id_number_lookup, Area.code)
                .join(Area, Resident.area_id == Area.id)
                .where(Resident.id_number_lookup.in_(set(lookups.values())))
            ):
                if lookup is not None and not code.startswith(self.prefix):
                    outside.add(lookup)
        kept = []
        for row in rows:
            problems = []
            where = self.areas[row.area_code]
            if where != "in":
                code = "area_out_of_scope" if where == "out" else "unknown_area"
                problems.append(field_error(row.row, "area_code", code))
            if lookups[row.row] in outside:
                problems.append(field_error(row.row, "id_number", "resident_out_of_scope"))
            errors.extend(problems)
            if not problems:
                kept.append(row)
        return kept

    def _learn_areas(self, codes: set[str]) -> None:
        if not codes:
            return
        inside = {
            area.code
            for area in self.session.scalars(
                areas_for(self.session, self.user).where(Area.code.in_(codes))
            )
        }
        known = set(self.session.scalars(select(Area.code).where(Area.code.in_(codes - inside))))
        for code in codes:
            self.areas[code] = "in" if code in inside else "out" if code in known else "unknown"


# ---------------------------------------------------------------------------------------------
# Runs: uploaded, checked (the dry run), then applied (survey_apply)


def stored_file(folder: Path, run: ImportRun) -> Path:
    """Where an uploaded file waits for its dry run (removed once checked)."""
    suffix = ".xlsx" if run.filename.lower().endswith(".xlsx") else ".csv"
    return folder / f"{run.id}-{run.sha256}{suffix}"


def checked_file(folder: Path, run: ImportRun) -> Path:
    """Where a checked file's rows wait to be applied, one JSON array a line (removed then)."""
    return folder / f"{run.id}-{run.sha256}.jsonl"


def create_run(
    session: AnySession, user: User, *, filename: str, sha256: str, year: int, now: datetime
) -> ImportRun:
    """Record an uploaded file waiting for its dry run (`checking`); flushed."""
    area_id = user.area_id or session.scalar(
        select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id).limit(1)
    )
    run = ImportRun(
        user_id=user.id,
        area_id=area_id,
        filename=filename[:255],
        sha256=sha256,
        year=year,
        status=CHECKING,
        rows_total=0,
        errors=[],
        created_at=now,
        progress_at=now,
    )
    session.add(run)
    session.flush()
    return run


def finish_check(
    session: AnySession, run: ImportRun, result: CheckResult, *, now: datetime
) -> None:
    """Record the dry run's outcome, `checked` or `rejected`, and audit it; flushed."""
    errors = result.report()
    run.status = REJECTED if errors else CHECKED
    run.rows_total = result.rows_total
    run.rows_done = 0  # from here on, the rows applied
    run.errors = errors
    run.progress_at = now
    session.add(
        AuditEvent(
            actor_id=run.user_id,
            action="survey_import.check",
            object_type="import_run",
            object_id=run.id,
            data={
                "filename": run.filename,
                "sha256": run.sha256,
                "year": run.year,
                "rows": result.rows_total,
                "errors": result.error_count,
                "status": run.status,
            },
            created_at=now,
        )
    )
    session.flush()


def runs_for(session: AnySession, user: User) -> Select[ImportRun]:
    """A select of the runs `user` may see: those uploaded inside their scope."""
    query = select(ImportRun)
    if user.role != Role.ADMIN:
        if user.area_id is None:
            return query.where(false())
        query = query.where(in_subtree(session, ImportRun.area_id, user.area_id))
    return query.order_by(ImportRun.id.desc())
