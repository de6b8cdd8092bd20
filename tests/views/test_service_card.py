"""The personal service card: who it is for (masked), this year's items, contacts, print CSS."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, ItemStatus, PlanStatus, Role
from tests.factories import create_area, create_guardianship, create_resident_user, create_user
from tests.plan_factories import create_plan, create_plan_item, need_item

CSS = Path(__file__).parents[2] / "portal" / "static" / "wenxu.css"


@pytest.fixture
def world(app):
    village = create_area("511321101201", AreaLevel.VILLAGE)
    elsewhere = create_area("511322101201", AreaLevel.VILLAGE)
    user, resident = create_resident_user(
        village, name="张卡片", phone="+8613900004444", certificate_masked="510104********1236 42"
    )
    plan = create_plan(resident, status=PlanStatus.ACTIVE)
    create_plan_item(plan, code="ACC.WHEELCHAIR", responsible="区残联康复科")
    create_plan_item(plan, status=ItemStatus.DELIVERED, responsible="镇卫生院")
    worker = create_user(
        Role.VILLAGE_WORKER, area_id=village.id, name="李专委", phone="+8613700005555"
    )
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, resident)
    db.session.commit()
    return {
        "resident": resident,
        "user": user,
        "worker": worker,
        "guardian": guardian,
        "outsider": create_user(Role.VILLAGE_WORKER, area_id=elsewhere.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=village.id),
    }


def test_staff_card_shows_the_person_masked_the_plan_and_who_to_call(client_request, world):
    resident = world["resident"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.get(f"/admin/residents/{resident.id}/card")
    text = page.find("main").get_text(" ", strip=True)
    assert "张卡片" in text and "510104********1236 42" in text
    assert "+86 *******4444" in text and "13900004444" not in text
    assert need_item("ACC.WHEELCHAIR").name_en in text and "区残联康复科" in text
    assert "Planned" in text or "planned" in text.lower()
    assert "李专委" in text and page.find("a", href="tel:+8613700005555")
    assert page.find("a", href="tel:12385")
    large = page.find("a", string="Large-text version")
    assert large["href"] == f"/admin/residents/{resident.id}/card?size=large"
    assert page.find("article", class_="service-card--large") is None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service_card.view"))
    assert audit is not None and audit.resident_id == resident.id


def test_large_text_version(client_request, world):
    client_request.login(world["supervisor"])  # read-only staff may print it too
    client_request.set_locale("en")
    url = f"/admin/residents/{world['resident'].id}/card"
    page = client_request.get(f"{url}?size=large")
    assert page.find("article", class_="service-card--large") is not None
    assert page.find("a", string="Normal size")["href"] == url


def test_print_css_hides_the_navigation():
    css = CSS.read_text()
    print_block = css[css.index("@media print") :]
    assert ".site-header" in print_block and ".site-nav" in print_block
    assert "display: none" in print_block
    assert ".service-card--large" in css


def test_outside_staff_get_404(client_request, world):
    client_request.login(world["outsider"])
    client_request.get(f"/admin/residents/{world['resident'].id}/card", expected_status=404)


@pytest.mark.parametrize("who", ["user", "guardian"])
def test_residents_and_guardians_open_their_own_card(client_request, world, who):
    client_request.login(world[who])
    client_request.set_locale("en")
    page = client_request.get("/plan/card")
    assert "张卡片" in page.get_text()
    assert page.find("a", string="Large-text version")["href"] == "/plan/card?size=large"
    client_request.get(f"/admin/residents/{world['resident'].id}/card", expected_status=404)
