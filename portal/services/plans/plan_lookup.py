"""Finding a resident's plans and the year's needs a plan answers (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.models import NeedsAnswer, NeedsRecord, Plan, Resident, User
from portal.models.base import AnySession
from portal.services.people.access import visible_resident_ids
from portal.services.plans.plan_rules import ANSWER_TARGET, AWAITING_AGREEMENT, PENDING


def resident_in_scope(
    session: AnySession, user: User, resident_id: int, today: date
) -> Resident | None:
    """The resident if `user` may see them (their area, or all for an administrator)."""
    return session.scalar(
        select(Resident).where(
            Resident.id == resident_id,
            Resident.id.in_(visible_resident_ids(session, user, today)),
        )
    )


def versions(session: AnySession, resident_id: int) -> list[Plan]:
    """All the resident's plans, newest year and version first."""
    return list(
        session.scalars(
            select(Plan)
            .where(Plan.resident_id == resident_id)
            .order_by(Plan.year.desc(), Plan.version.desc())
        )
    )


def pending_plan(session: AnySession, resident_id: int) -> Plan | None:
    """The version on its way to approval (draft, awaiting agreement or approval), if any."""
    return session.scalar(
        select(Plan)
        .where(Plan.resident_id == resident_id, Plan.status.in_(PENDING))
        .order_by(Plan.id.desc())
        .limit(1)
    )


def plan_awaiting_agreement(session: AnySession, resident_id: int) -> Plan | None:
    """The version the resident is asked to agree to now (an SMS or call answers this one)."""
    plan = pending_plan(session, resident_id)
    return plan if plan is not None and plan.status == AWAITING_AGREEMENT else None


def needs_record(session: AnySession, resident_id: int, year: int) -> NeedsRecord | None:
    return session.scalar(
        select(NeedsRecord).where(NeedsRecord.resident_id == resident_id, NeedsRecord.year == year)
    )


@dataclass(frozen=True)
class NeedsCoverage:
    """The year's needs and which have an answer in the plan, against `ANSWER_TARGET`."""

    needed: list[NeedsAnswer]
    unanswered: list[NeedsAnswer]

    @property
    def answered_count(self) -> int:
        return len(self.needed) - len(self.unanswered)

    @property
    def share(self) -> float:
        """Answered over needed; a year with no needs counts as fully answered."""
        return self.answered_count / len(self.needed) if self.needed else 1.0

    @property
    def meets_target(self) -> bool:
        return self.share >= ANSWER_TARGET


def needs_coverage(session: AnySession, plan: Plan) -> NeedsCoverage:
    """Needs from the plan year's needs record, and those no item of `plan` answers yet."""
    record = needs_record(session, plan.resident_id, plan.year)
    needed = [a for a in record.answers if a.needed] if record else []
    needed.sort(key=lambda answer: answer.need_item_id)
    answered = {item.needs_answer_id for item in plan.items}
    return NeedsCoverage(needed, [a for a in needed if a.id not in answered])
