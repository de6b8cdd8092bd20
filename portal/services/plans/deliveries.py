"""Recording what was delivered for a plan item (六要素), or why it could not be delivered.

Either way the resident is told on their channels: a delivery asks them to rate it (the
message carries the delivery's id, which a reply by SMS or a key on a call answers), and an
item that could not be delivered says why, in the words the resident also sees in their plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from portal.models import (
    AuditEvent,
    Delivery,
    ItemStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Resident,
    Role,
    User,
)
from portal.models.base import AnySession
from portal.services.outbound.notifications import notify_resident
from portal.services.people.access import visible_resident_ids

#: Staff roles that record deliveries for residents in their area (supervisors only check).
RECORDING_ROLES = frozenset({Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF})
#: An item takes deliveries while it is promised; referred and declined items were never ours.
DELIVERABLE = frozenset({ItemStatus.PLANNED, ItemStatus.DELIVERED, ItemStatus.NOT_DELIVERED})


class ItemClosedError(ValueError):
    """The item's plan is not active, or the item is not in a state that takes this change."""


@dataclass(frozen=True)
class SixElements:
    """A delivery as staff entered it, already validated by the form."""

    delivered_on: date
    responsible: str
    project_name: str
    funds_yuan: Decimal | None
    equipment: str | None
    equipment_quantity: int | None
    equipment_unit: str | None
    measures: str
    effect: str


def item_for_recording(
    session: AnySession, user: User, item_id: int, today: date
) -> PlanItem | None:
    """The plan item if `user` may record its deliveries, else None (the view answers 404).

    Area staff may for residents in their area; an institution only for the items its plan
    assigns to it (`PlanItem.institution_id`), whoever else the resident is assigned to.
    """
    item = session.get(PlanItem, item_id)
    if item is None:
        return None
    if user.role == Role.ADMIN:
        return item
    if user.role == Role.INSTITUTION:
        mine = user.institution_id is not None and item.institution_id == user.institution_id
        return item if mine else None
    if user.role not in RECORDING_ROLES:
        return None
    visible = session.scalar(
        select(Plan.resident_id).where(
            Plan.id == item.plan_id,
            Plan.resident_id.in_(visible_resident_ids(session, user, today)),
        )
    )
    return item if visible is not None else None


def takes_deliveries(item: PlanItem) -> bool:
    """Only items of an active (approved) plan are delivered against."""
    return item.plan.status == PlanStatus.ACTIVE and item.status in DELIVERABLE


def may_mark_not_delivered(item: PlanItem) -> bool:
    """ "Could not deliver" is for a promised item with nothing delivered yet."""
    return item.plan.status == PlanStatus.ACTIVE and item.status == ItemStatus.PLANNED


def record_delivery(
    session: AnySession,
    item: PlanItem,
    elements: SixElements,
    *,
    actor: User,
    now: datetime,
    ip_address: str | None,
) -> Delivery:
    """Record a delivery; the item becomes delivered and the resident is asked to rate it.

    Raises `ItemClosedError` when the item does not take deliveries (see `takes_deliveries`).
    """
    if not takes_deliveries(item):
        raise ItemClosedError(item.status.value)
    institution_id = actor.institution_id if actor.role == Role.INSTITUTION else None
    delivery = Delivery(
        plan_item_id=item.id,
        delivered_on=elements.delivered_on,
        responsible=elements.responsible,
        project_name=elements.project_name,
        funds_yuan=elements.funds_yuan,
        equipment=elements.equipment,
        equipment_quantity=elements.equipment_quantity,
        equipment_unit=elements.equipment_unit,
        measures=elements.measures,
        effect=elements.effect,
        institution_id=institution_id or item.institution_id,
        recorded_by_id=actor.id,
        created_at=now,
    )
    session.add(delivery)
    item.status = ItemStatus.DELIVERED
    # Delivered after all: the earlier reason no longer describes the item.
    item.not_delivered_reason = None
    session.flush()
    resident = _resident(session, item)
    _audit(session, "delivery.record", resident, "delivery", delivery.id, actor, now, ip_address)
    notify_resident(
        session,
        resident,
        template="delivery_rating_request",
        params={
            "service": item.need_item.name(resident.language),
            "date": elements.delivered_on.isoformat(),
            "delivery_id": delivery.id,
        },
        dedupe_key=f"delivery:{delivery.id}:rating-request",
        now=now,
    )
    return delivery


def record_not_delivered(
    session: AnySession,
    item: PlanItem,
    reason: str,
    *,
    actor: User,
    now: datetime,
    ip_address: str | None,
) -> None:
    """Mark a planned item as not delivered with the reason the resident sees, and tell them.

    Raises `ItemClosedError` unless `may_mark_not_delivered(item)`.
    """
    if not may_mark_not_delivered(item):
        raise ItemClosedError(item.status.value)
    item.status = ItemStatus.NOT_DELIVERED
    item.not_delivered_reason = reason
    session.flush()
    resident = _resident(session, item)
    _audit(
        session, "plan_item.not_delivered", resident, "plan_item", item.id, actor, now, ip_address
    )
    notify_resident(
        session,
        resident,
        template="delivery_not_possible",
        params={"service": item.need_item.name(resident.language), "reason": reason},
        dedupe_key=f"plan-item:{item.id}:not-delivered",
        now=now,
    )


def _resident(session: AnySession, item: PlanItem) -> Resident:
    resident = session.get(Resident, item.plan.resident_id)
    assert resident is not None  # a plan's resident_id is a foreign key
    return resident


def _audit(
    session: AnySession,
    action: str,
    resident: Resident,
    object_type: str,
    object_id: int,
    actor: User,
    now: datetime,
    ip_address: str | None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id,
            action=action,
            resident_id=resident.id,
            object_type=object_type,
            object_id=object_id,
            ip_address=ip_address,
            created_at=now,
        )
    )
    session.flush()
