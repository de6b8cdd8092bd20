"""What a resident's home page shows, most important first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select

from portal.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Delivery,
    ItemStatus,
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


@dataclass
class PlanLine:
    """This year's plan in one line."""

    plan: Plan
    items: int
    delivered: int
    not_delivered: int


@dataclass(frozen=True)
class DeliveryToRate:
    """A service delivered and not rated yet: what the page names, no ORM row behind it."""

    id: int
    delivered_on: date
    need_item_id: int


@dataclass
class HomeSummary:
    plan_to_agree: Plan | None = None
    deliveries_to_rate: list[DeliveryToRate] = field(default_factory=list)
    waiting_cases: list[Case] = field(default_factory=list)  # staff asked the resident something
    resolved_cases: list[Case] = field(default_factory=list)  # to confirm or reopen
    open_cases: list[Case] = field(default_factory=list)
    plan_line: PlanLine | None = None
    messages: list[Notification] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.plan_to_agree
            or self.deliveries_to_rate
            or self.waiting_cases
            or self.resolved_cases
        )


def home_summary(session: AnySession, resident: Resident) -> HomeSummary:
    """Everything the home page needs about `resident`, in three queries.

    One for the plans (the current plan's items and every delivery not yet rated), one for the
    cases and one for the latest messages. The page's templates read nothing more from the
    database: catalogue names come from the per-process catalogue (`need_item_name`).
    """
    summary = HomeSummary()
    _add_plans(session, resident, summary)
    cases = list(
        session.scalars(
            select(Case)
            .where(
                Case.resident_id == resident.id,
                Case.status.in_([*OPEN_STATUSES, CaseStatus.RESOLVED]),
            )
            .order_by(Case.created_at.desc(), Case.id.desc())
        )
    )
    summary.waiting_cases = [c for c in cases if c.status == CaseStatus.WAITING]
    summary.resolved_cases = [c for c in cases if c.status == CaseStatus.RESOLVED]
    summary.open_cases = [c for c in cases if c.status in OPEN_STATUSES]
    summary.messages = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.resident_id == resident.id,
                Notification.status.in_([NotificationStatus.SENT, NotificationStatus.DELIVERED]),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(LATEST_MESSAGES)
        )
    )
    return summary


def _add_plans(session: AnySession, resident: Resident, summary: HomeSummary) -> None:
    """The plan line and the deliveries to rate, from one query over the resident's plans.

    Each row is a plan item with, when it has one, a delivery not rated yet: every item of the
    current plan (to count them), and the items of older plans only where a delivery waits.
    """
    rated = select(Rating.delivery_id).where(
        Rating.resident_id == resident.id, Rating.delivery_id.is_not(None)
    )
    rows = session.execute(
        select(
            Plan,
            PlanItem.id,
            PlanItem.status,
            PlanItem.need_item_id,
            Delivery.id,
            Delivery.delivered_on,
        )
        .outerjoin(PlanItem, PlanItem.plan_id == Plan.id)
        .outerjoin(Delivery, and_(Delivery.plan_item_id == PlanItem.id, Delivery.id.not_in(rated)))
        .where(
            Plan.resident_id == resident.id,
            or_(Plan.is_current.is_(True), Delivery.id.is_not(None)),
        )
    ).all()
    current: Plan | None = None
    statuses: dict[int, ItemStatus] = {}
    to_rate: dict[int, DeliveryToRate] = {}
    for plan, item_id, status, need_item_id, delivery_id, delivered_on in rows:
        if plan.is_current:
            current = plan
            if item_id is not None:
                statuses[item_id] = status
        if delivery_id is not None:
            to_rate[delivery_id] = DeliveryToRate(delivery_id, delivered_on, need_item_id)
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
