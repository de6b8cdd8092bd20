"""`client_request`: drive the app like a browser without JavaScript and check every page.

Each response is parsed (html5lib) and checked: a title, `<html lang>`, exactly one h1, no
duplicate ids, and a visible `<label for>` for every control (a placeholder is not a label).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bs4 import BeautifulSoup
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_babel import refresh
from werkzeug.test import TestResponse

from portal.models import User
from tests.form_tokens import with_form_token

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class ClientRequest:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.response: TestResponse | None = None

    def login(self, user: User) -> None:
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    def set_locale(self, locale: str) -> None:
        self.client.set_cookie("wenxu_lang", locale)

    def get(self, url: str, expected_status: int = 200, **kw: Any) -> BeautifulSoup:
        _forget_cached_user()
        self.response = self.client.get(url, **kw)
        return self._check(expected_status)

    def post(
        self, url: str, data: dict[str, Any] | None = None, expected_status: int = 302, **kw: Any
    ) -> BeautifulSoup:
        _forget_cached_user()
        data = with_form_token(self.client, url, data or {})  # as the rendered form would
        self.response = self.client.post(url, data=data, **kw)
        return self._check(expected_status)

    def _check(self, expected_status: int) -> BeautifulSoup:
        response = self.response
        assert response is not None
        assert response.status_code == expected_status, (
            f"{response.status_code} != {expected_status}: {response.get_data(as_text=True)[:500]}"
        )
        if not response.mimetype == "text/html" or response.status_code in (301, 302, 303):
            return BeautifulSoup("", "html5lib")
        page = BeautifulSoup(response.get_data(as_text=True), "html5lib")
        check_page(page)
        return page


def _forget_cached_user() -> None:
    """Each request must load its user and locale afresh, as it would in its own app context.

    Tests hold one app context open across requests, so Flask-Login's cached `g._login_user`
    would otherwise outlive a session that has ended, and Flask-Babel's cached locale the
    language of the first request.
    """
    if has_app_context():
        g.pop("_login_user", None)
        refresh()


def check_page(page: BeautifulSoup) -> None:
    title = page.title.get_text(strip=True) if page.title else ""
    assert title, "page has no title"
    assert page.html.get("lang") in {"zh-CN", "en"}, page.html.get("lang")
    assert len(page.find_all("h1")) == 1, "a page has exactly one h1"
    ids = Counter(tag["id"] for tag in page.find_all(id=True))
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for control in page.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type", "text") in UNLABELLED_TYPES:
            continue
        control_id = control.get("id")
        assert control_id, f"control without id: {control}"
        label = page.find("label", attrs={"for": control_id})
        assert label is not None and label.get_text(strip=True), (
            f"no visible label for #{control_id}"
        )
    form_tags = page.find_all("form")
    for form in form_tags:
        assert not form.find(attrs={"required": True}), "server-side validation only: no required"


def error_summary(page: BeautifulSoup) -> list[str]:
    summary = page.find(class_="error-summary")
    return [a.get_text(strip=True) for a in summary.find_all("a")] if summary else []


def field_error(page: BeautifulSoup, field_id: str) -> str:
    """The inline error beside a field, checked to be wired to it for screen readers."""
    error = page.find(id=f"{field_id}-error")
    assert error is not None, f"no error beside #{field_id}"
    control = page.find(id=field_id) or page.find(id=f"{field_id}-0")
    described = (
        (control.get("aria-describedby") or "")
        if control.name != "input" or control.get("type") != "radio"
        else ""
    )
    if control.get("type") != "radio":
        assert f"{field_id}-error" in described.split(), "error not in aria-describedby"
        assert control.get("aria-invalid") == "true"
    return error.get_text(" ", strip=True)
