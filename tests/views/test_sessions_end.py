"""Sessions that end: sign-out ends the session on the server (#11, point 2)."""

from http.cookies import SimpleCookie

from flask import Flask

from portal.extensions import db
from tests.factories import PASSWORD, create_resident_user
from tests.html import ClientRequest


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
