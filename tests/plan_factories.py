"""Small factories for plans, items and deliveries (keyword defaults; each flushes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Delivery,
    ItemStatus,
    NeedItem,
    Plan,
    PlanItem,
    PlanPart,
    PlanStatus,
    Resident,
)


def need_item(code: str | None = None) -> NeedItem:
    query = select(NeedItem).where(NeedItem.kind != "status").order_by(NeedItem.id)
    if code:
        query = select(NeedItem).where(NeedItem.code == code)
    item = db.session.scalars(query.limit(1)).first()
    assert item is not None
    return item


def create_plan(resident: Resident, **kw: Any) -> Plan:
    plan = Plan(
        resident_id=resident.id,
        year=kw.pop("year", date.today().year),
        version=kw.pop("version", 1),
        status=kw.pop("status", PlanStatus.AWAITING_AGREEMENT),
        is_current=kw.pop("is_current", True),
        **kw,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def create_plan_item(plan: Plan, **kw: Any) -> PlanItem:
    item = PlanItem(
        plan_id=plan.id,
        part=kw.pop("part", PlanPart.ASSISTANCE),
        need_item_id=kw.pop("need_item_id", None) or need_item(kw.pop("code", None)).id,
        description=kw.pop("description", "每月上门做一次康复训练"),
        responsible=kw.pop("responsible", "区残联康复科"),
        planned_by=kw.pop("planned_by", date(date.today().year, 6, 30)),
        status=kw.pop("status", ItemStatus.PLANNED),
        **kw,
    )
    db.session.add(item)
    db.session.flush()
    db.session.refresh(plan)
    return item


def create_delivery(item: PlanItem, **kw: Any) -> Delivery:
    delivery = Delivery(
        plan_item_id=item.id,
        delivered_on=kw.pop("delivered_on", date(date.today().year, 3, 15)),
        responsible=kw.pop("responsible", "区残联康复科"),
        project_name=kw.pop("project_name", "社区康复服务项目"),
        funds_yuan=kw.pop("funds_yuan", Decimal("1200.00")),
        equipment=kw.pop("equipment", "轮椅"),
        equipment_quantity=kw.pop("equipment_quantity", 1),
        measures=kw.pop("measures", "上门评估并配发轮椅"),
        effect=kw.pop("effect", "可以自己出门买菜"),
        **kw,
    )
    db.session.add(delivery)
    db.session.flush()
    db.session.refresh(item)
    return delivery


def create_delivered_plan(resident: Resident, **kw: Any) -> tuple[Plan, PlanItem, Delivery]:
    """A current plan with one delivered item and its delivery."""
    plan = create_plan(resident, **kw)
    item = create_plan_item(plan, status=ItemStatus.DELIVERED)
    delivery = create_delivery(item)
    return plan, item, delivery
