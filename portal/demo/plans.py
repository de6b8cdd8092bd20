"""This year's personal plans (一人一策): versions, items, deliveries and their ratings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from portal.demo.context import DemoContext
from portal.demo.ratings import can_rate, rate
from portal.demo.service_texts import (
    AGREEMENT_METHODS,
    DECLINED_REASONS,
    GENERIC_SERVICE,
    NO_DEVELOPMENT_REASONS,
    NOT_DELIVERED_REASONS,
    REFERRED_REASONS,
    SERVICES,
)
from portal.demo.surveys import age_on
from portal.models import Delivery, ItemStatus, Plan, PlanItem, PlanPart, PlanStatus, Resident
from portal.services.sla.sla import local_zone

_STATUSES = (
    PlanStatus.DRAFT,
    PlanStatus.AWAITING_AGREEMENT,
    PlanStatus.AWAITING_APPROVAL,
    PlanStatus.ACTIVE,
    PlanStatus.CLOSED,
)
_STATUS_WEIGHTS = (12, 12, 10, 56, 10)
_AGREED = {PlanStatus.AWAITING_APPROVAL, PlanStatus.ACTIVE, PlanStatus.CLOSED}
_APPROVED = {PlanStatus.ACTIVE, PlanStatus.CLOSED}
_ACTIVE_ITEMS = (
    ItemStatus.DELIVERED,
    ItemStatus.PLANNED,
    ItemStatus.NOT_DELIVERED,
    ItemStatus.REFERRED,
    ItemStatus.DECLINED,
)
_DECISION_REASONS = {ItemStatus.REFERRED: REFERRED_REASONS, ItemStatus.DECLINED: DECLINED_REASONS}
_DEVELOPMENT_DOMAINS = ("EMP.", "EDU.")
_QUARTERLY = frozenset({"SOC.LIVING_SUBSIDY", "SOC.CARE_SUBSIDY", "SOC.DIBAO"})


def part_of(code: str) -> PlanPart:
    """Employment and education items form the development plan; the rest is assistance."""
    return PlanPart.DEVELOPMENT if code.startswith(_DEVELOPMENT_DOMAINS) else PlanPart.ASSISTANCE


def build_plan(
    ctx: DemoContext,
    resident: Resident,
    *,
    status: PlanStatus,
    created_at: datetime,
    items: list[tuple[str, ItemStatus]],
    version: int = 1,
    previous: Plan | None = None,
    is_current: bool = True,
    rate_deliveries: bool = True,
) -> Plan:
    """One plan with its items; delivered items get deliveries with the six elements.

    With `rate_deliveries`, residents rate some deliveries, as they do after a service.
    """
    plan = Plan(
        resident_id=resident.id,
        year=ctx.today.year,
        version=version,
        previous_version_id=previous.id if previous else None,
        is_current=is_current,
        status=status,
        created_by_id=ctx.worker_for(resident).id,
        created_at=created_at,
    )
    if not any(part_of(code) is PlanPart.DEVELOPMENT for code, _ in items):
        plan.no_development_reason = _no_development_reason(ctx, resident)
    moment = created_at
    if status in _AGREED:
        moment = ctx.after(moment, timedelta(days=1), timedelta(days=12), share=0.3)
        account = ctx.guardians.get(resident.id) or ctx.accounts.get(resident.id)
        plan.agreed_at = moment
        plan.agreed_by_id = account.id if account else None
        plan.agreement_method = "web" if account else _agreement_method(ctx, resident)
    if status in _APPROVED:
        moment = ctx.working(ctx.after(moment, timedelta(days=1), timedelta(days=7), share=0.3))
        plan.approved_at = moment
        plan.approved_by_id = ctx.officer_for(resident).id
    ctx.session.add(plan)
    ctx.session.flush()
    for code, item_status in items:
        _add_item(ctx, plan, code, item_status, delivered_from=moment, rated=rate_deliveries)
    return plan


def _agreement_method(ctx: DemoContext, resident: Resident) -> str:
    if resident.disability_category == 1:
        return "voice"
    return ctx.pick(AGREEMENT_METHODS)


def _no_development_reason(ctx: DemoContext, resident: Resident) -> str:
    age = age_on(resident, ctx.today)
    if age is not None and age >= 60:
        return NO_DEVELOPMENT_REASONS[0]
    if age is not None and age < 7:
        return NO_DEVELOPMENT_REASONS[2]
    if age is not None and age < 18:
        return NO_DEVELOPMENT_REASONS[3]
    if resident.disability_category == 6:
        return NO_DEVELOPMENT_REASONS[4]
    return NO_DEVELOPMENT_REASONS[1]


def _add_item(
    ctx: DemoContext,
    plan: Plan,
    code: str,
    status: ItemStatus,
    *,
    delivered_from: datetime,
    rated: bool,
) -> None:
    text = SERVICES.get(code, GENERIC_SERVICE)
    institution = ctx.institutions[text.institution] if text.institution else None
    item = PlanItem(
        plan_id=plan.id,
        part=part_of(code),
        need_item_id=ctx.item(code).id,
        description=text.plan,
        responsible=institution.name_zh if institution else text.responsible,
        institution_id=institution.id if institution else None,
        planned_by=date(plan.year, ctx.pick((6, 9, 12)), 30),
        status=status,
        not_delivered_reason=ctx.pick(NOT_DELIVERED_REASONS)
        if status is ItemStatus.NOT_DELIVERED
        else None,
        decision_reason=(
            ctx.pick(_DECISION_REASONS[status]) if status in _DECISION_REASONS else None
        ),
    )
    ctx.session.add(item)
    ctx.session.flush()
    if status is not ItemStatus.DELIVERED:
        return
    resident = ctx.resident(plan.resident_id)
    earliest = min(delivered_from + timedelta(days=2), ctx.now)
    if code in _QUARTERLY:
        # Allowances are paid every quarter from the month after approval.
        first = ctx.between(earliest, min(delivered_from + timedelta(days=30), ctx.now))
        quarters = (first + timedelta(days=91 * n) for n in range(4))
        moments = [moment for moment in quarters if moment <= ctx.now]
    else:
        moments = [ctx.between(earliest, ctx.now)]
    for moment in moments:
        start = ctx.working(moment)
        delivery = _deliver(ctx, plan, item, code, start, resident)
        if rated and can_rate(ctx, resident) and ctx.chance(0.35):
            rate(
                ctx,
                resident,
                ctx.after(start, timedelta(days=1), timedelta(days=10)),
                cover="delivery",
                delivery_id=delivery.id,
            )


def _deliver(
    ctx: DemoContext, plan: Plan, item: PlanItem, code: str, at: datetime, resident: Resident
) -> Delivery:
    text = SERVICES.get(code, GENERIC_SERVICE)
    if text.institution == "rehab":
        recorder = ctx.staff["institution"]
    elif text.institution:
        recorder = ctx.staff["county"]
    else:
        recorder = ctx.worker_for(resident)
    delivery = Delivery(
        plan_item_id=item.id,
        delivered_on=at.astimezone(local_zone()).date(),
        responsible=item.responsible or text.responsible,
        project_name=text.project.format(year=plan.year),
        funds_yuan=text.funds,
        equipment=text.equipment,
        equipment_quantity=text.quantity,
        measures=text.measures,
        effect=text.effect,
        institution_id=item.institution_id,
        recorded_by_id=recorder.id,
        created_at=at,
    )
    ctx.session.add(delivery)
    ctx.session.flush()
    return delivery


def item_statuses(
    ctx: DemoContext, status: PlanStatus, codes: list[str]
) -> list[tuple[str, ItemStatus]]:
    """Items of a plan in `status`: only approved plans have delivered or failed items."""
    if status is PlanStatus.ACTIVE:
        chosen = [ctx.cycle("active_item", _ACTIVE_ITEMS, (42, 38, 12, 4, 4)) for _ in codes]
    elif status is PlanStatus.CLOSED:
        chosen = [
            ctx.pick((ItemStatus.DELIVERED, ItemStatus.NOT_DELIVERED), (85, 15)) for _ in codes
        ]
    else:
        chosen = [ItemStatus.PLANNED for _ in codes]
    return list(zip(codes, chosen, strict=True))


def create_plans(ctx: DemoContext, needs: dict[int, list[str]], share: float = 0.85) -> list[Plan]:
    """Plans for about `share` of the surveyed residents, in every status.

    Returns the current plans.
    """
    plans: list[Plan] = []
    for resident in ctx.residents:
        codes = [code for code in needs.get(resident.id, []) if code in SERVICES]
        if not codes or not ctx.chance(share):
            continue
        status = ctx.cycle("plan_status", _STATUSES, _STATUS_WEIGHTS)
        previous = None
        if ctx.chance(0.12):
            previous = build_plan(
                ctx,
                resident,
                status=PlanStatus.CLOSED,
                created_at=_created(ctx, early=True),
                items=item_statuses(ctx, PlanStatus.CLOSED, codes[:1]),
                is_current=False,
            )
            created = ctx.after(
                previous.approved_at or previous.created_at,
                timedelta(days=20),
                timedelta(days=90),
                share=0.5,
            )
        else:
            created = _created(ctx, early=status in _APPROVED)
        plans.append(
            build_plan(
                ctx,
                resident,
                status=status,
                created_at=ctx.working(created),
                items=item_statuses(ctx, status, codes),
                version=2 if previous else 1,
                previous=previous,
            )
        )
    return plans


def _created(ctx: DemoContext, *, early: bool) -> datetime:
    """When a plan was drafted: approved plans early in the year, others more recently."""
    start = min(ctx.year_start + timedelta(days=60), ctx.now - timedelta(days=2))
    elapsed = ctx.now - start
    if early:
        return ctx.between(start, start + elapsed * 0.5)
    return ctx.between(start + elapsed * 0.5, ctx.now - timedelta(hours=12))


def rate_plans(ctx: DemoContext, plans: list[Plan], share: float = 0.3) -> None:
    """Overall evaluations (总体评价) of some approved plans."""
    for plan in plans:
        if plan.status not in _APPROVED or plan.approved_at is None or not ctx.chance(share):
            continue
        resident = ctx.resident(plan.resident_id)
        if can_rate(ctx, resident):
            rate(
                ctx,
                resident,
                ctx.after(plan.approved_at, timedelta(days=30), timedelta(days=120)),
                cover="plan",
                plan_id=plan.id,
            )
