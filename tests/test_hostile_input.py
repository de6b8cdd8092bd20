"""Input that cannot hurt (#11, point 6): hostile values get a 4xx or an error, never a 5xx.

Control characters are refused beside the field on every form (portal.forms.BaseForm), with a
400 on the webhooks and the Open311 API, and a NUL anywhere in an address is a 400; `next=`
only ever leads to a path on this site; malformed values in the staff forms are field errors.
The property-based test at the end posts hostile values to every form route as the role it
is for, on SQLite and (with TEST_DATABASE_URL) on PostgreSQL, where a NUL used to be a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AreaLevel, Case, Role
from portal.services import api_keys
from portal.views.safety import is_safe_path, safe_next
from tests import hostile_forms
from tests.factories import (
    PASSWORD,
    create_area,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import field_error
from tests.twilio_webhooks import signed_post

CONTROL_ERROR = "Remove the hidden control characters: they can come in when text is pasted"
LINE_ERROR = "Write this on one line, without line breaks"


def _cases():
    return db.session.scalar(select(func.count()).select_from(Case))


# --- control characters in forms: an error beside the field ------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x08", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_text_area_is_an_error_beside_it(client_request, bad):
    user, _ = create_resident_user(language="en")
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    description = f"路口的盲道{bad}被占用了"
    page = client_request.post(
        "/cases/new",
        {"case_type": "complaint", "category": "OTHER", "description": description},
        expected_status=200,
    )
    assert page.title.get_text().startswith("Error:")
    assert field_error(page, "description").endswith(CONTROL_ERROR)
    assert _cases() == 0


def test_line_breaks_and_tabs_are_fine_in_a_text_area(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    page = client_request.get("/cases/new")
    category = page.find(id="category").find_all("option")[-1]["value"]
    client_request.post(
        "/cases/new",
        {"case_type": "complaint", "category": category, "description": "第一行\r\n\t第二行"},
    )
    assert _cases() == 1


def test_a_line_break_in_a_one_line_field_is_an_error_beside_it(client_request):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    page = client_request.post(
        "/sign-in/password", {"phone": "138\n00000001", "password": PASSWORD}, expected_status=200
    )
    assert field_error(page, "phone").endswith(LINE_ERROR)


# --- a NUL in an address, the webhooks, Open311: a 400 that says what was wrong ----------


@pytest.mark.parametrize(
    "url", ["/needs/catalogue?q=%00", "/needs/new?item=a%00", "/sign-in?next=/%00", "/?%00=1"]
)
def test_a_nul_in_an_address_is_a_400_page_naming_it(client_request, url):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get(url, expected_status=400)
    assert page.find("h1").get_text(strip=True) == "Something in the request was wrong"
    assert "contains a NUL character, which is never allowed." in page.find("main").get_text()


@pytest.mark.parametrize(
    ("body", "status"), [("好\x00", 400), ("好\x1b[31m", 400), ("第一行\r\n第二行", 200)]
)
def test_a_webhook_with_a_control_character_is_a_plain_400(client, app, body, status):
    create_resident(phone="+8613912345678")
    db.session.commit()
    params = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+8613912345678",
        "To": "+8610000000000",
        "Body": body,
    }
    response = signed_post(client, "/webhooks/twilio/sms", params)
    assert response.status_code == status
    if status == 400:
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True).startswith("Body contains a ")
        assert _cases() == 0


@pytest.fixture
def open311_key(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    create_resident(village, phone="+8613912345678")
    key = api_keys.create_key(
        db.session, name="12345", area=county, actor_id=None, now=datetime.now(UTC)
    )
    db.session.commit()
    return key.secret


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "盲道\x00被占用"),
        ("description", "盲道\x07被占用"),
        ("address_string", "村委会\x00门口"),
        ("external_id", "A\x00"),
        ("phone\x00", "13912345678"),
    ],
)
def test_open311_refuses_a_control_character_with_a_400_in_its_shape(
    client, open311_key, field, value
):
    data = {
        "api_key": open311_key,
        "service_code": "complaint",
        "description": "路口的盲道被占用了",
        "address_string": "幸福村村委会门口",
        "phone": "13912345678",
        field: value,
    }
    response = client.post(
        "/open311/v2/requests.json", data=data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400
    assert error["description"].startswith(field.replace("\x00", "") + " contains a")
    assert _cases() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/requests/A%00.json",
        "/open311/v2/tokens/%00.json",
        "/open311/v2/requests.json?service_request_id=%00",
        "/open311/v2/requests.json?status=open%1b",
    ],
)
def test_open311_refuses_control_characters_in_the_address(client, open311_key, url):
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}api_key={open311_key}")
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


# --- next= ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/", "/cases/new", "/admin/cases/7#history", "/needs/catalogue?q=%E7%9B%B2", "/a:b"],
)
def test_a_path_on_this_site_is_a_safe_next(target):
    assert is_safe_path(target)


@pytest.mark.parametrize(
    "target",
    [
        "",
        "cases/new",  # relative to whatever page it is on
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",  # browsers drop tabs and line breaks: //evil.example
        "/\r\n/evil.example",
        "/cases\r\nSet-Cookie: a=b",
        "/cases\n",
        "/cases\x00",
        "/cases\x0b",
        "/ cases",
        "/cases\u2028",
        "/" + "a" * 3000,
    ],
)
def test_anything_else_is_not(app, target):
    assert not is_safe_path(target)
    with app.test_request_context():
        assert safe_next(target) == "/"
        assert safe_next(target, default="/admin/") == "/admin/"


@pytest.mark.parametrize(("role", "home"), [(Role.RESIDENT, "/"), (Role.VILLAGE_WORKER, "/admin/")])
@pytest.mark.parametrize("bad", ["/cases\r\nX-Injected: 1", "//evil.example", "/\\evil.example"])
def test_a_bad_next_after_signing_in_lands_on_the_home_page(client, role, home, bad):
    if role is Role.RESIDENT:
        create_resident_user(phone="+8613800000001")
    else:
        create_user(role, phone="+8613800000001")
    db.session.commit()
    response = client.post(
        "/sign-in/password",
        query_string={"next": bad},
        data={"phone": "13800000001", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == home
    assert "X-Injected" not in response.headers


def test_a_good_next_is_still_followed(client):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    response = client.post(
        "/sign-in/password?next=/cases/new", data={"phone": "13800000001", "password": PASSWORD}
    )
    assert response.location == "/cases/new"


# --- malformed values in the staff forms: errors beside the fields, never a 500 ----------

NOT_NUMBERS = ["abc", "²", "١٢", "9" * 5000, "-1", " "]


@pytest.fixture
def world(app):
    return hostile_forms.build_world()


def _as(client_request, world, role="admin"):
    client_request.login(world.users[role])
    client_request.set_locale("en")


def _plan_url(world, tail: str) -> str:
    return f"/admin/residents/{world.ids['resident_id']}/plan/{world.ids['plan_id']}/{tail}"


@pytest.mark.parametrize("institution", NOT_NUMBERS)
def test_a_plan_item_with_an_institution_not_on_the_list_is_an_error_beside_it(
    client_request, world, institution
):
    _as(client_request, world)
    page = client_request.post(
        _plan_url(world, "items"),
        {
            "extra-need_item": str(hostile_forms.need_item_id()),
            "extra-decision": "planned",
            "extra-part": "assistance",
            "extra-description": "上门康复训练",
            "extra-responsible": "区残联",
            "extra-institution": institution,
            "extra-planned_by": "2026-06-30",
        },
        expected_status=400,
    )
    assert field_error(page, "extra-institution").endswith("Choose an institution from the list")


@pytest.mark.parametrize("need_item", NOT_NUMBERS)
def test_a_plan_item_with_a_service_not_in_the_catalogue_is_an_error_beside_it(
    client_request, world, need_item
):
    _as(client_request, world)
    page = client_request.post(
        _plan_url(world, "items"),
        {"extra-need_item": need_item, "extra-decision": "declined", "extra-part": "assistance"},
        expected_status=400,
    )
    assert "Choose a service from the catalogue" in field_error(page, "extra-need_item")


@pytest.mark.parametrize("part", ["2026-13-01", "\x00", "健康"])
def test_an_answer_in_no_part_of_the_plan_is_an_error_beside_it(client_request, world, part):
    _as(client_request, world)
    answer = world.ids["answer_id"]
    page = client_request.post(
        _plan_url(world, f"needs/{answer}"),
        {f"need-{answer}-decision": "planned", f"need-{answer}-part": part},
        expected_status=400,
    )
    assert field_error(page, f"need-{answer}-part")
    assert "Write what will be done" in field_error(page, f"need-{answer}-description")


@pytest.mark.parametrize("amount", NOT_NUMBERS)
def test_a_deadline_that_is_not_a_small_whole_number_is_an_error_beside_it(
    client_request, world, amount
):
    _as(client_request, world)
    page = client_request.post(
        f"/admin/sla-policies/{world.ids['policy_id']}",
        {"ack_amount": amount, "ack_unit": "working_days", "resolve_amount": "15"},
        expected_status=200,
    )
    assert "Enter a whole number from 1 to 999" in field_error(page, "ack_amount")


@pytest.mark.parametrize("area", NOT_NUMBERS)
def test_an_api_key_for_an_area_not_on_the_list_is_an_error_beside_it(client_request, world, area):
    _as(client_request, world)
    page = client_request.post(
        "/admin/api-keys/new", {"name": "12345 热线", "area": area}, expected_status=200
    )
    assert "Choose the area" in field_error(page, "area")


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize(
    "query",
    [
        "/admin/?area={}",
        "/admin/?after=~{}",
        "/admin/residents?page={}",
        "/admin/staff?page={}",
        "/admin/audit?before={}",
        "/admin/audit?actor={}",
    ],
)
def test_filters_and_pages_ignore_or_refuse_numbers_that_are_not(
    client_request, world, query, value
):
    _as(client_request, world)
    client_request.get(query.format(value))
