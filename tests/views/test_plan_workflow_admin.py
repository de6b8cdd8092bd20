"""/admin/residents/<id>/plan: a plan drafted from needs, agreed, approved; who may act when."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    Institution,
    ItemStatus,
    NeedsAnswer,
    NeedsRecord,
    Notification,
    Plan,
    PlanPart,
    PlanStatus,
    Role,
)
from portal.services.plans import plan_lookup, plan_rules, plan_workflow
from portal.services.plans.plan_rules import PlanAction, PlanActionRefused
from tests.factories import create_area, create_guardianship, create_resident_user, create_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item, need_item

YEAR = datetime.now(UTC).year
ROLES = (
    "village_worker",
    "township_officer",
    "county_staff",
    "supervisor",
    "institution",
    "resident",
    "guardian",
    "other_township_officer",
)


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    other = create_area("511321102000", AreaLevel.TOWNSHIP, parent_id=county.id)
    resident_user, resident = create_resident_user(village, name="张秀英", language="en")
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=village.id)
    db.session.add(home)
    db.session.flush()
    resident.institution_id = home.id
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, resident)
    users = {
        "village_worker": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "township_officer": create_user(Role.TOWNSHIP_OFFICER, area_id=township.id),
        "county_staff": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
        "resident": resident_user,
        "guardian": guardian,
        "other_township_officer": create_user(Role.TOWNSHIP_OFFICER, area_id=other.id),
    }
    items = [need_item("ACC.WHEELCHAIR"), *_other_items(2)]
    record = NeedsRecord(resident_id=resident.id, year=YEAR, surveyed_on=date(YEAR, 1, 10))
    record.answers = [
        NeedsAnswer(need_item_id=items[0].id, needed=True),
        NeedsAnswer(need_item_id=items[1].id, needed=True),
        NeedsAnswer(need_item_id=items[2].id, needed=False),
    ]
    db.session.add(record)
    db.session.commit()
    return {"resident": resident, "users": users, "record": record, "items": items}


def _other_items(count: int):
    from portal.models import NeedItem

    return list(
        db.session.scalars(
            select(NeedItem)
            .where(NeedItem.kind != "status", NeedItem.code != "ACC.WHEELCHAIR")
            .order_by(NeedItem.id)
            .limit(count)
        )
    )


def url(world, tail: str = "") -> str:
    return f"/admin/residents/{world['resident'].id}/plan{tail}"


def login(client_request, world, who: str):
    client_request.login(world["users"][who])
    client_request.set_locale("en")


def answer_id(world, index: int) -> int:
    return world["record"].answers[index].id


def plan_of(world) -> Plan:
    plan = plan_lookup.pending_plan(db.session, world["resident"].id)
    assert plan is not None
    db.session.refresh(plan)
    return plan


def audits(action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


PLANNED = {
    "decision": "planned",
    "part": "assistance",
    "description": "Fit a wheelchair",
    "responsible": "County rehab office",
    "planned_by": f"{YEAR}-06-30",
}


def draft_with_answers(client_request, world) -> Plan:
    """As the village worker: start, plan need 0, decline need 1, no development part."""
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    plan = plan_of(world)
    prefix = f"need-{answer_id(world, 0)}"
    client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 0)}"),
        {f"{prefix}-{key}": value for key, value in PLANNED.items()},
    )
    prefix = f"need-{answer_id(world, 1)}"
    client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 1)}"),
        {
            f"{prefix}-decision": "declined",
            f"{prefix}-part": "assistance",
            f"{prefix}-decision_reason": "Already provided by the township this year",
        },
    )
    client_request.post(
        url(world, f"/{plan.id}/development"),
        {"development-no_development_reason": "Aged 82, not looking for work"},
    )
    return plan_of(world)


def test_a_draft_from_needs_shows_the_share_of_answered_needs_against_the_target(
    client_request, world
):
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    plan = plan_of(world)
    assert (plan.status, plan.version, plan.is_current) == (PlanStatus.DRAFT, 1, True)
    page = client_request.get(url(world))
    coverage = page.find(id="coverage-heading").find_next("p").get_text(" ", strip=True)
    assert "0 of 2 needs have an answer" in coverage and "Below target" in coverage
    assert "The target is 95%" in coverage
    prefix = f"need-{answer_id(world, 0)}"
    client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 0)}"),
        {f"{prefix}-{key}": value for key, value in PLANNED.items()},
    )
    page = client_request.get(url(world))
    coverage = page.find(id="coverage-heading").find_next("p").get_text(" ", strip=True)
    assert "1 of 2 needs have an answer" in coverage and ": 50%" in coverage
    assert "Fit a wheelchair" in page.find(id="part-assistance").parent.get_text()
    assert [
        a.action
        for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if a.action.startswith("plan.") and a.action != "plan.view"
    ] == [
        "plan.create",
        "plan.item_add",
    ]


def test_each_decision_needs_its_fields_and_the_errors_are_shown_with_input_kept(
    client_request, world
):
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    plan = plan_of(world)
    prefix = f"need-{answer_id(world, 1)}"
    page = client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 1)}"),
        {f"{prefix}-decision": "declined", f"{prefix}-part": "assistance"},
        expected_status=400,
    )
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "Write the reason the resident will read" in summary
    page = client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 1)}"),
        {f"{prefix}-decision": "planned", f"{prefix}-description": "Visit monthly"},
        expected_status=400,
    )
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "Write who is responsible" in summary and "Enter the date it is due by" in summary
    assert page.find(id=f"{prefix}-description").get_text() == "Visit monthly"
    page = client_request.post(
        url(world, f"/{plan.id}/needs/{answer_id(world, 1)}"),
        {f"{prefix}-decision": "referred", f"{prefix}-part": "assistance"},
        expected_status=400,
    )
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "Write who is responsible" in summary
    assert "Write the reason the resident will read" in summary
    assert plan_of(world).items == []


def test_an_item_without_a_need_can_be_added_and_removed(client_request, world):
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    plan = plan_of(world)
    extra = world["items"][2]
    client_request.post(
        url(world, f"/{plan.id}/items"),
        {"extra-need_item": str(extra.id), **{f"extra-{k}": v for k, v in PLANNED.items()}},
    )
    [item] = plan_of(world).items
    assert item.needs_answer_id is None and item.need_item_id == extra.id
    client_request.post(url(world, f"/{plan.id}/items/{item.id}/remove"), {})
    assert plan_of(world).items == []
    assert len(audits("plan.item_remove")) == 1


def test_submit_needs_items_and_a_development_part_or_its_reason(client_request, world):
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    plan = plan_of(world)
    page = client_request.post(url(world, f"/{plan.id}/submit"), {}, expected_status=400)
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "Add at least one item" in summary
    assert "write why there is no development part" in summary
    assert plan_of(world).status == PlanStatus.DRAFT


def test_the_whole_way_to_active_with_notice_to_the_resident_and_audit(client_request, world):
    plan = draft_with_answers(client_request, world)
    client_request.post(url(world, f"/{plan.id}/submit"), {})
    plan = plan_of(world)
    assert plan.status == PlanStatus.AWAITING_AGREEMENT
    notices = db.session.scalars(
        select(Notification).where(Notification.template == "plan_awaiting_agreement")
    ).all()
    assert notices and notices[0].resident_id == world["resident"].id
    assert notices[0].params["plan_id"] == plan.id
    page = client_request.post(url(world, f"/{plan.id}/agree-in-person"), {}, expected_status=400)
    assert "Write the name of who witnessed it" in page.find(class_="error-summary").get_text()
    client_request.post(url(world, f"/{plan.id}/agree-in-person"), {"paper-witness": "王村长"})
    plan = plan_of(world)
    assert (plan.status, plan.agreement_method, plan.agreement_witness) == (
        PlanStatus.AWAITING_APPROVAL,
        "paper",
        "王村长",
    )
    login(client_request, world, "township_officer")
    page = client_request.get(url(world))
    assert page.find("button", string="Approve the plan") is not None
    client_request.post(url(world, f"/{plan.id}/approve"), {})
    db.session.refresh(plan)
    assert (plan.status, plan.is_current) == (PlanStatus.ACTIVE, True)
    assert plan.approved_by_id == world["users"]["township_officer"].id
    for action in ("create", "item_add", "submit", "agree_in_person", "approve"):
        assert audits(f"plan.{action}"), action


def test_the_township_returns_a_plan_with_a_reason_the_editor_sees(client_request, world):
    plan = draft_with_answers(client_request, world)
    client_request.post(url(world, f"/{plan.id}/submit"), {})
    client_request.post(url(world, f"/{plan.id}/agree-in-person"), {"paper-witness": "王村长"})
    login(client_request, world, "township_officer")
    page = client_request.post(url(world, f"/{plan.id}/return"), {}, expected_status=400)
    assert "Write why the plan is returned" in page.find(class_="error-summary").get_text()
    client_request.post(url(world, f"/{plan.id}/return"), {"return-reason": "Due date too late"})
    plan = plan_of(world)
    assert (plan.status, plan.agreed_at) == (PlanStatus.DRAFT, None)
    login(client_request, world, "village_worker")
    page = client_request.get(url(world))
    assert "Due date too late" in page.find(string="Returned by the township").find_next("p").text


def test_a_change_to_an_active_plan_is_a_new_version_agreed_and_approved_again(
    client_request, world
):
    resident = world["resident"]
    active = create_plan(resident, year=YEAR, status=PlanStatus.ACTIVE, no_development_reason="x")
    kept = create_plan_item(active, code="ACC.WHEELCHAIR")
    delivery = create_delivery(kept)
    db.session.commit()
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    new = plan_of(world)
    assert (new.version, new.previous_version_id, new.is_current) == (2, active.id, False)
    assert [i.need_item_id for i in new.items] == [kept.need_item_id]
    extra = world["items"][1]
    client_request.post(
        url(world, f"/{new.id}/items"),
        {"extra-need_item": str(extra.id), **{f"extra-{k}": v for k, v in PLANNED.items()}},
    )
    page = client_request.get(url(world))
    changes = page.find(id="changes-heading").find_next("ul").get_text(" ", strip=True)
    assert f"Added: {extra.name_en}" in changes
    client_request.post(url(world, f"/{new.id}/submit"), {})
    # The resident (by SMS or the portal) is asked about the new version, not the one in force.
    assert plan_lookup.plan_awaiting_agreement(db.session, resident.id).id == new.id
    client_request.post(url(world, f"/{new.id}/agree-in-person"), {"paper-witness": "王村长"})
    login(client_request, world, "county_staff")
    client_request.post(url(world, f"/{new.id}/approve"), {})
    db.session.refresh(active)
    db.session.refresh(new)
    db.session.refresh(delivery)
    assert (active.is_current, active.status) == (False, PlanStatus.CLOSED)
    assert (new.is_current, new.status) == (True, PlanStatus.ACTIVE)
    assert delivery.plan_item.plan_id == new.id  # the resident still sees what was delivered
    login(client_request, world, "resident")
    page = client_request.get("/plan")
    assert f"Added: {extra.name_en}" in page.find(id="changes-heading").find_next("ul").text


# --- Who may take each step ------------------------------------------------------------------

STEPS = {
    # step: (state before, who may, url tail, form)
    "start": (None, {"village_worker", "township_officer", "county_staff"}),
    "submit": (PlanStatus.DRAFT, {"village_worker", "township_officer", "county_staff"}),
    "withdraw": (
        PlanStatus.AWAITING_AGREEMENT,
        {"village_worker", "township_officer", "county_staff"},
    ),
    "agree-in-person": (
        PlanStatus.AWAITING_AGREEMENT,
        {"village_worker", "township_officer", "county_staff"},
    ),
    "approve": (PlanStatus.AWAITING_APPROVAL, {"township_officer", "county_staff"}),
    "return": (PlanStatus.AWAITING_APPROVAL, {"township_officer", "county_staff"}),
}
FORMS = {"agree-in-person": {"paper-witness": "王村长"}, "return": {"return-reason": "No"}}
AFTER = {
    "start": PlanStatus.DRAFT,
    "submit": PlanStatus.AWAITING_AGREEMENT,
    "withdraw": PlanStatus.DRAFT,
    "agree-in-person": PlanStatus.AWAITING_APPROVAL,
    "approve": PlanStatus.ACTIVE,
    "return": PlanStatus.DRAFT,
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("who", ROLES)
def test_who_may_take_each_step(client_request, world, step, who):
    before, allowed = STEPS[step]
    resident = world["resident"]
    plan = None
    if before is not None:
        plan = create_plan(resident, status=before, no_development_reason="Aged 82")
        create_plan_item(plan)
        db.session.commit()
    client_request.login(world["users"][who])
    tail = "/start" if plan is None else f"/{plan.id}/{step}"
    expected = 302 if who in allowed else 404
    client_request.post(url(world, tail), FORMS.get(step, {}), expected_status=expected)
    after = plan_lookup.versions(db.session, resident.id)
    if who in allowed:
        assert after[0].status == AFTER[step]
    else:
        assert (after[0].status if after else None) == before
        assert not [a for a in audits_all() if a.action != "plan.view"]


def audits_all() -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action.like("plan.%")).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_open_the_plan_page(client_request, world, who):
    client_request.login(world["users"][who])
    readers = {"village_worker", "township_officer", "county_staff", "supervisor"}
    client_request.get(url(world), expected_status=200 if who in readers else 404)
    if who in readers:
        assert [a.actor_id for a in audits("plan.view")] == [world["users"][who].id]


def test_a_supervisor_sees_the_plan_but_no_steps(client_request, world):
    plan = create_plan(world["resident"], status=PlanStatus.AWAITING_APPROVAL)
    create_plan_item(plan)
    db.session.commit()
    login(client_request, world, "supervisor")
    page = client_request.get(url(world))
    assert page.find(id="steps-heading") is None and page.find("main").find("form") is None


def test_a_step_in_the_wrong_state_changes_nothing(client_request, world):
    plan = create_plan(world["resident"], status=PlanStatus.DRAFT)
    db.session.commit()
    login(client_request, world, "township_officer")
    client_request.post(url(world, f"/{plan.id}/approve"), {})
    page = client_request.get(url(world))
    assert "That step is not possible" in page.find(class_="banner").get_text()
    assert plan_of(world).status == PlanStatus.DRAFT


def test_a_second_draft_is_refused_while_one_is_pending(client_request, world):
    create_plan(world["resident"], status=PlanStatus.AWAITING_AGREEMENT)
    db.session.commit()
    login(client_request, world, "village_worker")
    client_request.post(url(world, "/start"), {})
    count = db.session.scalar(select(func.count()).select_from(Plan))
    assert count == 1


def test_the_workflow_table(app):
    assert plan_rules.check(PlanAction.AGREE, Role.GUARDIAN, PlanStatus.AWAITING_AGREEMENT) == (
        PlanStatus.AWAITING_APPROVAL
    )
    assert plan_rules.check(PlanAction.AGREE, Role.RESIDENT, PlanStatus.AWAITING_AGREEMENT)
    with pytest.raises(PlanActionRefused):
        plan_rules.check(PlanAction.APPROVE, Role.VILLAGE_WORKER, PlanStatus.AWAITING_APPROVAL)
    with pytest.raises(PlanActionRefused):
        plan_rules.check(PlanAction.AGREE, Role.VILLAGE_WORKER, PlanStatus.AWAITING_AGREEMENT)
    for role in (Role.SUPERVISOR, Role.INSTITUTION, Role.RESIDENT, Role.GUARDIAN):
        assert plan_rules.allowed(role, PlanStatus.DRAFT) == frozenset()


def test_an_item_with_deliveries_cannot_be_removed(app, world):
    plan = create_plan(world["resident"], status=PlanStatus.DRAFT)
    item = create_plan_item(plan, part=PlanPart.DEVELOPMENT, status=ItemStatus.DELIVERED)
    create_delivery(item)
    with pytest.raises(PlanActionRefused):
        plan_workflow.remove_item(
            db.session, plan, item, world["users"]["village_worker"], now=datetime.now(UTC)
        )
