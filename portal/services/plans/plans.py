"""Personal plans on the resident's side: finding them, what changed, and agreeing to them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from portal.models import Delivery, Plan, PlanItem, PlanPart, PlanStatus, User
from portal.models.base import AnySession


class PlanNotAwaitingAgreementError(ValueError):
    """Only a plan waiting for the resident's agreement can be agreed to."""


@dataclass
class PlanChanges:
    """What changed between two versions of a plan, item by item."""

    added: list[PlanItem] = field(default_factory=list)
    removed: list[PlanItem] = field(default_factory=list)
    # (item in the previous version, the same item now) where the state differs
    changed: list[tuple[PlanItem, PlanItem]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def current_plan(session: AnySession, resident_id: int) -> Plan | None:
    """The resident's current plan, if any (one at most, enforced by the database)."""
    return session.scalar(
        select(Plan).where(Plan.resident_id == resident_id, Plan.is_current.is_(True))
    )


def plan_item_of(session: AnySession, resident_id: int, item_id: int) -> PlanItem | None:
    """An item of any of this resident's plans; None for anyone else's (the view answers 404)."""
    return session.scalar(
        select(PlanItem)
        .join(Plan, PlanItem.plan_id == Plan.id)
        .where(PlanItem.id == item_id, Plan.resident_id == resident_id)
    )


def delivery_of(session: AnySession, resident_id: int, delivery_id: int) -> Delivery | None:
    """A delivery on one of this resident's plans; None for anyone else's."""
    return session.scalar(
        select(Delivery)
        .join(PlanItem, Delivery.plan_item_id == PlanItem.id)
        .join(Plan, PlanItem.plan_id == Plan.id)
        .where(Delivery.id == delivery_id, Plan.resident_id == resident_id)
        .options(contains_eager(Delivery.plan_item))
    )


def load_for_page(session: AnySession, plan: Plan) -> None:
    """Load the plan's items with their deliveries, and its previous version's items.

    Three queries whatever the plan's size, so the plan page reads items, deliveries and the
    changes since the last version without a lazy load per item.
    """
    ids = [plan.id, *([plan.previous_version_id] if plan.previous_version_id else [])]
    session.scalars(
        select(Plan)
        .where(Plan.id.in_(ids))
        .options(selectinload(Plan.items).selectinload(PlanItem.deliveries))
    ).all()


def items_by_part(plan: Plan) -> dict[PlanPart, list[PlanItem]]:
    """The plan's items in its two parts, assistance first."""
    parts: dict[PlanPart, list[PlanItem]] = {PlanPart.ASSISTANCE: [], PlanPart.DEVELOPMENT: []}
    for item in plan.items:
        parts[item.part].append(item)
    return parts


def plan_changes(previous: Plan | None, current: Plan) -> PlanChanges:
    """Items added, removed, or whose state changed since `previous`.

    Items are separate rows in each version, so they are matched by part and catalogue item;
    repeated items of the same kind are paired in order.
    """
    changes = PlanChanges()
    if previous is None:
        return changes
    earlier: dict[tuple[PlanPart, int], list[PlanItem]] = defaultdict(list)
    for item in previous.items:
        earlier[(item.part, item.need_item_id)].append(item)
    for item in current.items:
        matches = earlier.get((item.part, item.need_item_id))
        if not matches:
            changes.added.append(item)
            continue
        before = matches.pop(0)
        if before.status != item.status:
            changes.changed.append((before, item))
    changes.removed = [item for items in earlier.values() for item in items]
    return changes


def agree_to_plan(
    session: AnySession, plan: Plan, agreed_by: User, *, now: datetime, method: str = "web"
) -> Plan:
    """Record the resident's (or their guardian's) agreement; the township approves next.

    `agreed_by` is whoever agreed — a guardian's agreement is recorded as theirs. Raises
    `PlanNotAwaitingAgreementError` for a plan in any other state.
    """
    if plan.status != PlanStatus.AWAITING_AGREEMENT:
        raise PlanNotAwaitingAgreementError(plan.status.value)
    plan.agreed_at = now
    plan.agreed_by_id = agreed_by.id
    plan.agreement_method = method
    plan.status = PlanStatus.AWAITING_APPROVAL
    session.flush()
    return plan
