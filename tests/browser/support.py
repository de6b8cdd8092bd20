"""Shared pieces of the browser tests: settings, test data, the page catalogue and page scripts.

The catalogue (`PAGES`) lists every page the app can show, by role and state; `test_axe.py`
checks that it covers every GET route in `app.url_map`, so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from portal.extensions import db
from portal.models import NeedItem, Role
from tests.factories import create_area, create_case, create_resident_user, create_user

#: Chromium flags that work on these machines (docs/accessibility.md).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "mobile": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
#: Babel locale (the `wenxu_lang` cookie value) → BCP 47 tag (`<html lang>`, browser locale).
LOCALES = {"zh_CN": "zh-CN", "en": "en"}
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    # Passing options replaces axe's default resultTypes: ask for violations again.
    "resultTypes": ["violations"],
}
_AXE = Axe()
#: The `new_context` fixture's type: `new_context(viewport=, locale=, login=, size=)`.
NewContext = Callable[..., BrowserContext]


def assert_no_axe_violations(page: Page, label: str = "") -> None:
    result = _AXE.run(page, options=AXE_OPTIONS)
    assert result.violations_count == 0, (
        f"axe: {result.violations_count} violation(s) on {label or page.url}\n"
        + result.generate_report()
    )


# ---------------------------------------------------------------------------------------------
# Test data


@dataclass(frozen=True)
class World:
    """Plain values (no ORM objects, so nothing detaches) describing the committed test data."""

    area_id: int
    resident_id: int
    resident_phone: str  # E.164
    resident_login: str  # User.get_id(), for the session cookie
    staff_phone: str
    staff_login: str
    case_id: int | None
    case_reference: str | None

    @staticmethod
    def national(phone: str) -> str:
        """The number as a resident types it: 11 digits, no country code."""
        return phone.removeprefix("+86")


def build_world(with_case: bool = True) -> World:
    """A village, a resident (with a case) and a village worker for that village; committed."""
    area = create_area(name_zh="幸福村", name_en="Xingfu Village")
    # Quiet hours that never apply (start == end): the acknowledgement is sent at any hour.
    user, resident = create_resident_user(
        area, name="张秀英", quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0)
    )
    staff = create_user(Role.VILLAGE_WORKER, area_id=area.id, name="李建国")
    case = None
    if with_case:
        need_item = db.session.scalar(
            select(NeedItem).where(NeedItem.active, NeedItem.kind != "status").limit(1)
        )
        case = create_case(resident, filed_by=user, need_item=need_item)
    db.session.commit()
    return World(
        area_id=area.id,
        resident_id=resident.id,
        resident_phone=user.phone,
        resident_login=user.get_id(),
        staff_phone=staff.phone,
        staff_login=staff.get_id(),
        case_id=case.id if case else None,
        case_reference=case.reference if case else None,
    )


def translate(app: Flask, locale: str, message: str, **params: Any) -> str:
    """`message` as the app renders it in `locale` (whatever catalogues are compiled now)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **params)


# ---------------------------------------------------------------------------------------------
# The page catalogue


@dataclass(frozen=True)
class PageSpec:
    name: str
    role: str  # "anonymous", "resident" or "staff"
    path: str  # may hold {case_id}
    endpoint: str | None  # the url_map endpoint this page covers (None: an error page)
    status: int = 200
    submit_empty: bool = False  # then submit the page's form empty: the error state

    def url(self, world: World) -> str:
        return self.path.format(case_id=world.case_id)


PAGES = [
    PageSpec("anonymous-welcome", "anonymous", "/", "home.index"),
    PageSpec("anonymous-sign-in", "anonymous", "/sign-in", "auth.sign_in"),
    PageSpec(
        "anonymous-sign-in-errors", "anonymous", "/sign-in", "auth.sign_in", submit_empty=True
    ),
    PageSpec("anonymous-not-found", "anonymous", "/no-such-page", None, status=404),
    PageSpec("resident-home", "resident", "/", "home.index"),
    PageSpec("resident-new-case", "resident", "/cases/new", "cases.new"),
    PageSpec("resident-new-case-errors", "resident", "/cases/new", "cases.new", submit_empty=True),
    PageSpec("resident-case", "resident", "/cases/{case_id}", "cases.show"),
    PageSpec("resident-forbidden", "resident", "/admin/", None, status=403),
    PageSpec("staff-queue", "staff", "/admin/", "admin.queue"),
    PageSpec("staff-case", "staff", "/admin/cases/{case_id}", "admin.case"),
    PageSpec("staff-outbox", "staff", "/admin/outbox", "admin.outbox"),
]
PAGE_IDS = [p.name for p in PAGES]
ERROR_STATE_PAGES = [p for p in PAGES if p.submit_empty]
ROLES = ("anonymous", "resident", "staff")
#: GET routes that are not pages: static files and the load balancers' health check.
NOT_PAGES = {"static", "health.healthz"}


def open_page(page: Page, spec: PageSpec, world: World) -> None:
    """Navigate to `spec` in its state (after an empty submit when asked) and check the status."""
    response = page.goto(spec.url(world))
    assert response is not None and response.status == spec.status, (
        f"{spec.name}: {response.status if response else 'no response'} != {spec.status}"
    )
    if spec.submit_empty:
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert page.locator(".error-summary").count() == 1, f"{spec.name}: no error summary"


def sign_in(page: Page, phone: str, password: str) -> None:
    """Sign in through the real form, typing the number as a resident would."""
    page.goto("/sign-in")
    page.fill("#phone", World.national(phone))
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/sign-in" not in page.url, f"sign-in failed: {page.url}"


# ---------------------------------------------------------------------------------------------
# Scripts run in the page

#: Elements in the sequential focus order, in DOM order (the app uses no positive tabindex).
TABBABLES_JS = """
() => {
  const selector = 'a[href], area[href], button, input, select, textarea, summary, iframe, ' +
    '[tabindex], [contenteditable=""], [contenteditable="true"]';
  return Array.from(document.querySelectorAll(selector)).filter((el) => {
    if (el.tabIndex < 0 || el.disabled) return false;
    if (el.tagName === 'INPUT' && el.type === 'hidden') return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  });
}
"""

#: A short description of an element for failure messages.
DESCRIBE_JS = """
(el) => {
  if (!el) return 'null';
  let text = el.tagName.toLowerCase();
  if (el.id) text += '#' + el.id;
  if (el.className && typeof el.className === 'string') {
    text += '.' + el.className.trim().split(/\\s+/).join('.');
  }
  const href = el.getAttribute && el.getAttribute('href');
  if (href) text += '[href="' + href + '"]';
  const name = (el.innerText || el.value || '').trim().slice(0, 30);
  return name ? text + ' "' + name + '"' : text;
}
"""


def describe(page: Page, handle_or_selector: Any) -> str:
    return str(page.evaluate(DESCRIBE_JS, handle_or_selector))


HAS_CJK = re.compile(r"[\u3400-\u9fff]")
