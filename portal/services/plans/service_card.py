"""What the personal service card (个性化服务卡) shows: the person, this year's plan, contacts.

The card is printed and left at home, so it carries only masked identifiers and the people to
call: the resident's village workers and the hotline.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.models import Plan, PlanItem, PlanPart, Resident, Role, User
from portal.models.base import AnySession
from portal.services.plans.plans import current_plan, items_by_part


@dataclass(frozen=True)
class ServiceCard:
    resident: Resident
    plan: Plan | None
    parts: dict[PlanPart, list[PlanItem]]
    workers: list[User]


def service_card(session: AnySession, resident: Resident) -> ServiceCard:
    """The card of `resident` (whose visibility the caller has checked)."""
    plan = current_plan(session, resident.id)
    workers = list(
        session.scalars(
            select(User)
            .where(
                User.role == Role.VILLAGE_WORKER,
                User.area_id == resident.area_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
    return ServiceCard(
        resident=resident,
        plan=plan,
        parts=items_by_part(plan) if plan else {},
        workers=workers,
    )
