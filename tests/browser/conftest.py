"""Browser fixtures: the session app served over HTTP, one Chromium per session, a context per test.

Debian's Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium) is driven by Playwright; never
`playwright install`. Without the browser these tests skip on a desk and fail in CI (`CI=true`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from tests.browser.support import ARGS, LOCALES, VIEWPORTS, NewContext, World, build_world

DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveServer:
    url: str


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The session app on a free local port; each request gets its own app context and session."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        reason = (
            f"no Chromium at {path}: install Debian's `chromium` and `fonts-noto-cjk` "
            "(apt-get install -y chromium fonts-noto-cjk) or set CHROMIUM_PATH"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


ContextKey = tuple[str, str, tuple[tuple[str, int], ...] | None]


@pytest.fixture(scope="session")
def _context_pool(browser: Browser) -> Iterator[dict[ContextKey, list[BrowserContext]]]:
    """Browser contexts kept between tests, by viewport, locale and size: making one costs
    most of a page check's time. Each test gets a context no other part of it is using, with
    its cookies and permissions cleared and its pages closed afterwards."""
    pool: dict[ContextKey, list[BrowserContext]] = {}
    yield pool
    for contexts in pool.values():
        for context in contexts:
            context.close()


@pytest.fixture
def new_context(
    browser: Browser,
    live_server: LiveServer,
    app: Flask,
    _context_pool: dict[ContextKey, list[BrowserContext]],
) -> Iterator[NewContext]:
    """Make a browser context: `new_context(viewport="mobile", locale="zh_CN", login=None)`.

    `locale` sets both the browser's language and the `wenxu_lang` cookie; `login` (a
    `User.get_id()` value) adds a signed session cookie, the quick way to be signed in.
    Contexts come from a pool; they go back, emptied, after the test.
    """
    taken: list[tuple[ContextKey, BrowserContext]] = []

    def make(
        viewport: str = "mobile",
        locale: str = "zh_CN",
        login: str | None = None,
        size: dict[str, int] | None = None,
    ) -> BrowserContext:
        key: ContextKey = (viewport, locale, tuple(sorted(size.items())) if size else None)
        free = _context_pool.setdefault(key, [])
        if free:
            context = free.pop()
        else:
            options = dict(VIEWPORTS[viewport])
            if size:
                options["viewport"] = size
            context = browser.new_context(
                base_url=live_server.url, locale=LOCALES[locale], **options
            )
            context.set_default_timeout(TIMEOUT_MS)
        taken.append((key, context))
        cookies: list[dict[str, object]] = [
            {"name": "wenxu_lang", "value": locale, "url": live_server.url}
        ]
        if login:
            cookies.append(_session_cookie(app, login, live_server.url))
        context.add_cookies(cookies)  # type: ignore[arg-type]
        return context

    yield make
    for key, context in taken:
        for page in context.pages:
            page.close()
        context.clear_cookies()
        context.clear_permissions()
        _context_pool[key].append(context)


def _session_cookie(app: Flask, login: str, url: str) -> dict[str, object]:
    """A Flask session cookie signed in as `login`, as Flask-Login would write it."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None, "the app needs a SECRET_KEY"
    value = serializer.dumps({"_user_id": login, "_fresh": True})
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": url, "httpOnly": True}


@pytest.fixture(params=["mobile", "desktop"])
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(LOCALES))
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(new_context: NewContext, viewport: str, locale: str) -> BrowserContext:
    """An anonymous context in the test's viewport and locale (both parametrised by default)."""
    return new_context(viewport=viewport, locale=locale)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def world(app: Flask) -> World:
    """A village, a resident with a case, and the village's worker; committed (the autouse
    fixture in tests/conftest.py deletes the rows after the test)."""
    return build_world(with_case=True)


@pytest.fixture
def fresh_world(app: Flask) -> World:
    """Like `world`, but the resident has filed nothing yet."""
    return build_world(with_case=False)


@pytest.fixture
def page_as(new_context: NewContext, world: World) -> Callable[..., Page]:
    """A page signed in as `role` (see support.ROLES) by session cookie."""

    def make(role: str, viewport: str = "mobile", locale: str = "zh_CN", **kw: object) -> Page:
        logins = {
            "anonymous": None,
            "resident": world.resident_login,
            "guardian": world.guardian_login,
            "staff": world.staff_login,
            "admin": world.admin_login,
        }
        login = logins[role]
        return new_context(viewport=viewport, locale=locale, login=login, **kw).new_page()

    return make
