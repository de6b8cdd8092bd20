"""What a resident's home page shows, most important first."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

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


@dataclass
class HomeSummary:
    plan_to_agree: Plan | None = None
    deliveries_to_rate: list[Delivery] = field(default_factory=list)
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
    """Everything the home page needs about `resident`, in a handful of queries."""
    summary = HomeSummary()
    plan = session.scalar(
        select(Plan).where(Plan.resident_id == resident.id, Plan.is_current.is_(True))
    )
    if plan is not None:
        counts = dict(
            session.execute(
                select(PlanItem.status, func.count())
                .where(PlanItem.plan_id == plan.id)
                .group_by(PlanItem.status)
            ).all()
        )
        summary.plan_line = PlanLine(
            plan=plan,
            items=sum(counts.values()),
            delivered=counts.get(ItemStatus.DELIVERED, 0),
            not_delivered=counts.get(ItemStatus.NOT_DELIVERED, 0),
        )
        if plan.status == PlanStatus.AWAITING_AGREEMENT:
            summary.plan_to_agree = plan
    rated = select(Rating.delivery_id).where(
        Rating.resident_id == resident.id, Rating.delivery_id.is_not(None)
    )
    summary.deliveries_to_rate = list(
        session.scalars(
            select(Delivery)
            .join(PlanItem, Delivery.plan_item_id == PlanItem.id)
            .join(Plan, PlanItem.plan_id == Plan.id)
            .where(Plan.resident_id == resident.id, Delivery.id.not_in(rated))
            .order_by(Delivery.delivered_on.desc())
        )
    )
    cases = list(
        session.scalars(
            select(Case)
            .where(
                Case.resident_id == resident.id,
                Case.status.in_([*OPEN_STATUSES, CaseStatus.RESOLVED]),
            )
            .order_by(Case.created_at.desc())
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
