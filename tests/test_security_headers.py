"""Every response carries the security headers (portal/security_headers.py; #11, point 4).

Checked on every GET route of `app.url_map` (as a visitor), on every page of the browser tests'
catalogue in the role and state it is listed for, on error pages and Twilio's webhooks; and the
templates hold nothing a strict Content-Security-Policy would block. That the pages still work
and pass axe under the policy is tests/browser/test_content_security_policy.py.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh
from werkzeug.test import TestResponse

from portal import create_app
from portal.config import DevelopmentConfig, ProductionConfig
from portal.extensions import db
from tests.browser.support import PAGES, World, build_world
from tests.twilio_webhooks import signed_post

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [*(ROOT / "portal" / "templates").rglob("*.html")]
TEMPLATES += [*(ROOT / "admin" / "templates").rglob("*.html")]
HSTS = "max-age=31536000; includeSubDomains"


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def assert_security_headers(response: TestResponse, what: str) -> None:
    csp = csp_directives(response)
    assert csp.get("default-src") == ["'self'"], f"{what}: {csp}"
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, csp["default-src"])
        assert sources == ["'self'"], f"{what}: {directive} {sources}"
    assert csp.get("frame-ancestors") == ["'none'"], what
    assert csp.get("object-src") == ["'none'"], what
    assert csp.get("base-uri") == ["'none'"], what
    assert csp.get("form-action") == ["'self'"], what
    headers = response.headers
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    permissions = dict(
        part.strip().split("=", 1) for part in headers.get("Permissions-Policy", "").split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions.get(feature) == "()", f"{what}: {feature} is not denied"
    assert "Strict-Transport-Security" not in headers, f"{what}: HSTS outside production"


def _url(rule_text: str) -> str:
    if rule_text.startswith("/static/"):
        return "/static/wenxu.css"
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule_text)


def test_every_get_route_answers_with_the_headers(app, client):
    """As a visitor: pages, sign-in redirects, static files, health checks, Open311's JSON."""
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())]
    assert len(rules) > 50
    for rule in rules:
        url = _url(rule.rule)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        assert_security_headers(response, f"GET {url} ({response.status_code})")


def _signed_in(app: Flask, login: str | None) -> FlaskClient:
    client = app.test_client()
    if login:
        with client.session_transaction() as session:
            session["_user_id"] = login
            session["_fresh"] = True
    return client


def _logins(world: World) -> dict[str, str | None]:
    return {
        "anonymous": None,
        "resident": world.resident_login,
        "guardian": world.guardian_login,
        "staff": world.staff_login,
        "admin": world.admin_login,
    }


def test_every_page_of_the_catalogue_has_the_headers_and_nothing_the_policy_blocks(app):
    """Each page as its role sees it, rendered: no inline script or style, no handlers."""
    world = build_world(with_case=True)
    logins = _logins(world)
    checked = 0
    for spec in PAGES:
        if spec.prepare is not None or spec.submit_empty:
            continue  # the same templates in another state; the browser test covers them
        # Each request loads its user and locale afresh, as it would in its own app context.
        g.pop("_login_user", None)
        refresh()
        response = _signed_in(app, logins[spec.role]).get(spec.url(world))
        assert response.status_code == spec.status, f"{spec.name}: {response.status_code}"
        assert_security_headers(response, spec.name)
        assert not blocked_by_the_policy(response.get_data(as_text=True)), spec.name
        checked += 1
    assert checked > 60


URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


def blocked_by_the_policy(html: str) -> list[str]:
    """What in a page the Content-Security-Policy would refuse to run or apply."""
    page = BeautifulSoup(html, "html5lib")
    found = [
        f"inline <script>: {s.text[:40]!r}" for s in page.find_all("script") if not s.get("src")
    ]
    found += ["<style> block" for _ in page.find_all("style")]
    for element in page.find_all(True):
        for name, value in element.attrs.items():
            if name == "style":
                found.append(f"style attribute on <{element.name}>")
            elif name.startswith("on"):
                found.append(f"{name}= handler on <{element.name}>")
            elif name in URL_ATTRIBUTES and str(value).strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL on <{element.name}>")
    return found


#: In a template's source: what the policy blocks (the rendered check above covers only the
#: states the catalogue lists; this covers every branch).
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_templates_hold_no_inline_script_or_style():
    assert len(TEMPLATES) > 50
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in TEMPLATES
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not found


def test_the_template_check_finds_what_it_looks_for():
    """Negative control for the patterns above."""
    samples = {
        "inline <script>": '<script>alert(1)</script><script src="/static/wenxu.js"></script>',
        "<style> block": "<style>p { color: red }</style>",
        "style attribute": '<p class="x" style="color:red">',
        "event handler": '<button type="button" onclick="go()">',
        "javascript: URL": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert INLINE[what].search(sample), what
        assert blocked_by_the_policy(sample), what
    assert not INLINE["inline <script>"].search('<script src="/static/wenxu.js" defer></script>')
    assert not blocked_by_the_policy('<p class="one">online=1</p>')


def test_error_pages_and_refusals_have_the_headers(client):
    assert_security_headers(client.get("/no-such-page"), "404")
    assert_security_headers(client.post("/"), "405")
    assert_security_headers(client.post("/webhooks/twilio/sms"), "unsigned webhook (403)")


def test_twilio_webhooks_answer_with_the_headers_too(client):
    receipt = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered", "AccountSid": "AC1"}
    response = signed_post(client, "/webhooks/twilio/status", receipt)
    assert response.status_code == 204
    assert_security_headers(response, "status callback")


def test_a_page_that_fails_has_the_headers(app):
    """The 500 page, drawn by the error handler after the view raised."""
    from tests.conftest import build_app

    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("a bug")

    other.add_url_rule("/test/bug", view_func=broken)
    try:
        response = other.test_client().get("/test/bug")
        assert response.status_code == 500
        assert_security_headers(response, "500")
    finally:
        with other.app_context():
            db.engine.dispose()


# --- HSTS: production only ------------------------------------------------------------------


def _production_environ() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOOKUP_HASH_KEY": secrets.token_hex(32),
        "DATABASE_URL": "postgresql://wenxu@127.0.0.1:9/wenxu",  # never reached
    }


def test_only_production_asks_for_hsts():
    assert ProductionConfig(_production_environ()).STRICT_TRANSPORT_SECURITY == HSTS
    assert DevelopmentConfig({}).STRICT_TRANSPORT_SECURITY is None


@pytest.fixture
def production_app(app: Flask) -> Flask:
    return create_app(ProductionConfig(_production_environ()))


def test_production_responses_carry_hsts(production_app):
    response = production_app.test_client().get("/static/wenxu.css")
    assert response.status_code == 200
    assert response.headers.get("Strict-Transport-Security") == HSTS
    assert csp_directives(response)["frame-ancestors"] == ["'none'"]


def test_a_view_s_own_policy_is_kept(app):
    """A header a response already has is left alone (a future page with its own nonce)."""
    from portal.security_headers import add_security_headers

    with app.test_request_context():
        response = app.response_class("x", headers={"Referrer-Policy": "no-referrer"})
        add_security_headers(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
