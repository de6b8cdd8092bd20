"""Applying checked survey rows: upsert by (resident found by ID number, year), comparing first.

Importing the same rows again changes nothing; a row counts as changed when it wrote anything.
The job in `portal.jobs.imports` feeds the rows in batches (`survey_import.check_batches`).

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
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
)
from portal.models.base import AnySession
from portal.services.people.crypto import cipher
from portal.services.people.residents import register_resident
from portal.services.surveys.survey_import import APPLIED
from portal.services.surveys.survey_rows import FLAG_COLUMNS, SurveyRow


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
    created = _register_new(session, rows, lookups, residents, areas, today=today)
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


def _register_new(
    session: AnySession,
    rows: Sequence[SurveyRow],
    lookups: list[str],
    residents: dict[Any, Resident],
    areas: dict[str, Area],
    *,
    today: date,
) -> set[str]:
    """Register the residents no one has yet (added to `residents`); their lookups."""
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
    return created


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
