"""What a resident (or their guardian) may do with a case once it is filed.

The states and transitions come from `portal.services.cases.workflow`; `RESIDENT_ACTIONS` is that
table as the resident's case page needs it (the page shows only those forms, and every service
here refuses the rest). Each service appends events through `append_event`, rewrites the
denormalised `Case` columns to match, and flushes; the view commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    Rating,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.models.base import AnySession
from portal.services.cases import workflow
from portal.services.cases.cases import append_event
from portal.services.cases.escalation import escalate
from portal.services.cases.ratings import given_as
from portal.services.cases.staff_notices import handlers_of, notify_staff
from portal.services.cases.workflow import Action, ActionRefused
from portal.services.sla.sla import Counting, deadlines_for, local_zone
from portal.services.sla.sla_clocks import (
    REOPEN_DAYS,
    paused_since,
    push_for_pause,
    reschedule,
    start_reply_clock,
)

REPLY, CONFIRM, REOPEN, RATE = "reply", "confirm", "reopen", "rate"
#: The case page's names for the workflow's resident actions.
VERBS = {
    REPLY: Action.RESIDENT_REPLY,
    CONFIRM: Action.CONFIRM,
    REOPEN: Action.REOPEN,
    RATE: Action.RATE,
}

#: The actions a resident may take on a case in each status (time limits apply on top).
RESIDENT_ACTIONS: dict[CaseStatus, frozenset[str]] = {
    status: frozenset(
        verb for verb, action in VERBS.items() if action in workflow.allowed(Role.RESIDENT, status)
    )
    for status in CaseStatus
}

#: Why a case was reopened or escalated, stored in `CaseEvent.data["reason"]`.
DISSATISFIED_RATING = "dissatisfied_rating"
DISSATISFIED_TWICE = "dissatisfied twice"
DISSATISFIED_LATE = "dissatisfied after the reopening window"
#: The internal note a reopened case carries: call or visit the resident before answering again.
FOLLOW_UP_TASK = "follow_up"


def reopen_until(case: Case) -> date | None:
    """The last local day on which the resident may reopen the case; None when never."""
    if case.resolved_at is None:
        return None
    return case.resolved_at.astimezone(local_zone()).date() + timedelta(days=REOPEN_DAYS)


def case_rating(session: AnySession, case: Case) -> Rating | None:
    """The rating given since the case was last resolved, if any."""
    if case.resolved_at is None:
        return None
    return session.scalar(
        select(Rating)
        .where(Rating.case_id == case.id, Rating.created_at >= case.resolved_at)
        .order_by(Rating.id.desc())
        .limit(1)
    )


def allowed_actions(session: AnySession, case: Case, now: datetime) -> frozenset[str]:
    """The actions the resident may take on `case` at `now`."""
    actions = set(RESIDENT_ACTIONS[case.status])
    until = reopen_until(case)
    if REOPEN in actions and (until is None or now.astimezone(local_zone()).date() > until):
        actions.discard(REOPEN)
    if RATE in actions and (case.resolved_at is None or case_rating(session, case) is not None):
        actions.discard(RATE)
    return frozenset(actions)


def require_allowed(session: AnySession, case: Case, action: str, now: datetime) -> None:
    if action in allowed_actions(session, case, now):
        return
    workflow.check(VERBS[action], Role.RESIDENT, case.status)
    if action == REOPEN and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise ActionRefused("window_closed")
    if action == RATE and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise ActionRefused("already_rated")
    raise ActionRefused("not_allowed")


def _for_whom(actor: User, case: Case, session: AnySession) -> Resident | None:
    """The resident a guardian acted for; None when the resident acted themselves."""
    if actor.resident_id == case.resident_id:
        return None
    return session.get(Resident, case.resident_id)


def reply(session: AnySession, case: Case, *, actor: User, text: str, now: datetime) -> CaseEvent:
    """The resident answers; a case waiting for them resumes and its deadlines move on."""
    require_allowed(session, case, REPLY, now)
    on_behalf = _for_whom(actor, case, session)
    event = append_event(
        session,
        case,
        EventKind.RESIDENT_REPLY,
        now=now,
        actor=actor,
        body=text,
        on_behalf_of=on_behalf,
    )
    if case.status == CaseStatus.WAITING:
        _resume(session, case, actor=actor, on_behalf=on_behalf, now=now)
    case.status = workflow.check(Action.RESIDENT_REPLY, Role.RESIDENT, case.status)
    start_reply_clock(session, case, now)
    reschedule(session, case)
    return event


def _resume(
    session: AnySession, case: Case, *, actor: User, on_behalf: Resident | None, now: datetime
) -> None:
    paused_from = min(paused_since(session, case) or now, now)
    push_for_pause(session, case, paused_from, now)
    append_event(
        session,
        case,
        EventKind.RESUMED,
        now=now,
        actor=actor,
        on_behalf_of=on_behalf,
        data={"paused_from": paused_from.isoformat()},
    )


def confirm(session: AnySession, case: Case, *, actor: User, now: datetime) -> None:
    """The resident confirms the case is resolved: it closes."""
    require_allowed(session, case, CONFIRM, now)
    append_event(
        session,
        case,
        EventKind.STATUS_CHANGED,
        now=now,
        actor=actor,
        on_behalf_of=_for_whom(actor, case, session),
        data={"from": case.status.value, "to": CaseStatus.CLOSED.value, "confirmed": True},
    )
    case.status = workflow.check(Action.CONFIRM, Role.RESIDENT, case.status)
    case.closed_at = now
    case.next_sla_check_at = None


def reopen(
    session: AnySession, case: Case, *, actor: User, reason: str, now: datetime
) -> CaseEvent:
    """Reopen a resolved or closed case within `REOPEN_DAYS` of its resolution, with a reason."""
    require_allowed(session, case, REOPEN, now)
    return _reopen(session, case, actor=actor, body=reason, trigger="resident", now=now)


def _reopen(
    session: AnySession,
    case: Case,
    *,
    actor: User,
    body: str | None,
    trigger: str,
    now: datetime,
) -> CaseEvent:
    event = append_event(
        session,
        case,
        EventKind.REOPENED,
        now=now,
        actor=actor,
        body=body,
        on_behalf_of=_for_whom(actor, case, session),
        data={"reason": trigger},
    )
    deadlines = deadlines_for(session, case.type.value, now)
    case.status = workflow.check(Action.REOPEN, Role.RESIDENT, case.status)
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    case.clock_started_at = now
    case.resolve_due_at = deadlines.resolution.due_at
    case.calendar_unknown = deadlines.calendar_unknown
    reschedule(session, case)
    _follow_up_task(session, case, event, now)
    return event


def _follow_up_task(session: AnySession, case: Case, reopened: CaseEvent, now: datetime) -> None:
    """重办: the case's handlers get a task to call or visit before answering again."""
    append_event(
        session,
        case,
        EventKind.INTERNAL_NOTE,
        now=now,
        public=False,
        data={"task": FOLLOW_UP_TASK, "reopened_event_id": reopened.id},
    )
    notify_staff(
        session,
        handlers_of(session, case),
        template="staff_follow_up",
        params={"reference": case.reference},
        dedupe_key=f"follow_up:{reopened.id}",
        case=case,
        now=now,
        counting=Counting.load(session),
    )


def rate(
    session: AnySession,
    case: Case,
    *,
    actor: User,
    level: Satisfaction,
    comment: str | None,
    now: datetime,
) -> Rating:
    """Rate the handling once per resolution.

    "Dissatisfied" reopens the case the first time (重办); once it has been reopened, another
    "dissatisfied" passes it one level up instead and leaves its status alone. So does one
    given after the reopening window: the rating cannot get round the window, but is not lost.
    """
    require_allowed(session, case, RATE, now)
    may_reopen = REOPEN in allowed_actions(session, case, now)
    role = given_as(actor, case.resident)
    on_behalf = _for_whom(actor, case, session)
    rating = Rating(
        resident_id=case.resident_id,
        case_id=case.id,
        level=level,
        comment=comment or None,
        given_by_id=actor.id,
        given_as=role,
        channel="web",
        created_at=now,
    )
    session.add(rating)
    append_event(
        session,
        case,
        EventKind.RATED,
        now=now,
        actor=actor,
        body=comment or None,
        on_behalf_of=on_behalf,
        data={"level": level.value, "given_as": role.value},
    )
    if level is Satisfaction.DISSATISFIED:
        _answer_dissatisfied(
            session,
            case,
            actor=actor,
            on_behalf_of=on_behalf,
            comment=comment,
            may_reopen=may_reopen,
            now=now,
        )
    session.flush()
    return rating


def _answer_dissatisfied(
    session: AnySession,
    case: Case,
    *,
    actor: User,
    on_behalf_of: Resident | None,
    comment: str | None,
    may_reopen: bool,
    now: datetime,
) -> None:
    """Reopen the case the first time (重办); after that, or too late, escalate it instead."""
    if case.reopen_count == 0 and may_reopen:
        _reopen(
            session,
            case,
            actor=actor,
            body=comment or None,
            trigger=DISSATISFIED_RATING,
            now=now,
        )
    else:
        escalate(
            session,
            case,
            actor=actor,
            on_behalf_of=on_behalf_of,
            reason=DISSATISFIED_TWICE if case.reopen_count else DISSATISFIED_LATE,
            now=now,
        )
