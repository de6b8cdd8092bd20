"""Escalation: passing a case to the staff one area level up (village → township → county)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from portal.models import Area, Case, CaseEvent, EventKind, Resident, User
from portal.models.base import AnySession
from portal.services.cases import workflow
from portal.services.cases.cases import append_event
from portal.services.cases.staff_notices import escalation_contacts, notify_staff
from portal.services.reference.area_tree import area_tree
from portal.services.sla.sla import Counting
from portal.services.sla.sla_clocks import SweptCase

#: Reasons recorded on escalation events, shown to staff and (in plain words) residents.
DEADLINE_PASSED = "deadline_passed"
BY_STAFF = "by_staff"


def area_above(session: AnySession, area: Area, steps: int = 1) -> Area:
    """The area `steps` levels up from `area`, stopping at the top of the tree."""
    for _ in range(steps):
        if area.parent_id is None:
            break
        parent = session.get(Area, area.parent_id)
        if parent is None:
            break
        area = parent
    return area


def above_the_officer(session: AnySession, case: Case, officer: User) -> Area:
    """Where a staff member's escalation goes: a level above where the case sits, and above
    the officer's own level when they sit higher (a township officer's escalation of a village
    case reaches the county, not their own township)."""
    current = case.escalated_to_area or session.get(Area, case.area_id)
    assert current is not None
    start = current
    if officer.area_id is not None:
        tree = area_tree(session)
        if len(tree.chain(officer.area_id)) < len(tree.chain(current.id)):
            start = session.get(Area, officer.area_id) or current
    return area_above(session, start)


def chains_above(
    session: AnySession, area_ids: Iterable[int], steps: int
) -> dict[int, list[tuple[int, str]]]:
    """For each area, (id, code) of the area and of up to `steps` areas above it, the area
    first, in one query: `chain[min(k, len(chain) - 1)]` is `area_above(area, k)`."""
    ids = sorted(set(area_ids))
    if not ids:
        return {}
    levels = [aliased(Area) for _ in range(steps + 1)]
    query = select(*[column for area in levels for column in (area.id, area.code)])
    query = query.select_from(levels[0])
    for child, parent in zip(levels, levels[1:], strict=False):
        query = query.outerjoin(parent, parent.id == child.parent_id)
    chains: dict[int, list[tuple[int, str]]] = {}
    for row in session.execute(query.where(levels[0].id.in_(ids))):
        values: tuple[Any, ...] = tuple(row)
        chain: list[tuple[int, str]] = []
        for index in range(0, len(values), 2):
            if values[index] is None:
                break
            chain.append((values[index], values[index + 1]))
        chains[chain[0][0]] = chain
    return chains


def escalation_event(
    case: SweptCase,
    *,
    to_area_id: int,
    to_area_code: str,
    reason: str,
    now: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    """A system escalation of `case` to the area given (the sweep's, many at a time): the case
    moves up a level; the event's columns are returned for the caller to insert with others."""
    workflow.check(workflow.Action.ESCALATE, workflow.SYSTEM, case.status)
    case.escalation_level += 1
    case.escalated_to_area_id = to_area_id
    return event_columns(
        case,
        EventKind.ESCALATED,
        now,
        public=True,
        data={"reason": reason, "to_area": to_area_code, **data},
    )


def event_columns(
    case: SweptCase, kind: EventKind, now: datetime, *, public: bool, data: dict[str, Any]
) -> dict[str, Any]:
    """The columns of a system event on `case` (what `append_event` writes, unflushed)."""
    return {
        "case_id": case.id,
        "kind": kind,
        "actor_id": None,
        "on_behalf_of_id": None,
        "public": public,
        "body": None,
        "data": data,
        "created_at": now,
    }


def escalate(
    session: AnySession,
    case: Case,
    *,
    actor: User | None,
    reason: str,
    now: datetime,
    body: str | None = None,
    on_behalf_of: Resident | None = None,
    to_area: Area | None = None,
    data: dict[str, Any] | None = None,
    counting: Counting | None = None,
) -> CaseEvent:
    """Escalate one level above where the case now sits (or to `to_area`) and tell its staff.

    Residents' escalations (a second "dissatisfied") happen after resolution, so only staff
    and system escalations are checked against the workflow table here.
    """
    if actor is None or actor.is_staff:
        workflow.check(workflow.Action.ESCALATE, workflow.actor_of(actor), case.status)
    if to_area is None:
        current = case.escalated_to_area or session.get(Area, case.area_id)
        assert current is not None
        to_area = area_above(session, current)
    event = append_event(
        session,
        case,
        EventKind.ESCALATED,
        now=now,
        actor=actor,
        body=body,
        on_behalf_of=on_behalf_of,
        data={"reason": reason, "to_area": to_area.code, **(data or {})},
    )
    case.escalation_level += 1
    case.escalated_to_area_id = to_area.id
    case.escalated_to_area = to_area
    notify_staff(
        session,
        escalation_contacts(session, to_area),
        template="staff_escalated",
        params={"reference": case.reference, "level": case.escalation_level},
        dedupe_key=f"escalated:{event.id}",
        case=case,
        now=now,
        counting=counting or Counting.load(session),
    )
    return event
