"""/admin/sla-policies: each case type's deadlines, edited by administrators."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Role, SlaPolicy
from portal.services.sla.sla import deadlines_for
from tests.factories import create_area, create_case, create_resident, create_user
from tests.html import error_summary, field_error
from tests.reference_rows import kept_reference_rows

SH = ZoneInfo("Asia/Shanghai")
VALID = {
    "ack_amount": "1",
    "ack_unit": "working_days",
    "resolve_amount": "20",
    "resolve_unit": "working_days",
    "max_extensions": "1",
    "extension_amount": "5",
}


@pytest.fixture(autouse=True)
def _keep_policies(app):
    with kept_reference_rows():
        yield


@pytest.fixture
def admin(client_request):
    user = create_user(Role.ADMIN)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user


def policy(case_type: str) -> SlaPolicy:
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case_type))


def audits() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "sla_policy.update")
            .order_by(AuditEvent.id)
        )
    )


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    "role", [Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.SUPERVISOR]
)
def test_only_administrators_may_open_or_change_policies(client_request, role):
    county = create_area("511321000000", AreaLevel.COUNTY)
    user = create_user(role, area_id=county.id)
    db.session.commit()
    client_request.login(user)
    complaint = policy("complaint")
    client_request.get("/admin/sla-policies", expected_status=404)
    client_request.get(f"/admin/sla-policies/{complaint.id}", expected_status=404)
    client_request.post(f"/admin/sla-policies/{complaint.id}", VALID, expected_status=404)
    db.session.refresh(complaint)
    assert complaint.resolve_amount == 15
    assert audits() == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/sla-policies")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_the_table_lists_every_case_type_by_name(client_request, admin):
    page = client_request.get("/admin/sla-policies")
    rows = {r.th.get_text(strip=True): r.get_text(" ", strip=True) for r in page.select("tbody tr")}
    assert len(rows) == 10
    assert "2 hours" in rows["Urgent request"] and "24 hours" in rows["Urgent request"]
    assert "60 calendar days" in rows["Formal petition"]
    assert "1 time, each 30 calendar days" in rows["Formal petition"]
    assert "15 working days" in rows["Complaint"] and "None" in rows["Complaint"]
    assert "1 working day " in rows["Complaint"] + " "
    assert "cases received from now on" in page.get_text()


def test_the_edit_page_is_prefilled_and_explains_when_changes_apply(client_request, admin):
    page = client_request.get(f"/admin/sla-policies/{policy('petition').id}")
    assert page.h1.get_text(strip=True) == "Deadlines for Formal petition"
    assert page.find(id="ack_amount")["value"] == "15"
    assert page.find(id="resolve_unit").find("option", selected=True)["value"] == "days"
    assert page.find(id="max_extensions")["value"] == "1"
    assert page.find(id="extension_amount")["value"] == "30"
    assert "cases received from now on" in page.get_text()


def test_unknown_policy_is_not_found(client_request, admin):
    client_request.get("/admin/sla-policies/999999", expected_status=404)


def test_a_change_applies_to_cases_received_from_now_on(client_request, admin):
    village = create_area()
    resident = create_resident(village)
    earlier = create_case(resident, now=datetime(2026, 11, 24, 2, tzinfo=UTC))
    db.session.commit()
    complaint = policy("complaint")
    client_request.post(f"/admin/sla-policies/{complaint.id}", VALID)
    assert client_request.response.location.endswith("/admin/sla-policies")
    later = create_case(resident, now=datetime(2026, 11, 24, 3, tzinfo=UTC))
    db.session.commit()
    # Received Tuesday 24 Nov 2026: 15 working days end 15 Dec, 20 end 22 Dec.
    assert earlier.resolve_due_at == sh(2026, 12, 15, 17, 30)
    assert later.resolve_due_at == sh(2026, 12, 22, 17, 30)
    deadlines = deadlines_for(db.session, "complaint", sh(2026, 11, 24, 10))
    assert deadlines.resolution.due_at == sh(2026, 12, 22, 17, 30)
    [audit] = audits()
    assert (audit.actor_id, audit.object_id) == (admin.id, complaint.id)
    assert audit.data == {
        "case_type": "complaint",
        "old": {
            "ack_amount": 1,
            "ack_unit": "working_days",
            "resolve_amount": 15,
            "resolve_unit": "working_days",
            "max_extensions": 0,
            "extension_amount": 0,
        },
        "new": {
            "ack_amount": 1,
            "ack_unit": "working_days",
            "resolve_amount": 20,
            "resolve_unit": "working_days",
            "max_extensions": 1,
            "extension_amount": 5,
        },
    }
    page = client_request.get("/admin/sla-policies")
    assert "Saved the deadlines for Complaint" in page.find(class_="banner").get_text()


def test_changing_the_unit_to_hours(client_request, admin):
    client_request.post(
        f"/admin/sla-policies/{policy('consultation').id}",
        {
            **VALID,
            "ack_amount": "4",
            "ack_unit": "hours",
            "max_extensions": "0",
            "extension_amount": "",
        },
    )
    deadlines = deadlines_for(db.session, "consultation", sh(2026, 11, 24, 23, 30))
    assert deadlines.first_response.due_at == sh(2026, 11, 25, 3, 30)
    assert policy("consultation").extension_amount == 0


def test_saving_without_a_change_is_not_audited(client_request, admin):
    client_request.post(
        f"/admin/sla-policies/{policy('complaint').id}",
        {**VALID, "resolve_amount": "15", "max_extensions": "0", "extension_amount": "0"},
    )
    assert audits() == []
    page = client_request.get("/admin/sla-policies")
    assert "Nothing changed" in page.get_text()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ack_amount": ""}, "ack_amount", "from 1 to 999"),
        ({"ack_amount": "0"}, "ack_amount", "from 1 to 999"),
        ({"ack_amount": "1000"}, "ack_amount", "from 1 to 999"),
        ({"ack_amount": "1.5"}, "ack_amount", "from 1 to 999"),
        ({"resolve_amount": "-3"}, "resolve_amount", "from 1 to 999"),
        ({"resolve_amount": "１５"}, "resolve_amount", "from 1 to 999"),  # full-width digits
        ({"ack_unit": "weeks"}, "ack_unit", "Choose hours, working days or calendar days"),
        ({"resolve_unit": ""}, "resolve_unit", "Choose hours, working days or calendar days"),
        ({"max_extensions": "6"}, "max_extensions", "from 0 to 5"),
        ({"max_extensions": ""}, "max_extensions", "from 0 to 5"),
        ({"extension_amount": "0"}, "extension_amount", "extensions are allowed"),
        ({"extension_amount": ""}, "extension_amount", "extensions are allowed"),
        ({"max_extensions": "0", "extension_amount": "abc"}, "extension_amount", "from 0 to 999"),
    ],
)
def test_validation_errors_keep_what_was_typed(client_request, admin, changes, field, message):
    complaint = policy("complaint")
    page = client_request.post(
        f"/admin/sla-policies/{complaint.id}", {**VALID, **changes}, expected_status=200
    )
    assert error_summary(page)
    assert message in field_error(page, field)
    control = page.find(id=field)
    if control.name == "input":
        assert control["value"] == changes[field]
    db.session.refresh(complaint)
    assert (complaint.resolve_amount, complaint.max_extensions) == (15, 0)
    assert audits() == []


def test_pages_in_chinese(client_request, admin):
    client_request.set_locale("zh_CN")
    client_request.get("/admin/sla-policies")
    client_request.get(f"/admin/sla-policies/{policy('need').id}")
