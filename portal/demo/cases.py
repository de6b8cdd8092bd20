"""Cases over the last 60 days, filed through `services.cases.file_case`, in every state.

A case's history is its events: each state is reached by appending the events that lead to
it, and the denormalised columns on `Case` are set to agree with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.demo.case_texts import (
    DESCRIPTIONS,
    FIRST_REPLIES,
    PAUSE_REASONS,
    RESOLUTIONS,
    WITHDRAW_REASONS,
)
from portal.demo.context import DemoContext
from portal.demo.ratings import can_rate, rate
from portal.models import (
    Case,
    CaseChannel,
    CaseStatus,
    CaseType,
    Channel,
    EventKind,
    Resident,
    Satisfaction,
    User,
)
from portal.services.cases.cases import append_event, file_case
from portal.services.sla.sla import Counting, deadlines_for
from portal.services.sla.sla_clocks import reschedule

Text = tuple[str | None, str, str]

_TYPE_WEIGHTS = {
    CaseType.HELP: 24,
    CaseType.CONSULTATION: 20,
    CaseType.NEED: 15,
    CaseType.COMPLAINT: 15,
    CaseType.SUGGESTION: 8,
    CaseType.CORRECTION: 6,
    CaseType.URGENT: 4,
    CaseType.REPORT: 3,
    CaseType.FOLLOW_UP: 3,
    CaseType.PETITION: 2,
}
# Which states cases of a given age (in days) are in.
_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
    CaseStatus.WITHDRAWN,
)
_BY_AGE = (
    (2, (45, 35, 8, 7, 0, 5)),
    (20, (6, 30, 12, 27, 20, 5)),
    (60, (2, 10, 5, 18, 58, 7)),
)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def demo_case(
    ctx: DemoContext,
    resident: Resident,
    *,
    case_type: CaseType,
    text: Text,
    status: CaseStatus,
    created_at: datetime,
    channel: CaseChannel,
    filed_by: User | None,
    rating: Satisfaction | None = None,
    reopen: bool = False,
) -> Case:
    """File a case at `created_at` and append the events that bring it to `status`.

    `rating` rates a resolved or closed case; `reopen` makes a resolved case come back after
    a "dissatisfied" rating (重办), leaving it in progress.
    """
    code, zh, en = text
    case = file_case(
        ctx.session,
        resident=resident,
        filed_by=filed_by,
        case_type=case_type,
        description=en if resident.language == "en" else zh,
        now=created_at,
        need_item=ctx.item(code) if code else None,
        channel=channel,
        language=resident.language,
    )
    if status is CaseStatus.NEW:
        return case
    if status is CaseStatus.WITHDRAWN:
        moment = _respond(ctx, case, resident) if ctx.chance(0.5) else created_at
        _withdraw(ctx, case, resident, moment)
        return case
    moment = _respond(ctx, case, resident)
    if status is CaseStatus.WAITING:
        _pause(ctx, case, resident, moment)
        return case
    if status is CaseStatus.IN_PROGRESS:
        return case
    moment = _resolve(ctx, case, resident, moment)
    if reopen:
        _reopen(ctx, case, resident, moment)
        return case
    if rating is not None:
        moment = ctx.after(moment, _HOUR, 3 * _DAY)
        _rate(ctx, case, resident, moment, rating)
    if status is CaseStatus.CLOSED:
        moment = ctx.working(ctx.after(moment, _DAY, 7 * _DAY))
        _change(ctx, case, CaseStatus.CLOSED, moment, actor=ctx.worker_for(resident))
        case.closed_at = moment
    return case


def _account(ctx: DemoContext, resident: Resident) -> User | None:
    """Who acts for the resident online: their guardian or agent, else their own account."""
    return ctx.guardians.get(resident.id) or ctx.accounts.get(resident.id)


def _acting(ctx: DemoContext, resident: Resident) -> tuple[User | None, Resident | None]:
    account = _account(ctx, resident)
    on_behalf = resident if account is not None and account.resident_id != resident.id else None
    return account, on_behalf


def _respond(ctx: DemoContext, case: Case, resident: Resident) -> datetime:
    """Assign the case to the village worker, who sends the first public reply."""
    officer, worker = ctx.officer_for(resident), ctx.worker_for(resident)
    if case.type is CaseType.URGENT:
        low, high = timedelta(minutes=10), timedelta(minutes=100)
    elif case.type is CaseType.PETITION:
        low, high = _DAY, 10 * _DAY
    else:
        # Mostly within the deadline; the slow tail shows late answers in the reports.
        low, high = timedelta(minutes=20), ctx.pick((20 * _HOUR, 3 * _DAY), (85, 15))
    moment = ctx.after(case.created_at, low, high, share=0.25)
    if case.type is not CaseType.URGENT:
        moment = ctx.working(moment)
    append_event(
        ctx.session,
        case,
        EventKind.ASSIGNED,
        now=moment,
        actor=officer,
        public=False,
        data={"assignee_id": worker.id},
    )
    moment = min(moment + timedelta(minutes=ctx.rng.randint(1, 30)), ctx.now)
    append_event(
        ctx.session,
        case,
        EventKind.PUBLIC_REPLY,
        now=moment,
        actor=worker,
        body=ctx.pick(FIRST_REPLIES),
    )
    _change(ctx, case, CaseStatus.IN_PROGRESS, moment, actor=worker)
    case.assignee_id = worker.id
    case.first_responded_at = moment
    case.next_sla_check_at = case.resolve_due_at
    return moment


def _change(
    ctx: DemoContext,
    case: Case,
    status: CaseStatus,
    moment: datetime,
    *,
    actor: User | None,
    body: str | None = None,
) -> None:
    append_event(
        ctx.session,
        case,
        EventKind.STATUS_CHANGED,
        now=moment,
        actor=actor,
        body=body,
        data={"from": case.status.value, "to": status.value},
    )
    case.status = status


def _pause(ctx: DemoContext, case: Case, resident: Resident, after: datetime) -> datetime:
    """Ask the resident for something: the clock stops until they answer."""
    moment = ctx.working(ctx.after(after, _HOUR, 3 * _DAY))
    append_event(
        ctx.session,
        case,
        EventKind.PAUSED,
        now=moment,
        actor=ctx.worker_for(resident),
        body=ctx.pick(PAUSE_REASONS),
        data={"reason": "waiting_for_resident"},
    )
    case.status = CaseStatus.WAITING
    case.next_sla_check_at = None
    return moment


def _resolve(ctx: DemoContext, case: Case, resident: Resident, after: datetime) -> datetime:
    """Answer the case, sometimes after a pause while the resident sent something."""
    worker = ctx.worker_for(resident)
    moment = after
    if ctx.chance(0.2):
        moment = _pause(ctx, case, resident, moment)
        moment = ctx.after(moment, _HOUR, 2 * _DAY)
        account, on_behalf = _acting(ctx, resident)
        append_event(
            ctx.session,
            case,
            EventKind.RESUMED,
            now=moment,
            actor=account,
            on_behalf_of=on_behalf,
            body="材料已交给村专职委员。",
        )
        case.status = CaseStatus.IN_PROGRESS
    short = case.type is CaseType.URGENT
    moment = ctx.after(moment, _HOUR if short else _DAY, 20 * _HOUR if short else 8 * _DAY)
    if not short:
        moment = ctx.working(moment)
    _change(ctx, case, CaseStatus.RESOLVED, moment, actor=worker, body=RESOLUTIONS[case.type])
    case.resolved_at = moment
    case.next_sla_check_at = None
    return moment


def _rate(
    ctx: DemoContext, case: Case, resident: Resident, moment: datetime, level: Satisfaction
) -> None:
    account, on_behalf = _acting(ctx, resident)
    rating = rate(ctx, resident, moment, level=level, case_id=case.id)
    append_event(
        ctx.session,
        case,
        EventKind.RATED,
        now=moment,
        actor=account,
        on_behalf_of=on_behalf,
        body=rating.comment,
        data={"level": level.value},
    )


def _reopen(ctx: DemoContext, case: Case, resident: Resident, after: datetime) -> None:
    """A "dissatisfied" rating caused by the handling reopens the case once (重办)."""
    moment = ctx.after(after, _HOUR, 2 * _DAY)
    _rate(ctx, case, resident, moment, Satisfaction.DISSATISFIED)
    append_event(
        ctx.session,
        case,
        EventKind.REOPENED,
        now=moment,
        actor=None,
        data={"reason": "dissatisfied_rating"},
    )
    case.status = CaseStatus.IN_PROGRESS
    case.reopen_count += 1
    case.resolved_at = None
    case.resolve_due_at = deadlines_for(ctx.session, case.type.value, moment).resolution.due_at
    case.next_sla_check_at = case.resolve_due_at


def _withdraw(ctx: DemoContext, case: Case, resident: Resident, after: datetime) -> None:
    moment = ctx.after(after, _HOUR, 3 * _DAY)
    account, on_behalf = _acting(ctx, resident)
    append_event(
        ctx.session,
        case,
        EventKind.WITHDRAWN,
        now=moment,
        actor=account,
        on_behalf_of=on_behalf,
        body=ctx.pick(WITHDRAW_REASONS),
    )
    case.status = CaseStatus.WITHDRAWN
    case.closed_at = moment
    case.next_sla_check_at = None


def channel_for(ctx: DemoContext, resident: Resident) -> tuple[CaseChannel, User | None]:
    """How the case came in and who typed it: the resident online, or staff on their behalf."""
    account = _account(ctx, resident)
    if account is not None:
        return CaseChannel.WEB, account
    if resident.channel is Channel.VOICE:
        if ctx.chance(0.5):
            return CaseChannel.VOICE, None
        return CaseChannel.HOTLINE, ctx.staff["county"]
    if resident.channel is Channel.SMS and resident.phone and ctx.chance(0.6):
        return CaseChannel.SMS, None
    return CaseChannel.IN_PERSON, ctx.worker_for(resident)


def create_cases(ctx: DemoContext, count: int) -> list[Case]:
    """`count` cases from random residents, every type and state, over the last 60 days."""
    types = list(_TYPE_WEIGHTS)
    cases = []
    for _ in range(count):
        resident = ctx.pick(ctx.residents)
        case_type = ctx.cycle("case_type", types, list(_TYPE_WEIGHTS.values()))
        # A queue holds more recent cases than old ones.
        days = min(59, int(ctx.rng.random() ** 1.5 * 60))
        created = ctx.local_moment(
            ctx.today - timedelta(days=days),
            *((0, 24) if case_type is CaseType.URGENT else (8, 21)),
        )
        if created >= ctx.now:
            created = ctx.now - timedelta(minutes=ctx.rng.randint(5, 180))
        weights = next(w for limit, w in _BY_AGE if days <= limit)
        status = ctx.pick(_STATUSES, weights)
        channel, filed_by = channel_for(ctx, resident)
        rating = None
        if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and can_rate(ctx, resident):
            if ctx.chance(0.45):
                rating = ctx.cycle(
                    "case_rating", (Satisfaction.SATISFIED, Satisfaction.BASIC), (78, 22)
                )
        reopen = (
            status is CaseStatus.RESOLVED
            and can_rate(ctx, resident)
            and ctx.cycle("reopen", (True, False), (4, 96))
        )
        cases.append(
            demo_case(
                ctx,
                resident,
                case_type=case_type,
                text=ctx.pick(DESCRIPTIONS[case_type]),
                status=status,
                created_at=created,
                channel=channel,
                filed_by=filed_by,
                rating=rating,
                reopen=reopen,
            )
        )
    # The demo writes its history by hand: let the SLA schedule catch up with it.
    counting = Counting.load(ctx.session)
    for case in cases:
        reschedule(ctx.session, case, counting)
    return cases
