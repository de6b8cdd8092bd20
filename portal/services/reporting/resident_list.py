"""The staff list of residents: one page by name, with this year's home-visit state.

At a province's size a county holds ~33,000 residents. The page is found by keyset (after the
last name and id shown), not by offset, and the count stops at "more than 10,000"
(portal/services/reporting/capped_counts.py), so its cost follows the page, not the table.
Area names
come from the area tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select, tuple_

from portal.models import NeedsRecord, Resident, User
from portal.models.base import AnySession
from portal.services.people.access import resident_scope
from portal.services.reference.area_tree import in_subtree
from portal.services.reporting.capped_counts import capped_count
from portal.services.surveys.surveys import SurveyState

PAGE_SIZE = 50


@dataclass(frozen=True)
class ResidentRow:
    resident: Resident
    surveyed: bool
    confirmed: bool


@dataclass(frozen=True)
class ResidentPage:
    rows: list[ResidentRow]
    #: Capped (portal/services/reporting/capped_counts.py): above COUNT_CAP means "more than".
    total: int
    next_cursor: str | None


def resident_list(
    session: AnySession,
    user: User,
    today: date,
    *,
    search: str = "",
    area_id: int | None = None,
    state: SurveyState | None = None,
    after: str | None = None,
) -> ResidentPage:
    """One page of the residents in `user`'s scope, by name, with this year's survey state.

    `search` is a name (or part of one), or 4 digits: the end of the phone number or of the
    masked ID or certificate number (full identifiers are never searched or shown). `after`
    is the cursor of the previous page; a malformed one gives the first page.
    """
    query = _list_query(session, user, today, search, area_id, state)
    total = capped_count(session, query, Resident.id)
    condition = _after(after) if after else None
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(Resident.name, Resident.id).limit(PAGE_SIZE + 1)).all()
    found = [
        ResidentRow(resident, record_id is not None, confirmed_at is not None)
        for resident, record_id, confirmed_at in rows[:PAGE_SIZE]
    ]
    cursor = None
    if len(rows) > PAGE_SIZE:
        last = found[-1].resident
        cursor = f"{last.id}~{last.name}"
    return ResidentPage(found, total, cursor)


def _after(cursor: str) -> ColumnElement[bool] | None:
    """Rows after `cursor` ("<id>~<name>") in (name, id) order; None if it is malformed."""
    id_text, separator, name = cursor.partition("~")
    if not separator or not (id_text.isascii() and id_text.isdigit() and len(id_text) <= 18):
        return None
    return tuple_(Resident.name, Resident.id) > tuple_(name, int(id_text))


def _list_query(
    session: AnySession,
    user: User,
    today: date,
    search: str,
    area_id: int | None,
    state: SurveyState | None,
) -> Select[Resident, int, datetime | None]:
    query = (
        select(Resident, NeedsRecord.id, NeedsRecord.confirmed_at)
        .outerjoin(
            NeedsRecord,
            and_(NeedsRecord.resident_id == Resident.id, NeedsRecord.year == today.year),
        )
        .where(resident_scope(session, user, today))
    )
    if area_id is not None:
        query = query.where(in_subtree(session, Resident.area_id, area_id))
    if search.isdigit() and len(search) == 4:
        query = query.where(
            or_(
                Resident.phone.endswith(search),
                Resident.id_number_masked.endswith(search),
                Resident.certificate_masked.contains(search, autoescape=True),
            )
        )
    elif search:
        query = query.where(Resident.name.contains(search, autoescape=True))
    if state is SurveyState.DONE:
        query = query.where(NeedsRecord.id.is_not(None))
    elif state is SurveyState.NOT_DONE:
        query = query.where(NeedsRecord.id.is_(None))
    elif state is SurveyState.NOT_CONFIRMED:
        query = query.where(NeedsRecord.id.is_not(None), NeedsRecord.confirmed_at.is_(None))
    return query
