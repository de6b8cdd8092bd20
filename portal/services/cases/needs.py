"""Needs (问需): the catalogue a resident chooses from, and withdrawing a need.

A need is a case of type NEED in the one case queue; filing goes through
`portal.services.cases.cases.file_case`, like every other case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from portal.models import Case, CaseEvent, EventKind, NeedItem, Resident, Role, User
from portal.models.base import AnySession
from portal.services.cases import workflow
from portal.services.cases.cases import append_event
from portal.services.cases.workflow import Action
from portal.services.reference.catalogue import REQUESTABLE_KINDS, CatalogueItem, catalogue
from portal.services.sla.sla_clocks import stop_reply_clock

#: Longest search text we look for; longer input is cut, never refused.
SEARCH_LIMIT = 100


class CaseNotOpenError(ValueError):
    """The case is already resolved, closed or withdrawn."""


def requestable_items(session: AnySession, query: str | None = None) -> list[CatalogueItem]:
    """Active items a resident may ask for, in catalogue order, optionally matching `query`.

    The search looks in both languages' names, ignoring case, wherever the words appear. The
    catalogue is held per process (portal.services.reference.catalogue), so this runs no query.
    """
    items = [item for item in catalogue(session).items if item.requestable]
    text = (query or "").strip()[:SEARCH_LIMIT].lower()
    if text:
        items = [i for i in items if text in i.name_en.lower() or text in i.name_zh.lower()]
    return items


def requestable_item(session: AnySession, code: str | None) -> NeedItem | None:
    """The active, requestable item with `code`, or None."""
    if not code:
        return None
    return session.scalar(
        select(NeedItem).where(
            NeedItem.code == code, NeedItem.active, NeedItem.kind.in_(REQUESTABLE_KINDS)
        )
    )


def latest_public_replies(session: AnySession, case_ids: Iterable[int]) -> dict[int, CaseEvent]:
    """The newest public staff reply of each case in `case_ids` that has one."""
    ids = list(case_ids)
    if not ids:
        return {}
    replies = session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_id.in_(ids),
            CaseEvent.kind == EventKind.PUBLIC_REPLY,
            CaseEvent.public.is_(True),
        )
        .order_by(CaseEvent.id)
    )
    return {reply.case_id: reply for reply in replies}


def withdraw_case(
    session: AnySession,
    case: Case,
    actor: User | None,
    on_behalf_of: Resident | None,
    reason: str | None,
    now: datetime,
) -> CaseEvent:
    """Withdraw an open case at the resident's request: an event, then the status and clocks.

    Raises `CaseNotOpenError` when the case is no longer open (withdrawn twice, or closed).
    """
    if not case.is_open:
        raise CaseNotOpenError(f"case {case.id} is {case.status}")
    event = append_event(
        session,
        case,
        EventKind.WITHDRAWN,
        now=now,
        actor=actor,
        body=reason or None,
        on_behalf_of=on_behalf_of,
        data={"from_status": case.status.value},
    )
    case.status = workflow.check(Action.WITHDRAW, Role.RESIDENT, case.status)
    case.closed_at = now
    stop_reply_clock(case)
    case.next_sla_check_at = None
    session.flush()
    return event
