"""The plan (一人一策) from draft to active: the services that follow the workflow table.

`portal.services.plans.plan_rules.RULES` says who may move a plan from which state to which.
Staff draft a year's plan from the resident's needs record (each need planned, referred or
declined with a reason), submit it, the resident (or guardian) agrees — in the portal, by SMS,
by a key on the call, or in person before a witness — and a township officer of the resident's
township or above approves it. Changing an active plan starts a new version that goes through
agreement and approval again; the version in force stays current until the new one is approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal.models import AuditEvent, ItemStatus, Plan, PlanItem, PlanPart, Resident, User
from portal.models.base import AnySession
from portal.services.accounts.phone_accounts import open_phone_account, phone_account
from portal.services.outbound.notifications import notify_resident
from portal.services.plans.plan_lookup import pending_plan, plan_awaiting_agreement
from portal.services.plans.plan_rules import (
    ACTIVE,
    CLOSED,
    DRAFT,
    EDITORS,
    PlanAction,
    PlanActionRefused,
    PlanInvalidError,
    check,
)
from portal.services.plans.plans import agree_to_plan


def _audit(
    session: AnySession,
    plan: Plan,
    actor: User,
    action: str,
    now: datetime,
    ip_address: str | None,
    **data: Any,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id,
            action=f"plan.{action}",
            resident_id=plan.resident_id,
            object_type="plan",
            object_id=plan.id,
            ip_address=ip_address,
            data={"version": plan.version, "status": plan.status.value, **data},
            created_at=now,
        )
    )
    session.flush()


def start_draft(
    session: AnySession,
    resident: Resident,
    actor: User,
    *,
    year: int,
    now: datetime,
    ip_address: str | None = None,
) -> Plan:
    """This year's draft: a new version of the plan in force for `year`, or its first version.

    A new version copies the items of the one in force, so staff change only what changes and
    the resident sees the difference. Raises `PlanActionRefused("pending_version")` while a
    version is still on its way to approval.
    """
    if actor.role not in EDITORS:
        raise PlanActionRefused("not_allowed")
    if pending_plan(session, resident.id) is not None:
        raise PlanActionRefused("pending_version")
    in_force = session.scalar(
        select(Plan)
        .where(Plan.resident_id == resident.id, Plan.year == year, Plan.status == ACTIVE)
        .order_by(Plan.version.desc())
        .limit(1)
    )
    if in_force is not None:
        check(PlanAction.REVISE, actor.role, in_force.status)
    latest = session.scalar(
        select(Plan.version)
        .where(Plan.resident_id == resident.id, Plan.year == year)
        .order_by(Plan.version.desc())
        .limit(1)
    )
    has_current = session.scalar(
        select(Plan.id).where(Plan.resident_id == resident.id, Plan.is_current.is_(True))
    )
    plan = Plan(
        resident_id=resident.id,
        year=year,
        version=(latest or 0) + 1,
        previous_version_id=in_force.id if in_force else None,
        # The first plan a resident has is theirs to see while it is written; later ones
        # become current when approved (`approve`).
        is_current=has_current is None,
        status=DRAFT,
        no_development_reason=in_force.no_development_reason if in_force else None,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    if in_force is not None:
        _copy_items(session, in_force, plan)
    session.flush()
    session.refresh(plan)
    previous_id = in_force.id if in_force else None
    _audit(session, plan, actor, "create", now, ip_address, previous_version_id=previous_id)
    return plan


def _copy_items(session: AnySession, source: Plan, plan: Plan) -> None:
    """Copy every item of `source` (the version in force) into the new version `plan`."""
    for item in source.items:
        session.add(
            PlanItem(
                plan_id=plan.id,
                part=item.part,
                need_item_id=item.need_item_id,
                description=item.description,
                responsible=item.responsible,
                institution_id=item.institution_id,
                planned_by=item.planned_by,
                status=item.status,
                not_delivered_reason=item.not_delivered_reason,
                decision_reason=item.decision_reason,
                needs_answer_id=item.needs_answer_id,
            )
        )


@dataclass(frozen=True)
class ItemInput:
    """One answer to a need, or an item added without one; `add_item` checks the reasons."""

    part: PlanPart
    status: ItemStatus  # PLANNED, REFERRED or DECLINED
    need_item_id: int
    description: str | None = None
    responsible: str | None = None
    institution_id: int | None = None
    planned_by: date | None = None
    decision_reason: str | None = None
    needs_answer_id: int | None = None


#: What each decision must say (field names of `ItemInput`).
REQUIRED = {
    ItemStatus.PLANNED: ("description", "responsible", "planned_by"),
    ItemStatus.REFERRED: ("responsible", "decision_reason"),
    ItemStatus.DECLINED: ("decision_reason",),
}


def missing_fields(data: ItemInput) -> list[str]:
    """The fields `data`'s decision needs that are empty."""
    return [name for name in REQUIRED[data.status] if not getattr(data, name)]


def add_item(
    session: AnySession,
    plan: Plan,
    data: ItemInput,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> PlanItem:
    """Add one item to a draft; raises PlanInvalidError with the empty required fields."""
    check(PlanAction.EDIT, actor.role, plan.status)
    problems = missing_fields(data)
    if problems:
        raise PlanInvalidError(problems)
    item = PlanItem(plan_id=plan.id, **data.__dict__)
    session.add(item)
    session.flush()
    session.refresh(plan)
    _audit(session, plan, actor, "item_add", now, ip_address, item_id=item.id, decision=data.status)
    return item


def remove_item(
    session: AnySession,
    plan: Plan,
    item: PlanItem,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    check(PlanAction.EDIT, actor.role, plan.status)
    if item.deliveries:
        # Delivered services stay on record; the item can only be changed, not removed.
        raise PlanActionRefused("has_deliveries")
    plan.items.remove(item)
    session.flush()
    _audit(session, plan, actor, "item_remove", now, ip_address, need_item_id=item.need_item_id)


def set_no_development_reason(
    session: AnySession,
    plan: Plan,
    reason: str | None,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    check(PlanAction.EDIT, actor.role, plan.status)
    plan.no_development_reason = reason or None
    session.flush()
    _audit(session, plan, actor, "no_development_reason", now, ip_address)


def submit_problems(plan: Plan) -> list[str]:
    """Why the plan may not go to the resident yet (empty: it may)."""
    problems = []
    if not plan.items:
        problems.append("no_items")
    has_development = any(item.part == PlanPart.DEVELOPMENT for item in plan.items)
    if not has_development and not plan.no_development_reason:
        problems.append("no_development_reason")
    return problems


def submit(
    session: AnySession,
    plan: Plan,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Send the draft to the resident for agreement, and tell them (in their language)."""
    status = check(PlanAction.SUBMIT, actor.role, plan.status)
    problems = submit_problems(plan)
    if problems:
        raise PlanInvalidError(problems)
    plan.status = status
    plan.submitted_at, plan.submitted_by_id = now, actor.id
    plan.returned_reason = None
    resident = session.get(Resident, plan.resident_id)
    assert resident is not None  # noqa: S101  (a plan's resident always exists)
    notify_resident(
        session,
        resident,
        template="plan_awaiting_agreement",
        params={"year": str(plan.year), "plan_id": plan.id},
        # A plan returned and submitted again asks again.
        dedupe_key=f"plan:{plan.id}:agreement:{now.isoformat()}",
        now=now,
    )
    _audit(session, plan, actor, "submit", now, ip_address)


def withdraw(
    session: AnySession,
    plan: Plan,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    plan.status = check(PlanAction.WITHDRAW, actor.role, plan.status)
    _audit(session, plan, actor, "withdraw", now, ip_address)


def agree_in_person(
    session: AnySession,
    plan: Plan,
    actor: User,
    *,
    witness: str,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Staff record the resident's agreement given on paper, with who witnessed it."""
    status = check(PlanAction.AGREE_IN_PERSON, actor.role, plan.status)
    plan.status = status
    plan.agreed_at, plan.agreed_by_id = now, actor.id
    plan.agreement_method, plan.agreement_witness = "paper", witness
    session.flush()
    _audit(session, plan, actor, "agree_in_person", now, ip_address, witness=witness)


def agree_from_phone(
    session: AnySession, resident: Resident, *, method: str, now: datetime
) -> Plan | None:
    """Agreement texted back or keyed on the call: the plan agreed to, or None if none waits.

    The phone speaks for the resident's account, or for their guardian's when it is the
    guardian's number; a resident who has no account gets one (as a phone rating does).
    """
    plan = plan_awaiting_agreement(session, resident.id)
    if plan is None:
        return None
    agreed_by = phone_account(session, resident, now) or open_phone_account(session, resident, now)
    if agreed_by is None:
        return None
    check(PlanAction.AGREE, agreed_by.role, plan.status)
    agree_to_plan(session, plan, agreed_by, now=now, method=method)
    _audit(session, plan, agreed_by, "agree", now, None, method=method)
    return plan


def approve(
    session: AnySession,
    plan: Plan,
    actor: User,
    *,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Put the plan in force: it becomes the resident's current plan, the one before it closes.

    Deliveries already recorded against the version before move to the matching items of this
    one (same part and catalogue item), so the resident keeps seeing and rating them.
    """
    status = check(PlanAction.APPROVE, actor.role, plan.status)
    before = session.scalar(
        select(Plan).where(
            Plan.resident_id == plan.resident_id, Plan.is_current.is_(True), Plan.id != plan.id
        )
    )
    if before is not None:
        before.is_current = False
        if before.status == ACTIVE:
            before.status = CLOSED
        session.flush()  # one current plan per resident: clear the old flag first
    if plan.previous_version is not None:
        _carry_deliveries(plan.previous_version, plan)
    plan.status, plan.is_current = status, True
    plan.approved_at, plan.approved_by_id = now, actor.id
    session.flush()
    _audit(session, plan, actor, "approve", now, ip_address)


def _carry_deliveries(previous: Plan, plan: Plan) -> None:
    """Pair items as `plan_changes` does (part and catalogue item, in order); move deliveries."""
    earlier: dict[tuple[PlanPart, int], list[PlanItem]] = {}
    for item in previous.items:
        earlier.setdefault((item.part, item.need_item_id), []).append(item)
    for item in plan.items:
        matches = earlier.get((item.part, item.need_item_id))
        if matches:
            for delivery in list(matches.pop(0).deliveries):
                delivery.plan_item = item


def return_plan(
    session: AnySession,
    plan: Plan,
    actor: User,
    *,
    reason: str,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Send the plan back to draft with a reason; the agreement given no longer counts."""
    plan.status = check(PlanAction.RETURN, actor.role, plan.status)
    plan.returned_reason = reason
    plan.agreed_at = plan.agreed_by_id = plan.agreement_method = plan.agreement_witness = None
    session.flush()
    _audit(session, plan, actor, "return", now, ip_address, reason=reason)
