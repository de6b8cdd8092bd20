"""Input that cannot hurt (#11, point 6): hostile values get a 4xx or an error, never a 5xx.

Control characters are refused beside the field on every form (portal.forms.BaseForm), with a
400 on the webhooks and the Open311 API, and a NUL anywhere in an address is a 400; `next=`
only ever leads to a path on this site; malformed values in the staff forms are field errors.
The property-based test at the end posts hostile values to every form route as the role it
is for, on SQLite and (with TEST_DATABASE_URL) on PostgreSQL, where a NUL used to be a 500.
"""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from portal.extensions import db, limiter
from portal.models import AreaLevel, Case, Role
from portal.services.accounts import api_keys
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
    client.set_cookie("wenxu_lang", "en")
    response = signed_post(client, "/webhooks/twilio/sms", params)
    assert response.status_code == status
    if status == 400:
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True).startswith("Body contains a ")
        assert _cases() == 0


@pytest.mark.parametrize(
    ("name", "value"), [("MessageSid", "SM" + "1" * 100), ("From", "1" * 30), ("Body", "长" * 6000)]
)
def test_a_webhook_value_longer_than_twilio_sends_is_a_plain_400(client, app, name, value):
    params = {"MessageSid": "SM" + "1" * 32, "From": "+8613912345678", "Body": "你好"}
    client.set_cookie("wenxu_lang", "en")
    response = signed_post(client, "/webhooks/twilio/sms", {**params, name: value})
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"{name} is longer than Twilio ever sends")
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


def test_a_file_whose_name_holds_a_control_character_is_an_error_beside_it(client_request, world):
    _as(client_request, world)
    content = io.BytesIO("姓名,身份证号\n".encode())
    page = client_request.post(
        "/admin/imports",
        {"import-year": str(world.ids["year"]), "import-file": (content, "survey\x00.csv")},
        expected_status=400,
    )
    assert field_error(page, "import-file").endswith(CONTROL_ERROR)


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


# --- every form route, hostile values, the role it is for: never a 5xx --------------------

#: Where each crawl starts (as whom, at which step of signing in); it follows every link.
START = [
    ("anonymous", "", ["/", "/sign-in", "/sign-in/password"]),
    ("anonymous", "auth.enter_code", ["/sign-in/code"]),
    ("anonymous", "auth.two_factor_set_up", ["/sign-in/two-factor/set-up"]),
    ("resident", "", ["/", "/settings", "/settings/phone-pin", "/record", "/plan"]),
    ("guardian", "", ["/", "/acting-for"]),
    ("admin", "", ["/admin/"]),
    ("institution", "", ["/admin/"]),
]
#: Fields of the machine endpoints, with valid values (they have no page to read them from).
TWILIO = {
    "MessageSid": "SM" + "1" * 32,
    "CallSid": "CA" + "1" * 32,
    "From": hostile_forms.PHONE,
    "To": "+8610000000000",
    "Body": "你好",
    "Digits": "1",
    "MessageStatus": "delivered",
    "CallStatus": "completed",
    "AnsweredBy": "human",
    "RecordingUrl": "https://api.twilio.com/recording",
}
OPEN311 = {
    "service_code": "complaint",
    "description": "路口的盲道被占用了",
    "address_string": "幸福村村委会门口",
    "lat": "30.5",
    "long": "104.1",
    "phone": "13912345678",
    "external_id": "H-1",
}
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "8"))
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)


def _url(rule, world: hostile_forms.World) -> str:
    ids = {**world.ids, **world.overrides.get(rule.endpoint, {})}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def _forms_by_rule(app, client, world) -> dict[str, list[hostile_forms.Form]]:
    """The forms the crawl found, by the rule (its pattern) they post to."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, dict[str, hostile_forms.Form]] = {}
    for role, step, start in START:
        hostile_forms.sign_in(client, world, role, step)
        for form in hostile_forms.crawl(client, start, limit=70):
            try:
                rule, _args = adapter.match(form.url, method="POST", return_rule=True)
            except HTTPException:
                continue
            found.setdefault(rule.rule, {}).setdefault(form.url, form)
    # A staff form no link led to, on its own page (GET and POST at one address).
    hostile_forms.sign_in(client, world, "admin")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and rule.rule not in found and "GET" in rule.methods:
            for form in hostile_forms.crawl(client, [_url(rule, world)], limit=1):
                found.setdefault(rule.rule, {}).setdefault(form.url, form)
    return {rule: list(forms.values()) for rule, forms in found.items()}


def _fields(draw, form: hostile_forms.Form) -> list[tuple[str, object]]:
    """Each field kept, made hostile, left out or sent twice; then a stray field or two."""
    pairs: list[tuple[str, object]] = []
    for field in form.fields:
        how = draw(st.sampled_from(["keep", "hostile", "hostile", "omit", "twice"]))
        if field.is_file:
            if how != "omit":
                content, name = draw(hostile_forms.hostile_file())
                pairs.append((field.name, (io.BytesIO(content), name)))
            continue
        if how == "keep":
            pairs.append((field.name, field.value))
        elif how == "hostile":
            pairs.append((field.name, draw(hostile_forms.hostile_text())))
        elif how == "twice":
            pairs += [(field.name, draw(hostile_forms.hostile_text())), (field.name, field.value)]
    for _ in range(draw(st.integers(0, 2))):
        pairs.append((draw(hostile_forms.hostile_text()), draw(hostile_forms.hostile_text())))
    return pairs


def _machine_fields(draw, fields: dict[str, str]) -> dict[str, str]:
    chosen = {}
    for name, value in fields.items():
        how = draw(st.sampled_from(["keep", "hostile", "omit"]))
        if how != "omit":
            chosen[name] = value if how == "keep" else draw(hostile_forms.hostile_text())
    return chosen


def _post(client, app, world, rule, forms, data) -> tuple[str, object, int]:
    """One hostile POST to `rule`; returns what was sent and the status."""
    draw = data.draw
    if rule.endpoint.startswith("webhooks."):
        params = _machine_fields(draw, TWILIO)
        query = draw(st.sampled_from(["", "attempt=2", "attempt=x%00", "t=%0d%0a"]))
        path = _url(rule, world)
        return path, params, signed_post(client, path, params, query=query).status_code
    if rule.endpoint.startswith("open311."):
        params = {"api_key": world.api_key, **_machine_fields(draw, OPEN311)}
        return rule.rule, params, client.post(rule.rule, data=params).status_code
    role = draw(st.sampled_from(hostile_forms.roles_for(app, rule.endpoint)))
    form = draw(st.sampled_from(forms)) if forms else hostile_forms.Form(_url(rule, world))
    pairs = _fields(draw, form)
    hostile_forms.sign_in(client, world, role, rule.endpoint)
    response = client.post(form.url, data=MultiDict(pairs))
    return f"{form.url} as {role}", pairs, response.status_code


def _shown(sent: object) -> str:
    return repr(sent)[:600]


def _hostile_posts(client, app, world, rule, forms):
    """The property for one rule: whatever is posted to it, the answer is not a 5xx."""

    @HOSTILE
    @given(data=st.data())
    def post_hostile(data):
        try:
            where, sent, status = _post(client, app, world, rule, forms, data)
        finally:
            db.session.rollback()  # as a request's teardown would, even after an exception
        assert status < 500, f"{status} from {where}: {_shown(sent)}"

    return post_hostile


@pytest.mark.parametrize("db_kind", [os.environ.get("TEST_DATABASE_URL", "sqlite").split(":")[0]])
def test_no_hostile_post_to_any_route_is_a_server_error(app, monkeypatch, db_kind):
    monkeypatch.setattr(limiter, "enabled", False)  # the limits are tested on their own
    world = hostile_forms.build_world()
    client = app.test_client()
    forms = _forms_by_rule(app, client, world)
    rules = sorted(
        (r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())),
        key=lambda r: (r.rule, r.endpoint),
    )
    # The crawl must find the forms of every journey; a route missing here is still posted.
    assert len(forms) >= 60, sorted(forms)

    for rule in rules:
        _hostile_posts(client, app, world, rule, forms.get(rule.rule, []))()
