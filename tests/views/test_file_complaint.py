from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Case,
    CaseEvent,
    CaseType,
    EventKind,
    Notification,
    NotificationStatus,
    Role,
)
from tests.factories import create_area, create_resident_user, create_user
from tests.html import field_error

VALID = {"case_type": "complaint", "category": "ACCESS.HOME", "description": "路口的盲道被占用了"}


@pytest.fixture
def resident_user(client_request):
    user, resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    return user, resident


def _category_code():
    from portal.models import NeedItem

    return db.session.scalar(select(NeedItem.code).where(NeedItem.kind != "status").limit(1))


def test_the_form_asks_type_category_description(client_request, resident_user):
    page = client_request.get("/cases/new")
    assert page.find("fieldset").find("legend")
    assert page.find("select", id="category").find("optgroup")
    assert page.find("textarea", id="description")
    assert page.find(id="case_type-0")["checked"] is not None


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_filing_a_complaint_commits_case_event_and_acknowledgement(
    client_request, resident_user, locale
):
    user, resident = resident_user
    client_request.set_locale(locale)
    data = dict(VALID, category=_category_code(), description="Blocked tactile paving 🙁 路口")
    client_request.post("/cases/new", data)
    case = db.session.scalars(select(Case)).one()
    assert client_request.response.location == f"/cases/{case.id}"
    assert case.type == CaseType.COMPLAINT
    assert case.description == "Blocked tactile paving 🙁 路口"
    assert case.language == locale
    assert (
        case.first_response_due_at is not None and case.resolve_due_at > case.first_response_due_at
    )
    [event] = db.session.scalars(select(CaseEvent)).all()
    assert event.kind == EventKind.CREATED and event.actor_id == user.id
    [message] = db.session.scalars(select(Notification)).all()
    # Inline job path (no Redis): delivered by the console provider right after commit.
    assert message.status == NotificationStatus.DELIVERED  # with the simulated receipt
    assert message.provider == "console"
    assert case.reference in message.body
    page = client_request.get(f"/cases/{case.id}")
    assert case.reference in page.find("h1").get_text()
    assert page.find(class_="banner", role="alert")


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Describe what happened"),
        ("   ", "Describe what happened"),
        ("字" * 5000, "Use 2000 characters or fewer: you have written 5000"),
        ("<script>alert(1)</script>", "Write in plain words"),
        ("<b>bold</b> words", "Write in plain words"),
        ("🙁🙁🙁", "not only symbols or emoji"),
    ],
)
def test_bad_descriptions_get_a_message_beside_the_field_and_keep_the_text(
    client_request, resident_user, description, message
):
    client_request.set_locale("en")
    data = dict(VALID, category=_category_code(), description=description)
    page = client_request.post("/cases/new", data, expected_status=200)
    assert message in field_error(page, "description")
    assert page.find("textarea", id="description").get_text() == description.strip()
    assert page.find(id="category").find("option", selected=True)["value"] == data["category"]
    assert db.session.scalar(select(Case)) is None


def test_html_is_shown_as_text_never_markup(client_request, resident_user):
    data = dict(VALID, category=_category_code(), description="<img src=x onerror=alert(1)>")
    client_request.set_locale("en")
    page = client_request.post("/cases/new", data, expected_status=200)
    assert page.find("img") is None


def test_empty_form_lists_every_problem_in_chinese(client_request, resident_user):
    page = client_request.post(
        "/cases/new", {"case_type": "", "category": "", "description": ""}, expected_status=200
    )
    assert page.title.get_text().startswith("错误：")
    links = [a["href"] for a in page.find(class_="error-summary").find_all("a")]
    assert links == ["#case_type-0", "#category", "#description"]
    for href in links:
        assert page.find(id=href[1:]) is not None


def test_unknown_category_is_refused(client_request, resident_user):
    client_request.set_locale("en")
    page = client_request.post("/cases/new", dict(VALID, category="NOPE"), expected_status=200)
    assert field_error(page, "category")


def test_staff_cannot_use_the_resident_form(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    client_request.get("/cases/new", expected_status=403)


def test_anonymous_visitors_are_sent_to_sign_in(client_request):
    client_request.get("/cases/new", expected_status=302)
    assert client_request.response.location.startswith("/sign-in")


def test_a_resident_cannot_see_someone_elses_case(client_request, resident_user):
    other_user, other = create_resident_user()
    from tests.factories import create_case

    case = create_case(other)
    db.session.commit()
    client_request.get(f"/cases/{case.id}", expected_status=404)


def test_deadline_counts_working_days_from_the_calendar(client_request, resident_user):
    with time_machine.travel(datetime(2025, 9, 26, 10, 0, tzinfo=UTC), tick=False):
        client_request.login(resident_user[0])  # the signed session cookie is dated too
        client_request.post("/cases/new", dict(VALID, category=_category_code()))
    case = db.session.scalars(select(Case)).one()
    # Friday 26 Sep 2025: the next working day is Sunday 28 Sep (a make-up working day).
    assert case.first_response_due_at == datetime(2025, 9, 28, 9, 30, tzinfo=UTC)


def test_guardian_files_for_their_dependent(client_request):
    from tests.factories import create_guardianship, create_resident

    area = create_area()
    dependent = create_resident(area, disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    page = client_request.get("/cases/new")
    assert dependent.name in page.find(class_="acting-banner").get_text()
    client_request.post("/cases/new", dict(VALID, category=_category_code()))
    case = db.session.scalars(select(Case)).one()
    assert case.resident_id == dependent.id
    event = db.session.scalars(select(CaseEvent)).one()
    assert event.actor_id == guardian.id and event.on_behalf_of_id == dependent.id
