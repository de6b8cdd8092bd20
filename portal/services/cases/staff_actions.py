"""What staff do with a case: answer, note, assign, transfer, pause, resume, resolve, extend,
escalate, mark urgent, merge.

Each service asks `workflow.check` for the status it leads to, appends its event, rewrites the
denormalised columns and the SLA schedule, queues the resident's message when the resident
should hear of it, and flushes. Scope (may this user see this case, that area, that colleague)
is checked here against `portal.services.people.access`, so no view can forget it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.models import (
    AreaLevel,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    Role,
    SlaPolicy,
    User,
)
from portal.models.base import AnySession
from portal.services.cases import workflow
from portal.services.cases.cases import append_event
from portal.services.cases.escalation import BY_STAFF, above_the_officer, escalate
from portal.services.cases.staff_notices import AREA_HANDLERS
from portal.services.cases.workflow import Action, ActionRefused
from portal.services.outbound.notifications import notify_resident
from portal.services.people.access import cases_for
from portal.services.reference.area_tree import AreaNode, AreaTree, area_tree
from portal.services.sla.deadlines import Unit, extend_deadline
from portal.services.sla.sla import Counting, deadlines_for, local_text
from portal.services.sla.sla_clocks import (
    paused_since,
    push_for_pause,
    reschedule,
    stop_reply_clock,
)

#: Why a case was paused when staff gave no code: waiting for the resident.
WAITING_FOR_RESIDENT = "waiting_for_resident"


def _move(case: Case, action: Action, actor: User) -> CaseStatus:
    return workflow.check(action, actor.role, case.status)


def _tell_resident(
    session: AnySession,
    case: Case,
    template: str,
    event: CaseEvent,
    now: datetime,
    override_quiet_hours_by: User | None = None,
    **params: Any,
) -> None:
    notify_resident(
        session,
        case.resident,
        template=template,
        params={"reference": case.reference, **params},
        dedupe_key=f"{template}:{event.id}",
        now=now,
        case=case,
        override_quiet_hours_by=override_quiet_hours_by,
    )


def public_reply(
    session: AnySession,
    case: Case,
    *,
    actor: User,
    text: str,
    now: datetime,
    send_now: bool = False,
) -> CaseEvent:
    """Answer the resident on the case and on their channel; stops the reply clocks.

    `send_now` (urgent cases only) sends even in the resident's quiet hours, audited.
    """
    status = _move(case, Action.PUBLIC_REPLY, actor)
    event = append_event(session, case, EventKind.PUBLIC_REPLY, now=now, actor=actor, body=text)
    if status != case.status:
        _status_event(session, case, status, actor=actor, now=now)
    if case.first_responded_at is None:
        case.first_responded_at = now
    stop_reply_clock(case)
    reschedule(session, case)
    override = actor if send_now and case.urgent else None
    _tell_resident(
        session, case, "staff_reply", event, now, override_quiet_hours_by=override, text=text
    )
    return event


def note(session: AnySession, case: Case, *, actor: User, text: str, now: datetime) -> CaseEvent:
    """An internal note: staff only, never shown to the resident."""
    _move(case, Action.NOTE, actor)
    return append_event(
        session, case, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=text, public=False
    )


def assignable_staff(session: AnySession, case: Case) -> list[User]:
    """Active handlers whose area covers the case's area (its village up to the county), the
    nearest first: one query on the case's own chain of areas, whatever the number of staff."""
    chain = [node.id for node in area_tree(session).chain(case.area_id)]
    people = session.scalars(
        select(User).where(User.area_id.in_(chain), User.active, User.role.in_(AREA_HANDLERS))
    ).all()
    return sorted(people, key=lambda user: (chain.index(user.area_id or 0), user.name))


def assign(
    session: AnySession, case: Case, *, actor: User, assignee: User, now: datetime
) -> CaseEvent:
    _move(case, Action.ASSIGN, actor)
    if assignee not in assignable_staff(session, case):
        raise ActionRefused("assignee_out_of_area")
    event = append_event(
        session,
        case,
        EventKind.ASSIGNED,
        now=now,
        actor=actor,
        public=False,
        data={"assignee_id": assignee.id, "assignee": assignee.name},
    )
    case.assignee_id = assignee.id
    return event


def transfer_areas(session: AnySession, actor: User, case: Case) -> list[AreaNode]:
    """Areas inside the actor's own area that the case may move to (not where it is).

    Near the case, so the list stays short at a province's size: the areas of the case's
    county, and the other counties (a case moved there is then placed by their staff).
    """
    tree = area_tree(session)
    chain = tree.chain(case.area_id)
    county = next((n for n in chain if n.level == AreaLevel.COUNTY), chain[-1] if chain else None)
    if county is None:
        return []
    near = set(tree.subtree_ids(county.id) | _siblings(tree, county))
    if actor.role != Role.ADMIN:
        if actor.area_id is None:
            return []
        near &= tree.subtree_ids(actor.area_id)
    near.discard(case.area_id)
    nodes = (tree.nodes[i] for i in near)
    return sorted((n for n in nodes if n.current), key=lambda n: n.code)


def _siblings(tree: AreaTree, node: AreaNode) -> frozenset[int]:
    return frozenset(tree.children.get(node.parent_id, ()))


def transfer(
    session: AnySession, case: Case, *, actor: User, area: AreaNode, reason: str, now: datetime
) -> CaseEvent:
    """Move the case to another area inside the actor's own; its assignee is cleared."""
    _move(case, Action.TRANSFER, actor)
    if area not in transfer_areas(session, actor, case):
        raise ActionRefused("area_out_of_scope")
    before = area_tree(session).nodes[case.area_id]
    event = append_event(
        session,
        case,
        EventKind.ASSIGNED,
        now=now,
        actor=actor,
        body=reason,
        public=False,
        data={"transfer": {"from": before.code, "to": area.code}},
    )
    case.area_id = area.id
    case.assignee_id = None
    return event


def pause(session: AnySession, case: Case, *, actor: User, reason: str, now: datetime) -> CaseEvent:
    """Wait for the resident: the clocks stop and the resident is told why."""
    status = _move(case, Action.PAUSE, actor)
    event = append_event(
        session,
        case,
        EventKind.PAUSED,
        now=now,
        actor=actor,
        body=reason,
        data={"reason": WAITING_FOR_RESIDENT},
    )
    case.status = status
    case.next_sla_check_at = None
    _tell_resident(session, case, "case_paused", event, now, text=reason)
    return event


def resume(session: AnySession, case: Case, *, actor: User, now: datetime) -> CaseEvent:
    """Staff go on without the resident's answer: deadlines move on by the pause."""
    status = _move(case, Action.RESUME, actor)
    paused_from = min(paused_since(session, case) or now, now)
    push_for_pause(session, case, paused_from, now)
    event = append_event(
        session,
        case,
        EventKind.RESUMED,
        now=now,
        actor=actor,
        data={"paused_from": paused_from.isoformat()},
    )
    case.status = status
    reschedule(session, case)
    _tell_resident(
        session,
        case,
        "case_resumed",
        event,
        now,
        due=local_text(case.next_due_at) if case.next_due_at else "",
    )
    return event


def _status_event(
    session: AnySession,
    case: Case,
    status: CaseStatus,
    *,
    actor: User | None,
    now: datetime,
    body: str | None = None,
    **data: Any,
) -> CaseEvent:
    event = append_event(
        session,
        case,
        EventKind.STATUS_CHANGED,
        now=now,
        actor=actor,
        body=body,
        data={"from": case.status.value, "to": status.value, **data},
    )
    case.status = status
    return event


def resolve(session: AnySession, case: Case, *, actor: User, text: str, now: datetime) -> CaseEvent:
    """Answer and resolve; the resident is asked to rate, and may reopen for 15 days."""
    status = _move(case, Action.RESOLVE, actor)
    event = _status_event(session, case, status, actor=actor, now=now, body=text)
    if case.first_responded_at is None:
        case.first_responded_at = now
    case.resolved_at = now
    stop_reply_clock(case)
    reschedule(session, case)
    _tell_resident(session, case, "case_resolved", event, now, text=text)
    return event


def extend(
    session: AnySession, case: Case, *, actor: User, reason: str, now: datetime
) -> CaseEvent:
    """Move the resolution deadline once (as the policy allows), with a reason the resident sees."""
    _move(case, Action.EXTEND, actor)
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case.type.value))
    if policy is None or case.extensions_used >= policy.max_extensions:
        raise ActionRefused("no_extensions_left")
    if case.resolve_due_at is None:
        raise ActionRefused("not_allowed")
    counting = Counting.load(session)
    due = extend_deadline(
        case.resolve_due_at,
        policy.extension_amount,
        Unit(policy.resolve_unit),
        counting.calendar,
        tz=counting.zone,
        close_of_business=counting.closing,
    )
    event = append_event(
        session,
        case,
        EventKind.EXTENDED,
        now=now,
        actor=actor,
        body=reason,
        data={"from": case.resolve_due_at.isoformat(), "to": due.due_at.isoformat()},
    )
    case.resolve_due_at = due.due_at
    case.calendar_unknown = case.calendar_unknown or due.calendar_unknown
    case.extensions_used += 1
    reschedule(session, case, counting)
    _tell_resident(
        session, case, "case_extended", event, now, text=reason, due=local_text(due.due_at)
    )
    return event


def escalate_by_staff(
    session: AnySession, case: Case, *, actor: User, reason: str, now: datetime
) -> CaseEvent:
    to_area = above_the_officer(session, case, actor)
    return escalate(
        session, case, actor=actor, reason=BY_STAFF, body=reason, now=now, to_area=to_area
    )


def mark_urgent(
    session: AnySession, case: Case, *, actor: User, reason: str, now: datetime
) -> CaseEvent:
    """Flag the case urgent: its deadlines tighten to the urgent policy's when that is sooner,
    and the resident is told the date their answer is now due."""
    _move(case, Action.MARK_URGENT, actor)
    if case.urgent:
        raise ActionRefused("already_urgent")
    urgent = deadlines_for(session, "urgent", now)
    if case.first_responded_at is None and case.first_response_due_at is not None:
        case.first_response_due_at = min(case.first_response_due_at, urgent.first_response.due_at)
    if case.resolve_due_at is not None:
        case.resolve_due_at = min(case.resolve_due_at, urgent.resolution.due_at)
    case.urgent = True
    event = append_event(
        session, case, EventKind.MARKED_URGENT, now=now, actor=actor, body=reason, public=False
    )
    reschedule(session, case)
    if case.resolve_due_at is not None:
        _tell_resident(
            session, case, "case_urgent", event, now, due=local_text(case.resolve_due_at)
        )
    return event


def merge(session: AnySession, case: Case, *, actor: User, into: Case, now: datetime) -> CaseEvent:
    """Close `case` as a duplicate of `into` (same resident, still open, visible to the actor)."""
    status = _move(case, Action.MERGE, actor)
    visible = session.scalar(
        cases_for(session, actor, now.date()).where(Case.id == into.id).with_only_columns(Case.id)
    )
    if (
        into.id == case.id
        or not into.is_open
        or into.resident_id != case.resident_id
        or not visible
    ):
        raise ActionRefused("cannot_merge")
    event = append_event(
        session,
        case,
        EventKind.MERGED,
        now=now,
        actor=actor,
        data={"into": into.reference, "into_id": into.id},
    )
    append_event(
        session,
        into,
        EventKind.MERGED,
        now=now,
        actor=actor,
        public=False,
        data={"from": case.reference, "from_id": case.id},
    )
    case.status = status
    case.closed_at = now
    case.merged_into_id = into.id
    stop_reply_clock(case)
    case.next_sla_check_at = None
    _tell_resident(session, case, "case_merged", event, now, other=into.reference)
    return event
