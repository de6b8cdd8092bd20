"""What a resident (or their guardian) may do with a case once it is filed.

Workflow as data: `RESIDENT_ACTIONS` says which actions each status allows; the case page shows
only those forms and every service here refuses the rest. Each service appends events through
`append_event`, rewrites the denormalised `Case` columns to match, and flushes; the view commits.
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
    Satisfaction,
    SlaPolicy,
    User,
)
from portal.models.base import AnySession
from portal.services.cases import append_event
from portal.services.deadlines import Unit, extend_for_pause
from portal.services.ratings import given_as
from portal.services.sla import close_of_business, deadlines_for, load_calendar, local_zone

REPLY, CONFIRM, REOPEN, RATE = "reply", "confirm", "reopen", "rate"

#: The actions a resident may take on a case in each status (time limits apply on top).
RESIDENT_ACTIONS: dict[CaseStatus, frozenset[str]] = {
    CaseStatus.NEW: frozenset({REPLY}),
    CaseStatus.IN_PROGRESS: frozenset({REPLY}),
    CaseStatus.WAITING: frozenset({REPLY}),
    CaseStatus.RESOLVED: frozenset({CONFIRM, REOPEN, RATE}),
    CaseStatus.CLOSED: frozenset({REOPEN, RATE}),
    CaseStatus.WITHDRAWN: frozenset(),
}

#: A resolved case can be reopened until the end of this many days after it was resolved.
REOPEN_DAYS = 15

#: Why a case was reopened or escalated, stored in `CaseEvent.data["reason"]`.
DISSATISFIED_RATING = "dissatisfied_rating"
DISSATISFIED_TWICE = "dissatisfied twice"
DISSATISFIED_LATE = "dissatisfied after the reopening window"


class ActionRefused(ValueError):
    """The action is not allowed on this case now; `code` says why (`not_allowed`, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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
    return event


def _resume(
    session: AnySession, case: Case, *, actor: User, on_behalf: Resident | None, now: datetime
) -> None:
    paused_from = session.scalar(
        select(CaseEvent.created_at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.PAUSED)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    paused_from = min(paused_from or now, now)
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case.type.value))
    calendar = load_calendar(session)
    zone, closing = local_zone(), close_of_business()

    def pushed(due: datetime | None, unit: str) -> datetime | None:
        if due is None:
            return None
        at_close = closing if Unit(unit) is not Unit.HOURS else None
        return extend_for_pause(
            due, paused_from, now, Unit(unit), calendar, tz=zone, close_of_business=at_close
        )

    if policy is not None:
        if case.first_responded_at is None:
            case.first_response_due_at = pushed(case.first_response_due_at, policy.ack_unit)
        case.resolve_due_at = pushed(case.resolve_due_at, policy.resolve_unit)
    append_event(
        session,
        case,
        EventKind.RESUMED,
        now=now,
        actor=actor,
        on_behalf_of=on_behalf,
        data={"paused_from": paused_from.isoformat()},
    )
    case.status = CaseStatus.IN_PROGRESS
    case.next_sla_check_at = case.next_due_at


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
    case.status = CaseStatus.CLOSED
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
    case.status = CaseStatus.IN_PROGRESS
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    case.resolve_due_at = deadlines.resolution.due_at
    case.calendar_unknown = deadlines.calendar_unknown
    case.next_sla_check_at = case.next_due_at
    return event


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
            append_event(
                session,
                case,
                EventKind.ESCALATED,
                now=now,
                actor=actor,
                on_behalf_of=on_behalf,
                data={"reason": DISSATISFIED_TWICE if case.reopen_count else DISSATISFIED_LATE},
            )
            case.escalation_level += 1
    session.flush()
    return rating
