"""Sessions that end: sign-out ends the session on the server, and a password change ends the
other sessions of the account (#11, point 2)."""

from http.cookies import SimpleCookie

import pytest
from flask import Flask
from sqlalchemy import select

from portal.auth import verify_password
from portal.extensions import db
from portal.models import AuditEvent, Role
from tests.factories import PASSWORD, create_area, create_resident_user, create_user
from tests.html import ClientRequest, error_summary, field_error

NEW_PASSWORD = "blue kettle on the hill"  # noqa: S105 - test data


def _session_data(app: Flask, value: str) -> dict:
    """What a session cookie holds (signed, not encrypted: anyone can read it)."""
    return app.session_interface.get_signing_serializer(app).loads(value)


def _set_session_cookies(app: Flask, response) -> list[dict]:
    """The session cookies a response sets, decoded (a deleted cookie is left out)."""
    name = app.config["SESSION_COOKIE_NAME"]
    found = []
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie and cookie[name].value:
            found.append(_session_data(app, cookie[name].value))
    return found


def _sign_in(client_request, user) -> None:
    client_request.post(
        "/sign-in/password", {"phone": user.phone.removeprefix("+86"), "password": PASSWORD}
    )
    assert "/sign-in" not in client_request.response.location


def test_a_cookie_copied_before_sign_out_gets_the_sign_in_page(app, client_request):
    user, _ = create_resident_user()
    db.session.commit()
    _sign_in(client_request, user)
    copied = client_request.client.get_cookie("session").value
    client_request.get("/settings")
    client_request.post("/sign-out")

    thief = ClientRequest(app.test_client())
    thief.client.set_cookie("session", copied)
    thief.get("/settings", expected_status=302)
    assert thief.response.location.startswith("/sign-in")
    # And the server does not renew the copied session: no cookie it sets names the user.
    assert all("_user_id" not in data for data in _set_session_cookies(app, thief.response))
    thief.client.set_cookie("session", copied)
    thief.get("/cases/new", expected_status=302)


def test_signing_in_again_after_sign_out_works(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    _sign_in(client_request, user)
    client_request.set_locale("en")
    client_request.post("/sign-out")
    page = client_request.get("/")
    # One session version for the account: signing out here ends its other sessions too.
    assert "signed out on every device" in page.find(class_="banner--success").get_text()
    client_request.get("/settings", expected_status=302)
    _sign_in(client_request, user)
    client_request.get("/settings")


# --- changing one's own password ---------------------------------------------------------------


def _staff():
    user = create_user(Role.VILLAGE_WORKER, area_id=create_area().id)
    db.session.commit()
    return user


def test_the_password_page_is_plain_accessible_and_in_the_staff_menu(client_request):
    user = _staff()
    client_request.login(user)
    client_request.set_locale("en")
    queue = client_request.get("/admin/")
    link = queue.find("nav").find("a", href="/settings/password")
    assert link is not None and link.get_text(strip=True) == "Change password"
    page = client_request.get("/settings/password")
    assert page.find("h1").get_text(strip=True) == "Change your password"
    form = page.find("form", attrs={"novalidate": True})
    assert form is not None
    assert page.find(id="current_password")["autocomplete"] == "current-password"
    assert page.find(id="new_password")["autocomplete"] == "new-password"
    assert page.find(id="confirm")["autocomplete"] == "new-password"
    assert "new_password-hint" in page.find(id="new_password")["aria-describedby"]
    client_request.set_locale("zh_CN")
    page = client_request.get("/settings/password")
    assert page.html["lang"] == "zh-CN"


def test_residents_reach_it_from_settings(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    page = client_request.get("/settings")
    assert page.find("a", href="/settings/password") is not None
    client_request.get("/settings/password")


def test_the_page_needs_sign_in(client_request):
    client_request.get("/settings/password", expected_status=302)
    assert client_request.response.location.startswith("/sign-in")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "current_password", "Enter your current password"),
        (
            {"current_password": "wrong", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "current_password",
            "The current password is not right",
        ),
        ({"current_password": PASSWORD}, "new_password", "Enter a new password"),
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
            "new_password",
            "Use at least 12 characters",
        ),
        (
            {"current_password": PASSWORD, "new_password": "qwerty123456", "confirm": "x"},
            "new_password",
            "too common",
        ),
        (
            {"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD},
            "new_password",
            "different from your current password",
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            "confirm",
            "Type the new password again",
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": "other"},
            "confirm",
            "The two new passwords are different",
        ),
    ],
)
def test_password_change_errors_are_beside_the_field(client_request, data, field, message):
    user = _staff()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.post("/settings/password", data, expected_status=200)
    assert page.title.get_text().startswith("Error:")
    assert message in field_error(page, field)
    assert any(message in text for text in error_summary(page))
    for name in ("current_password", "new_password", "confirm"):
        assert page.find(id=name).get("value") is None  # passwords are never echoed back
    db.session.refresh(user)
    assert verify_password(user, PASSWORD)


def test_the_phone_number_may_not_be_the_password(client_request):
    user = _staff()
    client_request.login(user)
    client_request.set_locale("en")
    typed = "my number " + user.phone.removeprefix("+86")
    page = client_request.post(
        "/settings/password",
        {"current_password": PASSWORD, "new_password": typed, "confirm": typed},
        expected_status=200,
    )
    assert "phone number" in field_error(page, "new_password")


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client_request):
    user = _staff()
    _sign_in(client_request, user)
    other = app.test_client()
    other_request = ClientRequest(other)
    _sign_in(other_request, user)
    other_request.get("/admin/")

    client_request.set_locale("en")
    client_request.post(
        "/settings/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert client_request.response.location == "/settings/password"
    page = client_request.get("/settings/password")
    assert "signed out on your other devices" in page.find(class_="banner--success").get_text()
    client_request.get("/admin/")  # still signed in here
    other_request.get("/admin/", expected_status=302)  # not there

    db.session.refresh(user)
    assert verify_password(user, NEW_PASSWORD) and not verify_password(user, PASSWORD)
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.password_change")
    )
    assert event.actor_id == user.id and event.object_id == user.id
    assert event.ip_address == "127.0.0.1"
    assert PASSWORD not in str(event.data) and NEW_PASSWORD not in str(event.data)


def test_a_resident_changes_their_password_too(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.post(
        "/settings/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    db.session.refresh(user)
    assert verify_password(user, NEW_PASSWORD)
    client_request.get("/settings")


def test_an_account_without_a_password_is_told_so(client_request):
    user, _ = create_resident_user()
    user.password_hash = None
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get("/settings/password")
    assert page.find("form", attrs={"action": None, "method": "post"}) is None
    assert "sign in with a code" in page.find("main").get_text()
    settings = client_request.get("/settings")
    assert settings.find("a", href="/settings/password") is None


def test_guessing_the_current_password_is_limited(client_request):
    user = _staff()
    client_request.login(user)
    wrong = {"current_password": "guess", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for _ in range(5):
        client_request.post("/settings/password", wrong, expected_status=200)
    client_request.post("/settings/password", wrong, expected_status=429)
    failures = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.password_change_failed")
    ).all()
    assert len(failures) == 5
