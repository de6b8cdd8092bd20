"""Hand-written data for the demo accounts, so each journey has something to show.

The demo resident has a revised plan awaiting their agreement, open cases in several states
and a delivered service still to rate; the guardian's dependents have plans and cases filed
on their behalf.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.demo.cases import demo_case
from portal.demo.context import DemoContext
from portal.demo.plans import build_plan
from portal.demo.ratings import rate
from portal.demo.surveys import survey
from portal.models import (
    CaseChannel,
    CaseStatus,
    CaseType,
    Delivery,
    ItemStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Resident,
    Satisfaction,
)

_DONE = ItemStatus.DELIVERED
_TODO = ItemStatus.PLANNED


def _ago(ctx: DemoContext, days: float, hours: float = 0) -> datetime:
    return ctx.now - timedelta(days=days, hours=hours)


def create_showcase(ctx: DemoContext) -> list[Plan]:
    """Surveys, plans and cases of the three named residents; returns their current plans."""
    return [_demo_resident(ctx), _dependent(ctx), _agent_for(ctx)]


def _demo_resident(ctx: DemoContext) -> Plan:
    resident = ctx.named["demo"]
    current = _demo_resident_plans(ctx, resident)
    _demo_resident_cases(ctx, resident)
    return current


def _demo_resident_plans(ctx: DemoContext, resident: Resident) -> Plan:
    """The demo resident's survey, last plan (closed) and its revision awaiting agreement."""
    survey(
        ctx,
        resident,
        [
            "REHAB.VIS.OM",
            "CULT.BRAILLE_AUDIO",
            "ACC.TACTILE",
            "SOC.LIVING_SUBSIDY",
            "SOC.CARE_SUBSIDY",
        ],
    )
    first = build_plan(
        ctx,
        resident,
        status=PlanStatus.CLOSED,
        is_current=False,
        rate_deliveries=False,
        created_at=min(ctx.year_start + timedelta(days=62), _ago(ctx, 60)),
        items=[("REHAB.VIS.OM", _DONE), ("SOC.LIVING_SUBSIDY", _DONE), ("SOC.CARE_SUBSIDY", _DONE)],
    )
    # The allowance payment was rated when it arrived; the mobility training is left to rate.
    allowance = _delivery_of(ctx, first, "SOC.LIVING_SUBSIDY")
    rate(
        ctx,
        resident,
        _later(ctx, allowance),
        level=Satisfaction.SATISFIED,
        delivery_id=allowance.id,
    )
    current = build_plan(
        ctx,
        resident,
        status=PlanStatus.AWAITING_AGREEMENT,
        version=2,
        previous=first,
        created_at=_ago(ctx, 3),
        items=[
            ("CULT.BRAILLE_AUDIO", _TODO),
            ("ACC.TACTILE", _TODO),
            ("SOC.LIVING_SUBSIDY", _TODO),
            ("SOC.CARE_SUBSIDY", _TODO),
        ],
    )
    return current


def _demo_resident_cases(ctx: DemoContext, resident: Resident) -> None:
    """The demo resident's cases, one in each state a resident sees."""
    user = ctx.accounts[resident.id]
    county = ctx.staff["county"]
    demo_case(
        ctx,
        resident,
        case_type=CaseType.COMPLAINT,
        status=CaseStatus.NEW,
        text=("ACC.TACTILE", "村口到集市的盲道被三轮车占了，上周差点摔倒，请派人管一管。", ""),
        created_at=_ago(ctx, 0, 5),
        channel=CaseChannel.HOTLINE,
        filed_by=county,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.HELP,
        status=CaseStatus.IN_PROGRESS,
        text=("AT.FURNITURE_COMM", "读屏手机坏了，听不到短信，能不能帮忙修一下或换一台？", ""),
        created_at=_ago(ctx, 6),
        channel=CaseChannel.WEB,
        filed_by=user,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.CONSULTATION,
        status=CaseStatus.WAITING,
        text=("SOC.CARE_SUBSIDY", "护理补贴今年有没有调整？我每个月能领多少？", ""),
        created_at=_ago(ctx, 4),
        channel=CaseChannel.VOICE,
        filed_by=None,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.NEED,
        status=CaseStatus.RESOLVED,
        text=("CULT.BRAILLE_AUDIO", "想申请一台听书机，在家听新闻和评书。", ""),
        created_at=_ago(ctx, 20),
        channel=CaseChannel.WEB,
        filed_by=user,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.SUGGESTION,
        status=CaseStatus.CLOSED,
        text=(None, "建议便民服务中心的电话加上语音提示，方便我们盲人。", ""),
        created_at=_ago(ctx, 45),
        channel=CaseChannel.WEB,
        filed_by=user,
        rating=Satisfaction.SATISFIED,
    )


def _dependent(ctx: DemoContext) -> Plan:
    resident = ctx.named["dependent"]
    guardian = ctx.guardians[resident.id]
    survey(
        ctx, resident, ["REHAB.INT.COG", "CARE.DAY", "SOC.LIVING_SUBSIDY", "EMP.HELP.VOC_TRAINING"]
    )
    plan = build_plan(
        ctx,
        resident,
        status=PlanStatus.ACTIVE,
        created_at=min(ctx.year_start + timedelta(days=65), _ago(ctx, 50)),
        items=[
            ("REHAB.INT.COG", _DONE),
            ("CARE.DAY", _TODO),
            ("SOC.LIVING_SUBSIDY", _DONE),
            ("EMP.HELP.VOC_TRAINING", _TODO),
        ],
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.HELP,
        status=CaseStatus.IN_PROGRESS,
        text=("CARE.DAY", "孩子在残疾人之家的日间照料能不能延长到周六？", ""),
        created_at=_ago(ctx, 9),
        channel=CaseChannel.WEB,
        filed_by=guardian,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.CORRECTION,
        status=CaseStatus.WITHDRAWN,
        text=(None, "孩子的住址登记错了组别，是5组不是3组。", ""),
        created_at=_ago(ctx, 15),
        channel=CaseChannel.WEB,
        filed_by=guardian,
    )
    return plan


def _agent_for(ctx: DemoContext) -> Plan:
    resident = ctx.named["agent_for"]
    agent = ctx.guardians[resident.id]
    survey(ctx, resident, ["ACC.WHEELCHAIR", "ACC.RAMP", "SOC.CARE_SUBSIDY", "SOC.PENSION_SUBSIDY"])
    plan = build_plan(
        ctx,
        resident,
        status=PlanStatus.AWAITING_APPROVAL,
        created_at=_ago(ctx, 12),
        items=[("ACC.WHEELCHAIR", _TODO), ("ACC.RAMP", _TODO), ("SOC.CARE_SUBSIDY", _TODO)],
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.URGENT,
        status=CaseStatus.CLOSED,
        text=("CARE.HOME", "老人摔倒后起不来，家里没有别人，请尽快派人来。", ""),
        created_at=_ago(ctx, 33, 3),
        channel=CaseChannel.WEB,
        filed_by=agent,
        rating=Satisfaction.SATISFIED,
    )
    demo_case(
        ctx,
        resident,
        case_type=CaseType.COMPLAINT,
        status=CaseStatus.RESOLVED,
        text=("ACC.WHEELCHAIR", "帮老人申请轮椅两个月了，一直没有消息。", ""),
        created_at=_ago(ctx, 18),
        channel=CaseChannel.WEB,
        filed_by=agent,
        rating=Satisfaction.BASIC,
    )
    return plan


def _delivery_of(ctx: DemoContext, plan: Plan, code: str) -> Delivery:
    """The first delivery of catalogue item `code` in `plan`."""
    found = ctx.session.scalars(
        select(Delivery)
        .join(PlanItem, Delivery.plan_item_id == PlanItem.id)
        .where(PlanItem.plan_id == plan.id, PlanItem.need_item_id == ctx.item(code).id)
        .order_by(Delivery.delivered_on, Delivery.id)
    ).first()
    assert found is not None
    return found


def _later(ctx: DemoContext, delivery: Delivery) -> datetime:
    return ctx.after(delivery.created_at, timedelta(days=1), timedelta(days=5))
