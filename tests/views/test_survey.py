"""The yearly home visit: staff record both forms and an in-person confirmation; the resident
confirms in the portal; a change after confirmation must be confirmed again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    BasicStatusRecord,
    NeedsRecord,
    Role,
)
from tests.factories import create_area, create_guardianship, create_resident_user, create_user
from tests.plan_factories import need_item

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
YEAR = TODAY.year


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    user, resident = create_resident_user(village, name="王小明")
    staff = {
        role.value: create_user(
            role, area_id=(village if role == Role.VILLAGE_WORKER else county).id
        )
        for role in (
            Role.VILLAGE_WORKER,
            Role.TOWNSHIP_OFFICER,
            Role.COUNTY_STAFF,
            Role.SUPERVISOR,
        )
    }
    staff["outsider"] = create_user(Role.COUNTY_STAFF, area_id=elsewhere.id)
    staff["institution"] = create_user(Role.INSTITUTION)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, resident)
    db.session.commit()
    return {"resident": resident, "user": user, "staff": staff, "guardian": guardian}


def url(world) -> str:
    return f"/admin/residents/{world['resident'].id}/survey/{YEAR}"


def form_data(world, **changes) -> dict[str, str]:
    wheelchair = need_item("ACC.WHEELCHAIR").id
    data = {
        "survey-surveyed_on": TODAY.isoformat(),
        "survey-surveyed_by": str(world["staff"]["village_worker"].id),
        "survey-living_arrangement": "alone",
        "survey-income_support": "y",
        "survey-status_edu_level": "primary",
        "survey-status_edu_literacy": "y",
        f"survey-need_{wheelchair}": "y",
        f"survey-note_{wheelchair}": "轮椅坏了",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def login(client_request, user):
    client_request.login(user)
    client_request.set_locale("en")


def records(world):
    rid = world["resident"].id
    db.session.expire_all()
    status = db.session.scalar(
        select(BasicStatusRecord).where(BasicStatusRecord.resident_id == rid)
    )
    needs = db.session.scalar(select(NeedsRecord).where(NeedsRecord.resident_id == rid))
    return status, needs


def audits(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("role", ["village_worker", "township_officer", "county_staff"])
def test_recorders_save_both_forms_and_it_is_audited(client_request, world, role):
    login(client_request, world["staff"][role])
    page = client_request.get(url(world))
    assert page.find("form", id="survey-form") is not None
    assert audits("survey.view")
    client_request.post(url(world), form_data(world))
    status, needs = records(world)
    assert status.living_arrangement == "alone" and status.income_support
    assert status.answers["EDU.LEVEL"] == "primary" and status.answers["EDU.LITERACY"] is True
    assert status.surveyed_by_id == needs.surveyed_by_id == world["staff"]["village_worker"].id
    [answer] = needs.answers
    assert (answer.need_item.code, answer.needed, answer.note) == (
        "ACC.WHEELCHAIR",
        True,
        "轮椅坏了",
    )
    [audit] = audits("survey.save")
    assert (audit.actor_id, audit.resident_id) == (world["staff"][role].id, world["resident"].id)
    page = client_request.get(url(world))
    assert page.find(class_="banner").get_text(strip=True) == "Saved."
    box = page.find("input", id=f"survey-need_{answer.need_item_id}")
    assert box.has_attr("checked")


@pytest.mark.parametrize("role", ["supervisor", "institution", "outsider"])
def test_others_may_not_save(client_request, world, role):
    login(client_request, world["staff"][role])
    client_request.post(url(world), form_data(world), expected_status=404)
    assert records(world) == (None, None)
    assert audits("survey.save") == []


def test_supervisors_read_without_a_form_and_institutions_get_404(client_request, world):
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))
    login(client_request, world["staff"]["supervisor"])
    page = client_request.get(url(world))
    assert page.find("form", id="survey-form") is None
    text = page.find("main").get_text(" ", strip=True)
    assert "Lives alone" in text and "Needed 轮椅坏了" in text
    login(client_request, world["staff"]["institution"])
    client_request.get(url(world), expected_status=404)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            # Two days ahead: parameters are made at collection, and a run that passes local
            # midnight before this test would make "tomorrow" today (CI at 16:00 UTC).
            {"survey-surveyed_on": (TODAY + timedelta(days=2)).isoformat()},
            "survey-surveyed_on",
            "The date of the visit cannot be in the future",
        ),
        (
            {"survey-surveyed_on": "1.2.3"},
            "survey-surveyed_on",
            "Write the date as year-month-day, like 2026-11-24",
        ),
        (
            {"survey-living_arrangement": None},
            "survey-living_arrangement",
            "Choose who they live with",
        ),
        ({"survey-surveyed_by": "999999"}, "survey-surveyed_by", "Choose who visited"),
    ],
)
def test_invalid_forms_keep_the_input_and_say_why(client_request, world, changes, field, message):
    login(client_request, world["staff"]["village_worker"])
    page = client_request.post(url(world), form_data(world, **changes), expected_status=400)
    assert page.find(id=f"{field}-error").get_text(" ", strip=True).endswith(message)
    assert page.title.get_text(strip=True).startswith("Error: ")
    wheelchair = need_item("ACC.WHEELCHAIR").id
    assert page.find("input", id=f"survey-need_{wheelchair}").has_attr("checked")
    assert page.find("input", id=f"survey-note_{wheelchair}")["value"] == "轮椅坏了"
    assert records(world) == (None, None)


def test_a_visit_in_another_year_is_refused(client_request, world):
    login(client_request, world["staff"]["village_worker"])
    last_year = date(YEAR - 1, 6, 1).isoformat()
    page = client_request.post(
        url(world), form_data(world, **{"survey-surveyed_on": last_year}), expected_status=400
    )
    assert page.find(id="survey-surveyed_on-error") is not None
    client_request.get(
        f"/admin/residents/{world['resident'].id}/survey/{YEAR + 1}", expected_status=404
    )


def test_in_person_confirmation_with_a_witness(client_request, world):
    staff = world["staff"]["township_officer"]
    login(client_request, staff)
    client_request.post(url(world), form_data(world))
    page = client_request.post(url(world) + "/confirmation", {}, expected_status=400)
    assert page.find(id="confirm-witness-error") is not None
    client_request.post(url(world) + "/confirmation", {"confirm-witness": "王大姐"})
    _status, needs = records(world)
    assert needs.confirmation_method == "in_person"
    assert (needs.confirmation_witness, needs.confirmed_by_id) == ("王大姐", staff.id)
    [audit] = audits("survey.confirm")
    assert audit.data["method"] == "in_person" and audit.actor_id == staff.id
    text = client_request.get(f"/admin/residents/{world['resident'].id}").get_text(" ", strip=True)
    assert "Witness: 王大姐" in text


def test_supervisors_may_not_record_a_confirmation(client_request, world):
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))
    login(client_request, world["staff"]["supervisor"])
    client_request.post(
        url(world) + "/confirmation", {"confirm-witness": "某人"}, expected_status=404
    )
    assert records(world)[1].confirmed_at is None


@pytest.mark.parametrize("who", ["user", "guardian"])
def test_the_resident_or_guardian_confirms_in_the_portal(client_request, world, who):
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))
    login(client_request, world[who])
    page = client_request.get("/record")
    assert page.find("form", id="confirm-form") is not None
    client_request.post("/record/confirm", {})
    _status, needs = records(world)
    assert (needs.confirmation_method, needs.confirmed_by_id) == ("portal", world[who].id)
    [audit] = audits("survey.confirm")
    expected = world["resident"].id if who == "guardian" else None
    assert audit.on_behalf_of_id == expected
    page = client_request.get("/record")
    assert page.find("form", id="confirm-form") is None
    assert "Confirmed on this website" in page.get_text()


def test_a_view_only_guardian_cannot_confirm(client_request, world):
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))
    grant = world["guardian"]
    from portal.models import GuardianScope, Guardianship

    db.session.scalar(
        select(Guardianship).where(Guardianship.guardian_user_id == grant.id)
    ).scope = GuardianScope.VIEW
    db.session.commit()
    login(client_request, grant)
    client_request.post("/record/confirm", {}, expected_status=403)
    assert records(world)[1].confirmed_at is None


def test_nothing_to_confirm_without_a_visit(client_request, world):
    login(client_request, world["user"])
    assert client_request.get("/record").find("form", id="confirm-form") is None
    client_request.post("/record/confirm", {}, expected_status=404)


def test_a_change_after_confirmation_needs_confirming_again(client_request, world):
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))
    login(client_request, world["user"])
    client_request.post("/record/confirm", {})
    login(client_request, world["staff"]["village_worker"])
    client_request.post(url(world), form_data(world))  # the same answers: still confirmed
    assert records(world)[1].confirmed_at is not None
    client_request.post(url(world), form_data(world, **{"survey-employed": "y"}))
    _status, needs = records(world)
    assert needs.confirmed_at is None and needs.confirmation_method is None
    page = client_request.get(url(world))
    banners = [banner.get_text(strip=True) for banner in page.find_all(class_="banner")]
    assert "Nothing was changed." in banners
    assert "Saved. The record changed, so the resident must confirm it again." in banners
    assert audits("survey.save")[-1].data["unconfirmed"] is True
