"""What a resident's home page shows, most important first.

The page is the one every resident opens, so it is kept lean: three statements, built once at
import (only the resident's id is bound per request), reading only the columns the page shows
into small dataclasses instead of whole ORM rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import BindParameter, Connection, Integer, and_, bindparam, or_, select

from portal.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseType,
    Delivery,
    ItemStatus,
    MessageChannel,
    Notification,
    NotificationStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Rating,
    Resident,
)
from portal.models.base import AnySession

LATEST_MESSAGES = 3


@dataclass(frozen=True)
class PlanHeader:
    id: int
    year: int
    status: PlanStatus


@dataclass
class PlanLine:
    """This year's plan in one line."""

    plan: PlanHeader
    items: int
    delivered: int
    not_delivered: int


@dataclass(frozen=True)
class DeliveryToRate:
    """A service delivered and not rated yet."""

    id: int
    delivered_on: date
    need_item_id: int


@dataclass(frozen=True)
class CaseLine:
    id: int
    reference: str
    type: CaseType
    status: CaseStatus
    resolve_due_at: datetime | None
    calendar_unknown: bool


@dataclass(frozen=True)
class MessageLine:
    channel: MessageChannel
    created_at: datetime
    language: str
    body: str | None


@dataclass
class HomeSummary:
    plan_to_agree: PlanHeader | None = None
    deliveries_to_rate: list[DeliveryToRate] = field(default_factory=list)
    waiting_cases: list[CaseLine] = field(default_factory=list)  # staff asked the resident
    resolved_cases: list[CaseLine] = field(default_factory=list)  # to confirm or reopen
    open_cases: list[CaseLine] = field(default_factory=list)
    plan_line: PlanLine | None = None
    messages: list[MessageLine] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.plan_to_agree
            or self.deliveries_to_rate
            or self.waiting_cases
            or self.resolved_cases
        )


_RESIDENT: BindParameter[int] = bindparam("resident_id", type_=Integer)

#: Each row a plan item with, when it has one, a delivery not rated yet: every item of the
#: current plan (to count them), and items of older plans only where a delivery waits.
_PLANS = (
    select(
        Plan.id,
        Plan.year,
        Plan.status,
        Plan.is_current,
        PlanItem.id,
        PlanItem.status,
        PlanItem.need_item_id,
        Delivery.id,
        Delivery.delivered_on,
    )
    .outerjoin(PlanItem, PlanItem.plan_id == Plan.id)
    .outerjoin(
        Delivery,
        and_(
            Delivery.plan_item_id == PlanItem.id,
            Delivery.id.not_in(
                select(Rating.delivery_id).where(
                    Rating.resident_id == _RESIDENT, Rating.delivery_id.is_not(None)
                )
            ),
        ),
    )
    .where(Plan.resident_id == _RESIDENT, or_(Plan.is_current.is_(True), Delivery.id.is_not(None)))
)

_CASES = (
    select(
        Case.id,
        Case.reference,
        Case.type,
        Case.status,
        Case.resolve_due_at,
        Case.calendar_unknown,
    )
    .where(
        Case.resident_id == _RESIDENT,
        Case.status.in_([*OPEN_STATUSES, CaseStatus.RESOLVED]),
    )
    .order_by(Case.created_at.desc(), Case.id.desc())
)

_MESSAGES = (
    select(Notification.channel, Notification.created_at, Notification.language, Notification.body)
    .where(
        Notification.resident_id == _RESIDENT,
        Notification.status.in_([NotificationStatus.SENT, NotificationStatus.DELIVERED]),
    )
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(LATEST_MESSAGES)
)


def home_summary(session: AnySession, resident: Resident) -> HomeSummary:
    """Everything the home page needs about `resident`, in three queries.

    One for the plans (the current plan's items and every delivery not yet rated), one for the
    cases and one for the latest messages. The page's templates read nothing more from the
    database: catalogue names come from the per-process catalogue (`need_item_name`).
    """
    summary = HomeSummary()
    ids = {"resident_id": resident.id}
    # The statements select columns, not entities: the session's connection runs them as they
    # are, without the ORM's execution path (~0.1 ms of CPU a statement, a third of its cost).
    connection = session.connection()
    _add_plans(connection, ids, summary)
    cases = [CaseLine(*row) for row in connection.execute(_CASES, ids)]
    summary.waiting_cases = [c for c in cases if c.status == CaseStatus.WAITING]
    summary.resolved_cases = [c for c in cases if c.status == CaseStatus.RESOLVED]
    summary.open_cases = [c for c in cases if c.status in OPEN_STATUSES]
    summary.messages = [MessageLine(*row) for row in connection.execute(_MESSAGES, ids)]
    return summary


def _add_plans(connection: Connection, ids: dict[str, int], summary: HomeSummary) -> None:
    """The plan line and the deliveries to rate, from the one query over the resident's plans."""
    current: PlanHeader | None = None
    statuses: dict[int, ItemStatus] = {}
    to_rate: dict[int, DeliveryToRate] = {}
    for row in connection.execute(_PLANS, ids):
        plan_id, year, plan_status, is_current, item_id, status, need_item_id, delivery, on = row
        if is_current:
            current = current or PlanHeader(plan_id, year, plan_status)
            if item_id is not None:
                statuses[item_id] = status
        if delivery is not None:
            to_rate[delivery] = DeliveryToRate(delivery, on, need_item_id)
    summary.deliveries_to_rate = sorted(
        to_rate.values(), key=lambda d: (d.delivered_on, d.id), reverse=True
    )
    if current is None:
        return
    counts = Counter(statuses.values())
    summary.plan_line = PlanLine(
        plan=current,
        items=len(statuses),
        delivered=counts[ItemStatus.DELIVERED],
        not_delivered=counts[ItemStatus.NOT_DELIVERED],
    )
    if current.status == PlanStatus.AWAITING_AGREEMENT:
        summary.plan_to_agree = current
