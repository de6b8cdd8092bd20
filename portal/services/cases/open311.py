"""Open311 GeoReport v2: the case types as services, cases as service requests.

The view (`portal.views.open311`) parses parameters and words errors; this module maps the
domain to GeoReport fields and queries through `services.access`; `open311_filing` files
requests through `services.cases.file_case`. Nothing here returns a resident's name, phone or
identifiers.
Functions flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from portal.models import (
    OPEN_STATUSES,
    ApiKey,
    Case,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
)
from portal.models.base import AnySession
from portal.services.people.access import cases_in_area
from portal.services.reference import labels
from portal.services.sla.sla import local_zone

#: What a hotline may file: every case type except follow-ups, which the system opens itself
#: after a "dissatisfied" rating (they can still appear in GET results).
SERVICE_CODES: tuple[str, ...] = tuple(t.value for t in CaseType if t is not CaseType.FOLLOW_UP)
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)

_HELP = _l("Help and services")
_FEEDBACK = _l("Feedback and complaints")
GROUPS: dict[str, LazyString] = {
    "need": _HELP,
    "urgent": _HELP,
    "consultation": _HELP,
    "help": _HELP,
    "suggestion": _FEEDBACK,
    "complaint": _FEEDBACK,
    "report": _FEEDBACK,
    "petition": _FEEDBACK,
    "correction": _FEEDBACK,
    "follow_up": _FEEDBACK,
}
#: Search words in both languages, whatever the request's locale.
KEYWORDS: dict[str, str] = {
    "need": "需求, 服务, need, service",
    "urgent": "紧急, 急事, urgent, emergency",
    "consultation": "咨询, 政策, question, policy",
    "help": "求助, 帮助, help",
    "suggestion": "建议, suggestion",
    "complaint": "投诉, complaint",
    "report": "举报, 违纪, report, misconduct",
    "petition": "信访, petition",
    "correction": "信息更正, 更正, correction, record",
    "follow_up": "重办, 回访, follow-up",
}
DESCRIPTIONS: dict[str, LazyString] = {
    "need": _l("A service or aid the resident needs, such as a wheelchair or home care."),
    "urgent": _l("Something that cannot wait: answered within hours, not working days."),
    "consultation": _l("A question about a policy, an entitlement or how to apply."),
    "help": _l("The resident asks for help with a difficulty."),
    "suggestion": _l("A suggestion to improve services."),
    "complaint": _l("A complaint about a service, a facility or how the resident was treated."),
    "report": _l("A report of misconduct by staff or a provider."),
    "petition": _l("A formal petition (信访)."),
    "correction": _l("The resident says something in their record is wrong."),
    "follow_up": _l("Reopened after the resident was dissatisfied with the answer."),
}
#: Events whose text is staff's newest word to the resident: a reply, why work is paused or the
#: deadline moved, or the answer given on resolving (a status change with a text).
NOTE_KINDS = (
    EventKind.PUBLIC_REPLY,
    EventKind.PAUSED,
    EventKind.EXTENDED,
    EventKind.STATUS_CHANGED,
)
_COORDINATES = re.compile(r"^(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)$")


class Open311Error(ValueError):
    """A request the API refuses: `status` is the HTTP status, `message` says why."""

    def __init__(self, status: int, message: str | LazyString) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = str(message)


# --- services ---------------------------------------------------------------------------


def service(code: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": str(labels.CASE_TYPES[code]),
        "description": str(DESCRIPTIONS[code]),
        "metadata": False,
        "type": "realtime",
        "keywords": KEYWORDS[code],
        "group": str(GROUPS[code]),
    }


def services() -> list[dict[str, Any]]:
    return [service(code) for code in SERVICE_CODES]


def service_definition(code: str) -> dict[str, Any]:
    """GeoReport's service definition: no extra attributes are asked for any type."""
    if code not in SERVICE_CODES:
        raise Open311Error(404, _l("There is no service with this code."))
    return {"service_code": code, "attributes": []}


# --- reading requests -------------------------------------------------------------------


def w3c(moment: datetime | None) -> str | None:
    """A W3C datetime in local time with its offset, e.g. 2026-11-24T17:30:00+08:00."""
    if moment is None:
        return None
    return moment.astimezone(local_zone()).isoformat(timespec="seconds")


def parse_w3c(text: str) -> datetime:
    """A W3C datetime; a time without an offset is taken as local time. Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value


def open_or_closed(status: CaseStatus) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def status_filter(values: Sequence[str]) -> ColumnElement[bool]:
    """`open` → new, in progress, waiting; `closed` → resolved, closed, withdrawn."""
    wanted = set(values)
    if wanted - {"open", "closed"}:
        raise Open311Error(400, _l("status must be open or closed."))
    if wanted == {"open"}:
        return Case.status.in_(OPEN_STATUSES)
    if wanted == {"closed"}:
        return Case.status.not_in(OPEN_STATUSES)
    return Case.id.is_not(None)


@dataclass(frozen=True)
class Query:
    references: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def find_requests(
    session: AnySession, key: ApiKey, query: Query, now: datetime
) -> list[dict[str, Any]]:
    """Service requests in the key's area. References override every other filter (spec)."""
    select_ = cases_in_area(session, key.area).options(selectinload(Case.area))
    if query.references:
        select_ = select_.where(Case.reference.in_(query.references[:MAX_RESULTS]))
    else:
        start, end = _window(query.start, query.end, now)
        select_ = select_.where(Case.created_at >= start, Case.created_at <= end)
        if query.service_codes:
            select_ = select_.where(Case.type.in_(query.service_codes))
        if query.statuses:
            select_ = select_.where(status_filter(query.statuses))
    cases = session.scalars(
        select_.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_RESULTS)
    ).all()
    return serialise(session, cases)


def _window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    if start is None and end is None:
        return now - DEFAULT_WINDOW, now
    if start is None:
        assert end is not None
        return end - DEFAULT_WINDOW, end
    if end is None:
        return start, start + DEFAULT_WINDOW
    if end < start:
        raise Open311Error(400, _l("end_date must not be before start_date."))
    if end - start > DEFAULT_WINDOW:
        raise Open311Error(400, _l("start_date and end_date may not span more than 90 days."))
    return start, end


def find_request(session: AnySession, key: ApiKey, reference: str) -> dict[str, Any]:
    case = session.scalar(cases_in_area(session, key.area).where(Case.reference == reference))
    if case is None:
        raise Open311Error(404, _l("There is no service request with this id for your key."))
    return serialise(session, [case])[0]


def find_token(session: AnySession, key: ApiKey, token: str) -> dict[str, Any]:
    case = session.scalar(cases_in_area(session, key.area).where(Case.open311_token == token))
    if case is None:
        raise Open311Error(404, _l("There is no service request with this token for your key."))
    return {"service_request_id": case.reference, "token": case.open311_token}


def serialise(session: AnySession, cases: Sequence[Case]) -> list[dict[str, Any]]:
    ids = [case.id for case in cases]
    notes = _latest_notes(session, ids)
    updated = _last_updates(session, ids)
    locale = labels.current_locale()
    return [_request(case, notes.get(case.id), updated.get(case.id), locale) for case in cases]


def _request(case: Case, note: str | None, updated: datetime | None, locale: str) -> dict[str, Any]:
    coordinates = _COORDINATES.match(case.location or "")
    return {
        "service_request_id": case.reference,
        "status": open_or_closed(case.status),
        "status_notes": note or str(labels.CASE_STATUSES[case.status.value]),
        "service_name": str(labels.CASE_TYPES[case.type.value]),
        "service_code": case.type.value,
        "description": case.description,
        "agency_responsible": case.area.name(locale),
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(max(filter(None, (updated, case.created_at)))),
        "expected_datetime": w3c(case.resolve_due_at),
        "address": case.location,
        "address_id": None,
        "zipcode": None,
        "lat": float(coordinates.group(1)) if coordinates else None,
        "long": float(coordinates.group(2)) if coordinates else None,
        "media_url": None,
        "token": case.open311_token,
    }


def _latest_notes(session: AnySession, ids: list[int]) -> dict[int, str]:
    """The text of each case's newest public staff reply, pause or extension reason."""
    if not ids:
        return {}
    newest = (
        select(func.max(CaseEvent.id))
        .where(
            CaseEvent.case_id.in_(ids),
            CaseEvent.kind.in_(NOTE_KINDS),
            CaseEvent.public.is_(True),
            CaseEvent.body.is_not(None),
        )
        .group_by(CaseEvent.case_id)
    )
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.body).where(CaseEvent.id.in_(newest))
    ).all()
    return {case_id: body for case_id, body in rows if body}


def _last_updates(session: AnySession, ids: list[int]) -> dict[int, datetime]:
    """When each case last changed in a way the public may know of (its newest public event)."""
    if not ids:
        return {}
    rows = session.execute(
        select(CaseEvent.case_id, func.max(CaseEvent.created_at))
        .where(CaseEvent.case_id.in_(ids), CaseEvent.public.is_(True))
        .group_by(CaseEvent.case_id)
    ).all()
    return {case_id: moment for case_id, moment in rows if moment is not None}
