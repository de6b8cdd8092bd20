from datetime import UTC, date, datetime

from portal.extensions import db
from portal.models import (
    CaseStatus,
    Delivery,
    ItemStatus,
    NeedItem,
    Plan,
    PlanItem,
    PlanPart,
    PlanStatus,
    Rating,
    Satisfaction,
)
from tests.factories import create_case, create_resident_user


def _plan(resident, status=PlanStatus.ACTIVE):
    item = db.session.query(NeedItem).filter(NeedItem.kind != "status").first()
    plan = Plan(resident_id=resident.id, year=2026, status=status, is_current=True)
    plan.items = [
        PlanItem(part=PlanPart.ASSISTANCE, need_item_id=item.id, status=ItemStatus.DELIVERED),
        PlanItem(part=PlanPart.ASSISTANCE, need_item_id=item.id, status=ItemStatus.PLANNED),
        PlanItem(
            part=PlanPart.DEVELOPMENT,
            need_item_id=item.id,
            status=ItemStatus.NOT_DELIVERED,
            not_delivered_reason="名额已满",
        ),
    ]
    db.session.add(plan)
    db.session.flush()
    delivery = Delivery(
        plan_item_id=plan.items[0].id,
        delivered_on=date(2026, 5, 1),
        responsible="县残联",
        project_name="辅具适配",
        measures="上门适配",
        effect="能独立出行",
    )
    db.session.add(delivery)
    db.session.flush()
    return plan, delivery


def test_home_puts_what_needs_the_resident_first(client_request):
    user, resident = create_resident_user()
    plan, delivery = _plan(resident, PlanStatus.AWAITING_AGREEMENT)
    waiting = create_case(resident)
    waiting.status = CaseStatus.WAITING
    resolved = create_case(resident)
    resolved.status = CaseStatus.RESOLVED
    open_case = create_case(resident)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get("/")
    headings = [h.get_text(strip=True) for h in page.select("main h2")]
    assert headings == [
        "Needs your attention",
        "Your open requests",
        "Your plan",
        "Latest messages",
    ]
    attention = page.find(id="attention-heading").find_parent("section").get_text(" ", strip=True)
    assert "Your plan for 2026 is ready" in attention
    assert waiting.reference in attention and resolved.reference in attention
    assert "How was this service" in attention
    assert "has 3 services" in page.get_text(" ")
    assert "1 delivered, 1 could not be delivered" in page.get_text(" ")
    open_cards = page.find("h2", string="Your open requests").find_next("ul").get_text(" ")
    assert open_case.reference in open_cards and resolved.reference not in open_cards
    messages = page.find("h2", string="Latest messages").find_next("ul").select("li")
    assert len(messages) == 3  # the three most recent acknowledgements


def test_a_rated_service_no_longer_asks_for_a_rating(client_request):
    user, resident = create_resident_user()
    plan, delivery = _plan(resident)
    db.session.add(
        Rating(
            resident_id=resident.id,
            delivery_id=delivery.id,
            level=Satisfaction.SATISFIED,
            given_as="resident",
            given_by_id=user.id,
            created_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get("/")
    assert "How was this service" not in page.get_text()
    assert page.find(id="attention-heading") is None


def test_nothing_to_do_says_so(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    text = client_request.get("/").get_text(" ")
    assert "You have no open requests." in text
    assert "You have no plan for this year yet" in text
    assert "No messages yet." in text


def test_a_guardian_without_dependents_is_told_so(client_request):
    from portal.models import Role
    from tests.factories import create_user

    guardian = create_user(Role.GUARDIAN)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get("/")
    assert "You are not acting for anyone" in page.get_text()
