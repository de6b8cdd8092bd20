from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseEvent, CaseType, ItemStatus, PlanPart, PlanStatus, Role
from portal.services.plans.plans import (
    PlanNotAwaitingAgreementError,
    agree_to_plan,
    plan_changes,
)
from tests.factories import (
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import error_summary, field_error
from tests.plan_factories import (
    create_delivered_plan,
    create_delivery,
    create_plan,
    create_plan_item,
    need_item,
)


@pytest.fixture
def resident_user(client_request):
    user, resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user, resident


def test_a_referred_or_declined_need_says_who_takes_it_on_or_why_not(client_request, resident_user):
    _user, resident = resident_user
    plan = create_plan(resident)
    create_plan_item(
        plan, code="REHAB.VIS.OM", status=ItemStatus.REFERRED, decision_reason="已转介县人社局"
    )
    create_plan_item(plan, status=ItemStatus.DECLINED, decision_reason="本年度不符合条件")
    db.session.commit()
    text = client_request.get("/plan").find("main").get_text(" ", strip=True)
    assert "Passed to another service" in text and "Who takes it on 已转介县人社局" in text
    assert "Not planned this year" in text and "Why it is not planned 本年度不符合条件" in text


def test_no_plan_says_so_plainly(client_request, resident_user):
    page = client_request.get("/plan")
    assert "You have no plan yet" in page.find("main").get_text()
    assert page.find("form", action="/plan/agree") is None


def test_the_plan_shows_parts_items_and_six_elements(client_request, resident_user):
    _user, resident = resident_user
    plan, item, _delivery = create_delivered_plan(
        resident, no_development_reason="年龄较大，暂无就业意愿"
    )
    create_plan_item(
        plan, code="REHAB.VIS.OM", status=ItemStatus.NOT_DELIVERED, not_delivered_reason="名额已满"
    )
    db.session.commit()
    page = client_request.get("/plan")
    text = page.find("main").get_text(" ", strip=True)
    assert str(plan.year) in text
    assert "Waiting for you to agree" in text
    assert item.need_item.name_en in text
    assert "Carried out" in text and "Could not be delivered" in text and "名额已满" in text
    assert "年龄较大，暂无就业意愿" in text  # the written reason there is no development part
    [dl] = page.find_all("dl", class_="delivery")
    terms = [dt.get_text(strip=True) for dt in dl.find_all("dt")]
    assert terms[:6] == [
        "When",
        "Who was responsible",
        "Project",
        "Money or equipment given",
        "What was done",
        "The effect",
    ]
    values = [dd.get_text(" ", strip=True) for dd in dl.find_all("dd")]
    assert "1200.00 yuan" in values[3] and "轮椅" in values[3]
    assert "可以自己出门买菜" in values[5]
    assert page.find("a", href=f"/plan/items/{item.id}/correction")
    assert "Rate this service" in text


def test_plan_changes_lists_added_removed_and_changed_items():
    class Item:
        def __init__(self, need, status, part=PlanPart.ASSISTANCE):
            self.need_item_id, self.status, self.part = need, status, part

    class P:
        def __init__(self, items):
            self.items = items

    kept, changed, gone = Item(1, "planned"), Item(2, "planned"), Item(3, "planned")
    now_kept, now_changed, new = Item(1, "planned"), Item(2, "delivered"), Item(4, "planned")
    changes = plan_changes(P([kept, changed, gone]), P([now_kept, now_changed, new]))
    assert changes.added == [new]
    assert changes.removed == [gone]
    assert changes.changed == [(changed, now_changed)]
    assert not plan_changes(None, P([new]))


def test_the_page_shows_what_changed_since_the_previous_version(client_request, resident_user):
    _user, resident = resident_user
    old = create_plan(resident, is_current=False, status=PlanStatus.CLOSED)
    create_plan_item(old, code="REHAB.VIS.OM")
    create_plan_item(old, code="REHAB.VIS.CATARACT")
    new = create_plan(resident, version=2, previous_version_id=old.id)
    create_plan_item(new, code="REHAB.VIS.OM", status=ItemStatus.DELIVERED)
    create_plan_item(new, code="ACC.TACTILE")
    db.session.commit()
    section = client_request.get("/plan").find(id="changes-heading").parent
    text = section.get_text(" ", strip=True)
    assert f"Added: {need_item('ACC.TACTILE').name_en}" in text
    assert f"Removed: {need_item('REHAB.VIS.CATARACT').name_en}" in text
    assert "was Planned, now Carried out" in text


def test_agreeing_records_who_when_and_how(client_request, resident_user):
    user, resident = resident_user
    plan = create_plan(resident)
    create_plan_item(plan)
    db.session.commit()
    page = client_request.get("/plan")
    assert page.find("form", action="/plan/agree").get("novalidate") is not None
    client_request.post("/plan/agree", {"have_read": "y"})
    assert client_request.response.location == "/plan"
    db.session.refresh(plan)
    assert plan.status == PlanStatus.AWAITING_APPROVAL
    assert plan.agreed_by_id == user.id and plan.agreement_method == "web"
    assert plan.agreed_at is not None
    page = client_request.get("/plan")
    assert page.find(class_="banner", role="alert")
    assert page.find("form", action="/plan/agree") is None


def test_agreeing_without_ticking_the_box_shows_an_error_beside_it(client_request, resident_user):
    _user, resident = resident_user
    plan = create_plan(resident)
    db.session.commit()
    page = client_request.post("/plan/agree", {}, expected_status=200)
    assert page.title.get_text().startswith("Error:")
    assert error_summary(page) == ["Tick the box to say you have read the plan"]
    assert "Tick the box" in field_error(page, "have_read")
    db.session.refresh(plan)
    assert plan.status == PlanStatus.AWAITING_AGREEMENT and plan.agreed_at is None


@pytest.mark.parametrize("status", [PlanStatus.ACTIVE, PlanStatus.AWAITING_APPROVAL])
def test_a_plan_not_awaiting_agreement_cannot_be_agreed(client_request, resident_user, status):
    _user, resident = resident_user
    plan = create_plan(resident, status=status)
    db.session.commit()
    assert client_request.get("/plan").find("form", action="/plan/agree") is None
    client_request.post("/plan/agree", {"have_read": "y"})
    db.session.refresh(plan)
    assert plan.status == status and plan.agreed_at is None
    assert "not waiting for your agreement" in client_request.get("/plan").get_text()


def test_agree_service_refuses_a_plan_in_any_other_state(resident_user):
    user, resident = resident_user
    plan = create_plan(resident, status=PlanStatus.DRAFT)
    from datetime import UTC, datetime

    with pytest.raises(PlanNotAwaitingAgreementError):
        agree_to_plan(db.session, plan, user, now=datetime.now(UTC))


def test_no_current_plan_means_nothing_to_agree_to(client_request, resident_user):
    client_request.post("/plan/agree", {"have_read": "y"}, expected_status=404)


def test_a_guardians_agreement_is_recorded_as_theirs(client_request):
    dependent = create_resident(disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    plan = create_plan(dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get("/plan")
    assert dependent.name in page.find(class_="acting-banner").get_text()
    client_request.post("/plan/agree", {"have_read": "y"})
    db.session.refresh(plan)
    assert plan.agreed_by_id == guardian.id
    assert plan.status == PlanStatus.AWAITING_APPROVAL


def test_this_is_not_right_opens_a_correction_case(client_request, resident_user):
    user, resident = resident_user
    plan = create_plan(resident)
    item = create_plan_item(plan)
    db.session.commit()
    page = client_request.get(f"/plan/items/{item.id}/correction")
    assert item.need_item.name_en in page.find("main").get_text()
    client_request.post(f"/plan/items/{item.id}/correction", {"what_is_wrong": "我已经有轮椅了"})
    case = db.session.scalars(select(Case)).one()
    assert client_request.response.location == f"/cases/{case.id}"
    assert case.type == CaseType.CORRECTION
    assert case.need_item_id == item.need_item_id
    assert case.description == f"{item.need_item.name_en}: 我已经有轮椅了"
    event = db.session.scalars(select(CaseEvent)).one()
    assert event.actor_id == user.id and event.on_behalf_of_id is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Tell us what is not right"),
        ("字" * 1001, "Use 1000 characters or fewer: you have written 1001"),
        ("<script>alert(1)</script>", "Write in plain words"),
        ("🙁🙁", "not only symbols or emoji"),
    ],
)
def test_bad_corrections_get_a_message_and_keep_the_text(
    client_request, resident_user, text, message
):
    _user, resident = resident_user
    item = create_plan_item(create_plan(resident))
    db.session.commit()
    url = f"/plan/items/{item.id}/correction"
    page = client_request.post(url, {"what_is_wrong": text}, expected_status=200)
    assert message in field_error(page, "what_is_wrong")
    assert page.find("textarea", id="what_is_wrong").get_text() == text
    assert db.session.scalar(select(Case)) is None


def test_a_strangers_plan_item_is_not_found(client_request, resident_user):
    _other_user, other = create_resident_user()
    _plan, item, _delivery = create_delivered_plan(other)
    db.session.commit()
    client_request.get(f"/plan/items/{item.id}/correction", expected_status=404)
    client_request.post(
        f"/plan/items/{item.id}/correction", {"what_is_wrong": "x"}, expected_status=404
    )
    assert item.need_item.name_en not in client_request.get("/plan").get_text()


def test_staff_cannot_use_the_plan_pages(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    client_request.get("/plan", expected_status=403)


def test_anonymous_visitors_are_sent_to_sign_in(client_request):
    client_request.get("/plan", expected_status=302)
    assert client_request.response.location.startswith("/sign-in")


def test_deliveries_are_listed_under_their_item(client_request, resident_user):
    _user, resident = resident_user
    _plan, item, _first = create_delivered_plan(resident)
    create_delivery(item, delivered_on=date(date.today().year, 4, 1), project_name="第二次服务")
    db.session.commit()
    page = client_request.get("/plan")
    assert len(page.find(id=f"item-{item.id}").find_all("dl", class_="delivery")) == 2


def test_a_view_only_guardian_can_read_but_not_agree(client_request):
    from portal.models import GuardianScope

    dependent = create_resident()
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent, scope=GuardianScope.VIEW)
    plan = create_plan(dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.get("/plan")
    client_request.post("/plan/agree", {"have_read": "y"}, expected_status=403)
    db.session.refresh(plan)
    assert plan.agreed_at is None


def test_a_new_version_awaiting_agreement_is_shown_and_agreed_while_the_old_one_is_in_force(
    client_request, resident_user
):
    _user, resident = resident_user
    in_force = create_plan(resident, status=PlanStatus.ACTIVE)
    create_plan_item(in_force)
    change = create_plan(
        resident,
        version=2,
        status=PlanStatus.AWAITING_AGREEMENT,
        is_current=False,
        previous_version_id=in_force.id,
    )
    create_plan_item(change)
    create_plan_item(change, code="REHAB.VIS.OM")
    db.session.commit()
    page = client_request.get("/plan")
    text = page.find("main").get_text(" ", strip=True)
    assert "Waiting for you to agree" in text and "Added:" in text
    client_request.post("/plan/agree", {"have_read": "y"})
    db.session.refresh(change)
    db.session.refresh(in_force)
    assert change.status == PlanStatus.AWAITING_APPROVAL and change.agreement_method == "web"
    assert in_force.status == PlanStatus.ACTIVE and in_force.is_current
