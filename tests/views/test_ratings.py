from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseEvent, CaseType, GivenAs, Rating, Role, Satisfaction
from tests.factories import create_guardianship, create_resident, create_resident_user, create_user
from tests.html import error_summary, field_error
from tests.plan_factories import create_delivered_plan, create_plan

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def resident_user(client_request):
    user, resident = create_resident_user()
    _plan, _item, delivery = create_delivered_plan(resident)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user, resident, delivery


def _url(delivery):
    return f"/plan/deliveries/{delivery.id}/rating"


def _ratings():
    return db.session.scalars(select(Rating)).all()


def _follow_ups():
    return db.session.scalars(select(Case).where(Case.type == CaseType.FOLLOW_UP)).all()


def test_rating_a_delivered_service(client_request, resident_user):
    user, resident, delivery = resident_user
    page = client_request.get(_url(delivery))
    assert page.find("fieldset").find("legend").get_text(strip=True) == "How satisfied are you?"
    labels = [label.get_text(strip=True) for label in page.find_all("label", class_="radio__label")]
    assert labels == ["Satisfied", "Basically satisfied", "Dissatisfied"]
    client_request.post(_url(delivery), {"level": "satisfied", "comment": "很好 👍"})
    assert client_request.response.location == "/plan"
    [rating] = _ratings()
    assert rating.delivery_id == delivery.id and rating.resident_id == resident.id
    assert rating.level == Satisfaction.SATISFIED and rating.comment == "很好 👍"
    assert rating.given_as == GivenAs.RESIDENT and rating.given_by_id == user.id
    assert rating.updated_at is None
    assert not _follow_ups()
    page = client_request.get("/plan")
    dl = page.find("dl", class_="delivery")
    assert "Satisfied" in dl.get_text()
    assert page.find("a", href=_url(delivery)).get_text(strip=True).startswith("Change your rating")


def test_the_change_form_is_filled_with_the_rating(client_request, resident_user):
    _user, _resident, delivery = resident_user
    client_request.post(_url(delivery), {"level": "basic", "comment": "还行"})
    page = client_request.get(_url(delivery))
    assert page.find("input", value="basic").has_attr("checked")
    assert page.find("textarea", id="comment").get_text() == "还行"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"level": "", "comment": "好"}, "level", "Choose how satisfied you are"),
        ({"level": "great", "comment": "好"}, "level", "Choose how satisfied you are"),
        ({"level": "basic", "comment": "字" * 501}, "comment", "500 characters or fewer"),
        ({"level": "basic", "comment": "<i>x</i>"}, "comment", "Write in plain words"),
        ({"level": "basic", "comment": "👍👍"}, "comment", "not only symbols or emoji"),
    ],
)
def test_bad_ratings_get_a_message_and_keep_what_was_typed(
    client_request, resident_user, data, field, message
):
    _user, _resident, delivery = resident_user
    page = client_request.post(_url(delivery), data, expected_status=200)
    assert page.title.get_text().startswith("Error:")
    assert message in field_error(page, field)
    assert page.find("textarea", id="comment").get_text() == data["comment"]
    if data["level"] == "basic":
        assert page.find("input", value="basic").has_attr("checked")
    assert not _ratings()


def test_empty_rating_form_links_to_the_first_radio(client_request, resident_user):
    _user, _resident, delivery = resident_user
    page = client_request.post(_url(delivery), {}, expected_status=200)
    assert error_summary(page) == ["Choose how satisfied you are"]
    assert page.find(class_="error-summary").find("a")["href"] == "#level-0"


def test_dissatisfied_opens_exactly_one_follow_up_case(client_request, resident_user):
    user, resident, delivery = resident_user
    client_request.post(_url(delivery), {"level": "dissatisfied", "comment": "轮椅太重"})
    [case] = _follow_ups()
    assert case.resident_id == resident.id and case.filed_by_id == user.id
    assert case.need_item_id == delivery.plan_item.need_item_id
    assert delivery.plan_item.need_item.name_en in case.description
    assert "轮椅太重" in case.description
    assert case.reference in client_request.get("/plan").get_text()
    # Changing back and forth within the window opens no second case.
    client_request.post(_url(delivery), {"level": "satisfied", "comment": ""})
    client_request.post(_url(delivery), {"level": "dissatisfied", "comment": "还是太重"})
    assert len(_follow_ups()) == 1
    [rating] = _ratings()
    assert rating.level == Satisfaction.DISSATISFIED and rating.updated_at is not None
    # The link between rating and case is a private event the resident does not see.
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.public.is_(False)))
    assert event is not None and event.data == {"rating_id": rating.id}


def test_a_rating_can_be_changed_within_seven_days_only(client_request, resident_user):
    user, _resident, delivery = resident_user
    with time_machine.travel(START, tick=False):
        client_request.login(user)  # the signed session cookie is dated too
        client_request.post(_url(delivery), {"level": "basic", "comment": ""})
    with time_machine.travel(START + timedelta(days=6, hours=23), tick=False):
        client_request.login(user)
        client_request.post(_url(delivery), {"level": "satisfied", "comment": "修好了"})
    [rating] = _ratings()
    assert rating.level == Satisfaction.SATISFIED
    assert rating.updated_at == START + timedelta(days=6, hours=23)
    assert rating.created_at == START
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        client_request.login(user)
        page = client_request.get(_url(delivery))
        assert "can no longer be changed" in page.find("main").get_text()
        assert page.find("main").find("form") is None
        client_request.post(_url(delivery), {"level": "dissatisfied", "comment": "坏了"})
        assert "can no longer be changed" in client_request.get("/plan").get_text()
    db.session.refresh(rating)
    assert rating.level == Satisfaction.SATISFIED and rating.comment == "修好了"
    assert not _follow_ups()


def test_a_guardians_rating_is_given_as_guardian(client_request):
    dependent = create_resident(disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    _plan, _item, delivery = create_delivered_plan(dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get(_url(delivery))
    assert dependent.name in page.find(class_="acting-banner").get_text()
    client_request.post(_url(delivery), {"level": "dissatisfied", "comment": ""})
    [rating] = _ratings()
    assert rating.given_as == GivenAs.GUARDIAN and rating.given_by_id == guardian.id
    assert rating.resident_id == dependent.id
    [case] = _follow_ups()
    assert case.resident_id == dependent.id
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert {event.on_behalf_of_id for event in events} == {dependent.id}


def test_a_strangers_delivery_is_not_found(client_request, resident_user):
    _other_user, other = create_resident_user()
    _plan, _item, delivery = create_delivered_plan(other)
    db.session.commit()
    client_request.get(_url(delivery), expected_status=404)
    client_request.post(_url(delivery), {"level": "satisfied"}, expected_status=404)
    assert not _ratings()


def test_rating_the_whole_plan_once_a_year(client_request, resident_user):
    user, resident, _delivery = resident_user
    page = client_request.get("/plan/rating")
    assert page.find("h1").get_text(strip=True) == "Rate the whole plan"
    client_request.post("/plan/rating", {"level": "basic", "comment": "总体还可以"})
    client_request.post("/plan/rating", {"level": "satisfied", "comment": ""})
    [rating] = _ratings()
    assert rating.plan_id is not None and rating.delivery_id is None
    assert rating.level == Satisfaction.SATISFIED and rating.given_as == GivenAs.RESIDENT
    text = client_request.get("/plan").find(id="plan-rating-heading").parent.get_text()
    assert "Satisfied" in text and "Change your rating of the plan" in text


def test_dissatisfied_with_the_plan_opens_a_follow_up_case(client_request, resident_user):
    _user, _resident, _delivery = resident_user
    client_request.post("/plan/rating", {"level": "dissatisfied", "comment": "很多没落实"})
    [case] = _follow_ups()
    assert "很多没落实" in case.description and str(datetime.now(UTC).year) in case.description
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_no_plan_no_plan_rating(client_request):
    user, _resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.get("/plan/rating", expected_status=404)


def test_a_new_version_of_the_plan_keeps_this_years_rating(client_request, resident_user):
    _user, resident, _delivery = resident_user
    client_request.post("/plan/rating", {"level": "basic", "comment": ""})
    old = db.session.scalars(select(Rating)).one()
    old_plan_id = old.plan_id
    from portal.models import Plan

    db.session.get(Plan, old_plan_id).is_current = False
    db.session.flush()
    create_plan(resident, version=2, previous_version_id=old_plan_id)
    db.session.commit()
    page = client_request.get("/plan/rating")
    assert page.find("input", value="basic").has_attr("checked")


def test_a_view_only_guardian_cannot_rate(client_request):
    from portal.models import GuardianScope

    dependent = create_resident()
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent, scope=GuardianScope.VIEW)
    _plan, _item, delivery = create_delivered_plan(dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.post(_url(delivery), {"level": "satisfied"}, expected_status=403)
    assert not _ratings()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/plan/deliveries/1/rating"),
        ("POST", "/plan/deliveries/1/rating"),
        ("GET", "/plan/rating"),
        ("POST", "/plan/rating"),
        ("GET", "/plan/items/1/correction"),
        ("POST", "/plan/items/1/correction"),
        ("POST", "/plan/agree"),
        ("POST", "/record/correction"),
    ],
)
def test_visitors_are_sent_to_sign_in(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302 and response.location.startswith("/sign-in")
