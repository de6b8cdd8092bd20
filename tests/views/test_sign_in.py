import pytest

from portal.extensions import db
from portal.models import Role
from tests.factories import PASSWORD, create_resident_user, create_user
from tests.html import error_summary, field_error


def test_sign_in_page_is_plain_and_accessible(client_request):
    page = client_request.get("/sign-in/password")
    form = page.find("form", attrs={"novalidate": True})
    assert form is not None
    assert page.find(id="phone")["autocomplete"] == "username"
    assert page.find(id="password")["autocomplete"] == "current-password"
    assert "captcha" not in str(page).lower()


@pytest.mark.parametrize("typed", ["13800000001", "138 0000 0001", "+86 138 0000 0001"])
def test_resident_signs_in_with_phone_and_password(client_request, typed):
    user, _ = create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.post("/sign-in/password", {"phone": typed, "password": PASSWORD})
    assert client_request.response.location == "/"
    page = client_request.get("/")
    assert page.find("h1").get_text(strip=True) in {"Your home page", "您的主页"}


def test_staff_land_on_the_queue(client_request):
    create_user(Role.VILLAGE_WORKER, phone="+8613800000010")
    db.session.commit()
    client_request.post("/sign-in/password", {"phone": "13800000010", "password": PASSWORD})
    assert client_request.response.location == "/admin/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "", "password": ""}, "phone", "Enter your mobile phone number"),
        ({"phone": "12345", "password": "x"}, "phone", "Enter a mobile phone number"),
        ({"phone": "13800000001", "password": ""}, "password", "Enter your password"),
        ({"phone": "13800000001", "password": "wrong"}, "password", "not right"),
    ],
)
def test_sign_in_errors_are_beside_the_field_and_keep_the_phone(
    client_request, data, field, message
):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    client_request.set_locale("en")
    page = client_request.post("/sign-in/password", data, expected_status=200)
    assert page.title.get_text().startswith("Error:")
    assert message in field_error(page, field)
    assert any(message in text for text in error_summary(page))
    assert page.find(id="phone")["value"] == data["phone"]
    assert page.find(id="password").get("value") is None  # a password is never echoed back


def test_sign_in_errors_are_translated(client_request):
    client_request.set_locale("zh_CN")
    page = client_request.post(
        "/sign-in/password", {"phone": "", "password": ""}, expected_status=200
    )
    assert page.title.get_text().startswith("错误：")
    assert "请" in field_error(page, "phone")


def test_sign_out_needs_a_post_and_ends_the_session(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.get("/sign-out", expected_status=405)
    client_request.post("/sign-out")
    client_request.get("/cases/new", expected_status=302)


def test_inactive_accounts_cannot_sign_in(client_request):
    user, _ = create_resident_user(phone="+8613800000001")
    user.active = False
    db.session.commit()
    client_request.post(
        "/sign-in/password", {"phone": "13800000001", "password": PASSWORD}, expected_status=200
    )
