from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    BasicStatusRecord,
    Case,
    CaseEvent,
    CaseType,
    NeedsAnswer,
    NeedsRecord,
    Role,
    User,
)
from portal.services.people.identifiers import check_character
from portal.services.people.residents import register_resident
from tests.factories import create_area, create_guardianship, create_resident_user, create_user
from tests.html import error_summary, field_error
from tests.plan_factories import need_item

FIRST17 = "51010419800101123"
ID_NUMBER = FIRST17 + check_character(FIRST17)
CERTIFICATE = ID_NUMBER + "42"


@pytest.fixture
def registered(client_request):
    """A resident registered through the real service, so the identifiers are encrypted."""
    resident = register_resident(
        db.session,
        name="王小明",
        area=create_area(name_en="Xingfu Village"),
        disability_category=4,
        certificate_number=CERTIFICATE,
        phone="13800000001",
        today=date.today(),
    )
    user = User(phone=resident.phone, name=resident.name, role=Role.RESIDENT)
    user.resident_id = resident.id
    db.session.add(user)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user, resident


def test_the_record_shows_masked_identifiers_and_never_the_full_numbers(client_request, registered):
    _user, resident = registered
    page = client_request.get("/record")
    html = client_request.response.get_data(as_text=True)
    assert ID_NUMBER not in html and CERTIFICATE not in html
    assert "13800000001" not in html
    text = page.find("main").get_text(" ", strip=True)
    assert resident.id_number_masked in text
    assert resident.certificate_masked in text
    assert "0001" in text and "*" in text
    assert "王小明" in text
    assert "Physical" in text and "Level 2" in text
    assert "Xingfu Village" in text
    assert "No visit recorded this year." in text


def test_an_ungraded_resident_reads_not_graded(client_request):
    user, _resident = create_resident_user(disability_level=None)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    text = client_request.get("/record").find("main").get_text(" ", strip=True)
    assert "Not graded" in text
    assert "No certificate recorded" in text


def test_this_years_visit_answers_in_plain_words(client_request, registered):
    _user, resident = registered
    year = datetime.now(UTC).year
    db.session.add(
        BasicStatusRecord(
            resident_id=resident.id,
            year=year,
            surveyed_on=date(year, 1, 10),
            living_arrangement="alone",
            income_support=True,
            answers={"EDU.LITERACY": False, "EDU.LEVEL": "primary"},
        )
    )
    needs = NeedsRecord(resident_id=resident.id, year=year, surveyed_on=date(year, 1, 10))
    needs.answers = [
        NeedsAnswer(need_item_id=need_item("ACC.TACTILE").id, needed=True, note="门口没有盲道"),
        NeedsAnswer(need_item_id=need_item("REHAB.VIS.OM").id, needed=False),
    ]
    db.session.add(needs)
    db.session.commit()
    page = client_request.get("/record")
    rows = {
        row.find("dt").get_text(strip=True): row.find("dd").get_text(" ", strip=True)
        for row in page.find_all(class_="summary__row")
    }
    assert rows["Who you live with"] == "Lives alone"
    assert rows["Minimum living allowance (dibao)"] == "Yes"
    assert rows["In work"] == "No"
    assert rows[need_item("EDU.LITERACY").name_en] == "No"
    assert rows[need_item("EDU.LEVEL").name_en] == "Primary school"
    assert rows[need_item("ACC.TACTILE").name_en] == "Needed 门口没有盲道"
    assert rows[need_item("REHAB.VIS.OM").name_en] == "Not needed"
    assert "No visit recorded" not in page.get_text()


def test_last_years_visit_is_not_this_years(client_request, registered):
    _user, resident = registered
    year = datetime.now(UTC).year - 1
    db.session.add(
        BasicStatusRecord(resident_id=resident.id, year=year, surveyed_on=date(year, 1, 10))
    )
    db.session.commit()
    assert "No visit recorded this year." in client_request.get("/record").get_text()


def test_report_an_error_opens_a_correction_case(client_request, registered):
    user, resident = registered
    page = client_request.get("/record/correction")
    assert page.find("fieldset").find("legend")
    client_request.post("/record/correction", {"part": "disability", "what_is_wrong": "应为三级"})
    case = db.session.scalars(select(Case)).one()
    assert client_request.response.location == f"/cases/{case.id}"
    assert case.type == CaseType.CORRECTION and case.resident_id == resident.id
    assert case.description == "My disability category or level: 应为三级"
    event = db.session.scalars(select(CaseEvent)).one()
    assert event.actor_id == user.id


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"part": "", "what_is_wrong": "应为三级"}, "part", "Choose which part is wrong"),
        ({"part": "nope", "what_is_wrong": "应为三级"}, "part", "Choose which part is wrong"),
        ({"part": "visit", "what_is_wrong": ""}, "what_is_wrong", "Tell us what is wrong"),
        ({"part": "visit", "what_is_wrong": "字" * 1001}, "what_is_wrong", "1000 characters"),
        ({"part": "visit", "what_is_wrong": "<b>x</b>"}, "what_is_wrong", "Write in plain words"),
        ({"part": "visit", "what_is_wrong": "🙁"}, "what_is_wrong", "not only symbols or emoji"),
    ],
)
def test_bad_reports_get_a_message_and_keep_what_was_typed(
    client_request, registered, data, field, message
):
    page = client_request.post("/record/correction", data, expected_status=200)
    assert page.title.get_text().startswith("Error:")
    assert message in field_error(page, field)
    assert page.find("textarea", id="what_is_wrong").get_text() == data["what_is_wrong"]
    if data["part"] == "visit":
        assert page.find("input", value="visit").has_attr("checked")
    assert db.session.scalar(select(Case)) is None


def test_empty_report_lists_both_problems(client_request, registered):
    page = client_request.post("/record/correction", {}, expected_status=200)
    assert error_summary(page) == ["Choose which part is wrong", "Tell us what is wrong"]
    assert [a["href"] for a in page.find(class_="error-summary").find_all("a")] == [
        "#part-0",
        "#what_is_wrong",
    ]


def test_a_guardian_sees_and_corrects_their_dependents_record(client_request):
    _dependent_user, dependent = create_resident_user(name="李小红")
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get("/record")
    assert "李小红" in page.find(class_="acting-banner").get_text()
    client_request.post("/record/correction", {"part": "other", "what_is_wrong": "地址错了"})
    case = db.session.scalars(select(Case)).one()
    assert case.resident_id == dependent.id
    event = db.session.scalars(select(CaseEvent)).one()
    assert event.actor_id == guardian.id and event.on_behalf_of_id == dependent.id


def test_visitors_are_sent_to_sign_in(client_request):
    client_request.get("/record", expected_status=302)
    assert client_request.response.location.startswith("/sign-in")


def test_staff_cannot_see_the_record_pages(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    client_request.get("/record", expected_status=403)
    client_request.get("/record/correction", expected_status=403)
