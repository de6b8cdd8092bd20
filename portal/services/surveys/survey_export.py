"""A year's survey data in the import template (CSV or XLSX), for the residents in scope.

What is exported imports back unchanged (`survey_import`), so a county can correct a year's
data in a spreadsheet and re-import it. The export reveals ID numbers: each resident's row is
audited as a read by the person exporting. The rows are written to a file by the one
formula-safe writer (`admin.downloads`), like every other download.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Row, insert, or_, select, tuple_
from sqlalchemy.orm import selectinload

from portal.models import (
    Area,
    AuditEvent,
    BasicStatusRecord,
    NeedItem,
    NeedsRecord,
    Resident,
    User,
)
from portal.models.base import AnySession
from portal.services.people.access import visible_resident_ids
from portal.services.people.residents import reveal_id_number
from portal.services.surveys.survey_import import FIXED_COLUMNS, template_header
from portal.services.surveys.survey_rows import FLAG_COLUMNS

AUDIT_ACTION = "survey.export"
#: Residents read, written and audited together.
BATCH = 1000


def export_batches(
    session: AnySession,
    user: User,
    year: int,
    *,
    now: datetime,
    ip_address: str | None,
) -> Iterator[list[list[str]]]:
    """The header, then one row per resident in `user`'s scope surveyed in `year`, audited.

    Rows come in batches of `BATCH` residents (keyset on area code and id), each audited
    (flushed) before it is given out and then let go, so a county's 100,000 rows stream to the
    download without being held together. The caller commits each batch's audit before sending
    its rows: a download cut short is audited for what it sent.
    """
    header = template_header(session)
    yield [header]
    needs_columns = header[len(FIXED_COLUMNS) :]
    codes = {item_id: code for item_id, code in session.execute(select(NeedItem.id, NeedItem.code))}
    surveyed = or_(
        Resident.id.in_(
            select(BasicStatusRecord.resident_id).where(BasicStatusRecord.year == year)
        ),
        Resident.id.in_(select(NeedsRecord.resident_id).where(NeedsRecord.year == year)),
    )
    query = (
        select(Resident, Area.code)
        .join(Area, Resident.area_id == Area.id)
        .where(Resident.id.in_(visible_resident_ids(session, user, now.date())), surveyed)
        .order_by(Area.code, Resident.id)
        .limit(BATCH)
    )
    after: tuple[str, int] | None = None
    while True:
        page = query if after is None else query.where(tuple_(Area.code, Resident.id) > after)
        residents = session.execute(page).all()
        if not residents:
            return
        rows = _batch_rows(session, residents, year, codes, needs_columns)
        _audit(session, [resident.id for resident, _ in residents], user, year, now, ip_address)
        yield rows
        after = (residents[-1][1], residents[-1][0].id)
        if len(residents) < BATCH:
            return


def _batch_rows(
    session: AnySession,
    residents: Sequence[Row[Resident, str]],
    year: int,
    codes: dict[int, str],
    needs_columns: list[str],
) -> list[list[str]]:
    ids = [resident.id for resident, _ in residents]
    basics = {
        record.resident_id: record
        for record in session.scalars(
            select(BasicStatusRecord).where(
                BasicStatusRecord.year == year, BasicStatusRecord.resident_id.in_(ids)
            )
        )
    }
    needs = {
        record.resident_id: record
        for record in session.scalars(
            select(NeedsRecord)
            .options(selectinload(NeedsRecord.answers))
            .where(NeedsRecord.year == year, NeedsRecord.resident_id.in_(ids))
        )
    }
    rows = []
    for resident, area_code in residents:
        basic = basics.get(resident.id)
        record = needs.get(resident.id)
        answers = {codes[a.need_item_id]: a.needed for a in record.answers} if record else {}
        visited = record.surveyed_on if record else basic.surveyed_on if basic else None
        row = [
            reveal_id_number(resident) if resident.id_number_encrypted else "",
            resident.name,
            area_code,
            str(resident.disability_category),
            str(resident.disability_level or ""),
            resident.phone or "",
            visited.isoformat() if visited else "",
            (basic.living_arrangement or "") if basic else "",
            *(_flag(basic, column) for column in FLAG_COLUMNS),
            *(_yes_no(answers.get(code)) for code in needs_columns),
        ]
        rows.append(row)
    # Let the batch go: the session would otherwise keep every resident of the county.
    for obj in (*(resident for resident, _ in residents), *basics.values(), *needs.values()):
        if obj in session:  # an expunge cascades to what the object owns
            session.expunge(obj)
    return rows


def _audit(
    session: AnySession,
    ids: list[int],
    user: User,
    year: int,
    now: datetime,
    ip_address: str | None,
) -> None:
    session.execute(
        insert(AuditEvent),
        [
            {
                "actor_id": user.id,
                "action": AUDIT_ACTION,
                "resident_id": resident_id,
                "object_type": "survey_year",
                "object_id": year,
                "ip_address": ip_address,
                "data": {},
                "created_at": now,
            }
            for resident_id in ids
        ],
    )


def _flag(record: BasicStatusRecord | None, column: str) -> str:
    return "" if record is None else _yes_no(getattr(record, column))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "1" if value else "0"
