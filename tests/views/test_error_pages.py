"""Error pages are the app's own, translated and accessible, even when the database is down.

The layout needs the database (the signed-in user, the menu); without it a plain page stands in,
and the 500 handler never raises, so Werkzeug's bare English page is never what people see.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import text

from portal.extensions import db
from portal.models import Role
from portal.views import errors
from tests.conftest import build_app
from tests.factories import create_resident_user, create_user
from tests.html import check_page

#: Databases that cannot be reached: a file in a folder that does not exist, a closed port.
UNREACHABLE = [
    "sqlite:////nonexistent-folder/wenxu.db",
    "postgresql+psycopg://postgres@127.0.0.1:9/wenxu?connect_timeout=2",
]


def _page(response) -> BeautifulSoup:
    page = BeautifulSoup(response.get_data(as_text=True), "html5lib")
    check_page(page)  # a title, <html lang>, one h1, no duplicate ids
    body = response.get_data(as_text=True)
    assert "Werkzeug" not in body and "Internal Server Error" not in body
    skip = page.find("a", href=True)
    assert skip is not None and skip["href"] == "#main" and "skip-link" in skip["class"]
    main = page.find("main", id="main")
    assert main is not None and main.get("tabindex") == "-1"
    assert page.find(id="help") is not None and page.find("a", href="tel:12385") is not None
    return page


def _app(url: str) -> Iterator[Flask]:
    other = build_app(url, PROPAGATE_EXCEPTIONS=False)
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture(params=UNREACHABLE, ids=["sqlite", "postgresql"])
def broken(request, app) -> Iterator[Flask]:
    """An app whose database cannot be reached (the session's app stays as it is)."""
    yield from _app(request.param)


@pytest.fixture
def live(app) -> Iterator[Flask]:
    """A second app on the test database, with routes that fail on purpose."""
    other = build_app(db.engine.url.render_as_string(hide_password=False))
    other.config["PROPAGATE_EXCEPTIONS"] = False

    def failed_statement() -> str:
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    def plain_bug() -> str:
        raise RuntimeError("a bug")

    other.add_url_rule("/test/failed-statement", view_func=failed_statement)
    other.add_url_rule("/test/bug", view_func=plain_bug)
    yield other
    with other.app_context():
        db.engine.dispose()


def _signed_in(flask_app: Flask, user_id: str = "1:0"):
    client = flask_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    return client


def test_without_the_database_a_signed_in_page_gets_the_plain_error_page(broken):
    response = _signed_in(broken).get("/")
    assert response.status_code == 500
    page = _page(response)
    assert page.html["lang"] == "zh-CN"
    assert page.title.get_text(strip=True) == "抱歉，我们这边出了问题 – 问需"
    assert page.find("h1").get_text(strip=True) == "抱歉，我们这边出了问题"
    assert "跳到主要内容" in page.find("a", class_="skip-link").get_text()


@pytest.mark.parametrize(
    ("setting", "value"), [("cookie", "en"), ("header", "en-GB,en;q=0.9,zh;q=0.1")]
)
def test_the_plain_page_speaks_the_language_chosen_without_the_database(broken, setting, value):
    client = _signed_in(broken)
    if setting == "cookie":
        client.set_cookie("wenxu_lang", value)
        response = client.get("/")
    else:
        response = client.get("/", headers={"Accept-Language": value})
    page = _page(response)
    assert page.html["lang"] == "en"
    assert page.find("h1").get_text(strip=True) == "Sorry, something went wrong on our side"
    assert page.find("a", class_="skip-link").get_text(strip=True) == "Skip to main content"


def test_a_missing_page_without_the_database_is_still_a_404_page(broken):
    response = _signed_in(broken).get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert _page(response).find("h1").get_text(strip=True) == "Page not found"


def test_a_failed_statement_still_gets_the_full_layout(live):
    """On PostgreSQL the failed statement spoils the transaction: the handler rolls it back."""
    user, _ = create_resident_user()
    db.session.commit()
    response = _signed_in(live, user.get_id()).get("/test/failed-statement")
    assert response.status_code == 500
    page = _page(response)
    assert page.find("h1").get_text(strip=True) == "抱歉，我们这边出了问题"
    # The layout, for the signed-in user: the menu and the sign-out button are there.
    assert page.find("nav").find("a", href="/cases") is not None
    assert page.find("form", action="/sign-out") is not None


def test_a_bug_for_staff_gets_the_layout_in_their_language(live):
    staff = create_user(Role.VILLAGE_WORKER, language="en")
    db.session.commit()
    response = _signed_in(live, staff.get_id()).get("/test/bug")
    assert response.status_code == 500
    page = _page(response)
    assert page.html["lang"] == "en"
    assert page.find("form", action="/sign-out") is not None


def test_when_even_the_plain_page_fails_a_last_page_is_served(broken, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("no templates today")

    monkeypatch.setattr(broken.jinja_env, "get_template", fail)
    response = _signed_in(broken).get("/")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == errors.LAST_RESORT
    _page(response)
