"""Recording a delivery with the six elements, or that an item could not be delivered.

Who may: area staff for residents in their area, an institution for its own items only,
administrators; supervisors (read-only) and residents may not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    Delivery,
    Institution,
    ItemStatus,
    Notification,
    PlanStatus,
    Role,
)
from tests.factories import create_area, create_resident_user, create_user
from tests.html import error_summary, field_error
from tests.plan_factories import create_plan, create_plan_item, need_item

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's default TIMEZONE


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    elsewhere = create_area("511322101201", AreaLevel.VILLAGE)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    other_home = Institution(name_zh="助残中心", name_en="Care centre", area_id=county.id)
    db.session.add_all([home, other_home])
    db.session.flush()
    user, resident = create_resident_user(village, name="王收到", language="en")
    plan = create_plan(resident, year=TODAY.year, status=PlanStatus.ACTIVE)
    item = create_plan_item(plan, code="ACC.WHEELCHAIR", institution_id=home.id)
    other_item = create_plan_item(plan, institution_id=other_home.id)
    draft_resident = create_resident_user(village)[1]
    draft = create_plan(draft_resident, year=TODAY.year, status=PlanStatus.AWAITING_APPROVAL)
    draft_item = create_plan_item(draft)
    people = {
        "village": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "township": create_user(Role.TOWNSHIP_OFFICER, area_id=township.id),
        "county": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "admin": create_user(Role.ADMIN),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
        "other_institution": create_user(Role.INSTITUTION, institution_id=other_home.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id),
        "outsider": create_user(Role.VILLAGE_WORKER, area_id=elsewhere.id),
        "resident": user,
    }
    db.session.commit()
    return {
        "item": item,
        "other_item": other_item,
        "draft_item": draft_item,
        "home": home,
        "people": people,
        "resident": resident,
    }


def six_elements(**changes: str) -> dict[str, str]:
    data = {
        "delivery-delivered_on": TODAY.isoformat(),
        "delivery-responsible": "区残联康复科",
        "delivery-project": "ACC.WHEELCHAIR",
        "delivery-funds_yuan": "1200.50",
        "delivery-equipment": "轮椅",
        "delivery-equipment_quantity": "1",
        "delivery-equipment_unit": "台",
        "delivery-measures": "上门评估并配发轮椅",
        "delivery-effect": "可以自己出门买菜",
    }
    data.update(changes)
    return data


def as_user(client_request, user):
    client_request.login(user)
    client_request.set_locale("en")


def url(item) -> str:
    return f"/admin/plan-items/{item.id}/deliveries/new"


def test_a_delivery_is_recorded_the_item_delivered_and_the_resident_asked_to_rate(
    client_request, world
):
    item, staff = world["item"], world["people"]["village"]
    as_user(client_request, staff)
    page = client_request.get(url(item))
    assert page.find(id="delivery-project").find("option", selected=True)["value"] == (
        "ACC.WHEELCHAIR"
    )
    client_request.post(url(item), six_elements())
    [delivery] = db.session.scalars(select(Delivery).where(Delivery.plan_item_id == item.id))
    assert delivery.funds_yuan == Decimal("1200.50")
    assert (delivery.equipment, delivery.equipment_quantity, delivery.equipment_unit) == (
        "轮椅",
        1,
        "台",
    )
    assert delivery.project_name == need_item("ACC.WHEELCHAIR").name_zh
    assert delivery.institution_id == world["home"].id  # the item's institution delivered it
    assert delivery.recorded_by_id == staff.id
    db.session.refresh(item)
    assert item.status == ItemStatus.DELIVERED
    rows = list(
        db.session.scalars(
            select(Notification).where(Notification.resident_id == item.plan.resident_id)
        )
    )
    assert rows and {row.template for row in rows} == {"delivery_rating_request"}
    assert rows[0].params == {
        "service": need_item("ACC.WHEELCHAIR").name_en,  # the resident reads English
        "date": TODAY.isoformat(),
        "delivery_id": delivery.id,
    }
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.record"))
    assert audit is not None and audit.actor_id == staff.id and audit.object_id == delivery.id
    page = client_request.get(url(item))
    assert "Delivery recorded. The resident has been asked to rate it." in page.get_text()
    assert "上门评估并配发轮椅" in page.get_text()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"delivery-delivered_on": ""}, "delivered_on", "Enter the date it was delivered"),
        ({"delivery-delivered_on": "24/11"}, "delivered_on", "Write the date as year-month-day"),
        (
            # Two days ahead: parameters are made at collection, and a run that passes local
            # midnight before this test would make "tomorrow" today (CI at 16:00 UTC).
            {"delivery-delivered_on": (TODAY + timedelta(days=2)).isoformat()},
            "delivered_on",
            "The date cannot be in the future",
        ),
        (
            {"delivery-delivered_on": date(TODAY.year - 1, 12, 31).isoformat()},
            "delivered_on",
            "Use a date in",
        ),
        ({"delivery-responsible": ""}, "responsible", "Enter the department or body responsible"),
        ({"delivery-responsible": "康" * 201}, "responsible", "Use 200 characters or fewer"),
        ({"delivery-project": "NO.SUCH"}, "project", "Choose the project from the list"),
        ({"delivery-funds_yuan": "-1"}, "funds_yuan", "Enter an amount from 0"),
        (
            {
                "delivery-funds_yuan": "",
                "delivery-equipment": "",
                "delivery-equipment_quantity": "",
                "delivery-equipment_unit": "",
            },
            "funds_yuan",
            "Enter the money given, or the equipment",
        ),
        ({"delivery-equipment_quantity": ""}, "equipment_quantity", "Enter how many were given"),
        ({"delivery-equipment_quantity": "0"}, "equipment_quantity", "Enter a whole number"),
        ({"delivery-equipment_unit": ""}, "equipment_unit", "Enter the unit"),
        ({"delivery-equipment": ""}, "equipment", "Enter the equipment the quantity is for"),
        ({"delivery-measures": ""}, "measures", "Describe what was done"),
        ({"delivery-effect": "  "}, "effect", "Describe the effect for the resident"),
        ({"delivery-effect": "好" * 2001}, "effect", "Use 2000 characters or fewer"),
    ],
)
def test_each_element_is_checked_and_what_was_typed_is_kept(
    client_request, world, changes, field, message
):
    item = world["item"]
    as_user(client_request, world["people"]["township"])
    page = client_request.post(url(item), six_elements(**changes), expected_status=400)
    assert page.title.get_text(strip=True).startswith("Error: ")
    assert field_error(page, f"delivery-{field}").removeprefix("Error:").strip().startswith(message)
    assert any(text.startswith(message) for text in error_summary(page))
    assert page.find(id="delivery-measures").get_text() == changes.get(
        "delivery-measures", "上门评估并配发轮椅"
    )
    assert db.session.scalars(select(Delivery)).all() == []
    assert db.session.scalars(select(Notification)).all() == []


def test_money_alone_is_enough_and_zero_is_allowed(client_request, world):
    item = world["item"]
    as_user(client_request, world["people"]["county"])
    client_request.post(
        url(item),
        six_elements(
            **{
                "delivery-funds_yuan": "0",
                "delivery-equipment": "",
                "delivery-equipment_quantity": "",
                "delivery-equipment_unit": "",
            }
        ),
    )
    delivery = db.session.scalar(select(Delivery))
    assert delivery is not None and delivery.funds_yuan == 0 and delivery.equipment is None


def test_could_not_deliver_needs_a_reason_which_the_resident_is_sent(client_request, world):
    item = world["item"]
    as_user(client_request, world["people"]["village"])
    target = f"/admin/plan-items/{item.id}/not-delivered"
    page = client_request.post(target, {"not-delivered-reason": ""}, expected_status=400)
    assert field_error(page, "not-delivered-reason").endswith("Say why it could not be delivered")
    assert page.title.get_text(strip=True).startswith("Error: ")
    client_request.post(target, {"not-delivered-reason": "今年的轮椅已发完，明年一月补发。"})
    db.session.refresh(item)
    assert item.status == ItemStatus.NOT_DELIVERED
    assert item.not_delivered_reason == "今年的轮椅已发完，明年一月补发。"
    [row] = db.session.scalars(select(Notification))
    assert row.template == "delivery_not_possible"
    assert row.params["reason"] == "今年的轮椅已发完，明年一月补发。"
    # The resident sees the reason in their plan.
    as_user(client_request, world["people"]["resident"])
    plan_page = client_request.get("/plan")
    assert "今年的轮椅已发完，明年一月补发。" in plan_page.find(id=f"item-{item.id}").get_text()
    # Marking it twice changes nothing more.
    as_user(client_request, world["people"]["village"])
    client_request.post(target, {"not-delivered-reason": "again"})
    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_only_items_of_an_active_plan_take_deliveries(client_request, world):
    item = world["draft_item"]
    as_user(client_request, world["people"]["village"])
    page = client_request.get(url(item))
    assert "Deliveries can only be recorded for items of an active plan." in page.get_text()
    assert page.find(id="delivery-form") is None
    client_request.post(url(item), six_elements())
    client_request.post(f"/admin/plan-items/{item.id}/not-delivered", {"not-delivered-reason": "x"})
    assert db.session.scalars(select(Delivery)).all() == []
    db.session.refresh(item)
    assert item.status == ItemStatus.PLANNED


@pytest.mark.parametrize(
    ("who", "item_key", "allowed"),
    [
        ("village", "item", True),
        ("township", "item", True),
        ("county", "item", True),
        ("admin", "item", True),
        ("institution", "item", True),
        ("institution", "other_item", False),
        ("other_institution", "item", False),
        ("supervisor", "item", False),
        ("outsider", "item", False),
        ("resident", "item", False),
    ],
)
def test_who_may_record(client_request, world, who, item_key, allowed):
    item = world[item_key]
    as_user(client_request, world["people"][who])
    status = 200 if allowed else 404
    client_request.get(url(item), expected_status=status)
    client_request.post(url(item), six_elements(), expected_status=302 if allowed else 404)
    client_request.post(
        f"/admin/plan-items/{item.id}/not-delivered",
        {"not-delivered-reason": "没有库存"},
        expected_status=302 if allowed else 404,
    )
    recorded = db.session.scalars(select(Delivery)).all()
    assert len(recorded) == (1 if allowed else 0)
    if allowed and who == "institution":
        assert recorded[0].institution_id == world["home"].id
