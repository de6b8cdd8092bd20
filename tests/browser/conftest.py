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
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import BaseWSGIServer, make_server

from tests.browser.support import ARGS, LOCALES, VIEWPORTS, NewContext, World, build_world

DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000
#: Where a reused page waits between tests: a file without scripts, under the app's headers.
RESET_URL = "/static/favicon.svg"


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
        key = _key(viewport, locale, size)
        free = _context_pool.setdefault(key, [])
        context = free.pop() if free else _new_context(browser, live_server, key)
        taken.append((key, context))
        _sign_in(context, app, live_server, locale, login)
        return context

    yield make
    for key, context in taken:
        for page in context.pages:
            page.close()
        context.clear_cookies()
        context.clear_permissions()
        _context_pool[key].append(context)


def _key(viewport: str, locale: str, size: dict[str, int] | None) -> ContextKey:
    return (viewport, locale, tuple(sorted(size.items())) if size else None)


def _new_context(browser: Browser, live_server: LiveServer, key: ContextKey) -> BrowserContext:
    viewport, locale, size = key
    options = dict(VIEWPORTS[viewport])
    if size:
        options["viewport"] = dict(size)
    context = browser.new_context(base_url=live_server.url, locale=LOCALES[locale], **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _sign_in(
    context: BrowserContext, app: Flask, live_server: LiveServer, locale: str, login: str | None
) -> None:
    """The `wenxu_lang` cookie for `locale`, and a session cookie when `login` is given."""
    cookies: list[dict[str, object]] = [
        {"name": "wenxu_lang", "value": locale, "url": live_server.url}
    ]
    if login:
        cookies.append(_session_cookie(app, login, live_server.url))
    context.add_cookies(cookies)  # type: ignore[arg-type]


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


def _login(world: World, role: str) -> str | None:
    """The `User.get_id()` of `role` in `world` (None for a visitor)."""
    return {
        "anonymous": None,
        "resident": world.resident_login,
        "guardian": world.guardian_login,
        "staff": world.staff_login,
        "admin": world.admin_login,
    }[role]


@pytest.fixture
def page_as(new_context: NewContext, world: World) -> Callable[..., Page]:
    """A new page signed in as `role` (see support.ROLES) by session cookie."""

    def make(role: str, viewport: str = "mobile", locale: str = "zh_CN", **kw: object) -> Page:
        login = _login(world, role)
        return new_context(viewport=viewport, locale=locale, login=login, **kw).new_page()

    return make


PagePool = dict[ContextKey, list[Page]]


@pytest.fixture(scope="session")
def _page_pool(browser: Browser) -> Iterator[PagePool]:
    """Pages kept open between tests, each alone in its context, by viewport, locale and size."""
    pool: PagePool = {}
    yield pool
    for pages in pool.values():
        for page in pages:
            page.context.close()


@pytest.fixture
def reused_page_as(
    browser: Browser, live_server: LiveServer, app: Flask, world: World, _page_pool: PagePool
) -> Iterator[Callable[..., Page]]:
    """Like `page_as`, but the page is an open one that earlier tests used, if there is one.

    Each new page is a new browser window, with a new renderer process and the browser's own
    toolbar page in another: more CPU than most of a page check. A page that goes on navigating
    keeps its renderer, as long as it stays on pages whose Cross-Origin-Opener-Policy is the
    same (a change moves it to a new renderer): the app's, which every response of it has,
    static files included. What a test leaves behind is undone before the page is used again:
    the page goes to a static file of the app (its document, and any timers of its scripts, are
    gone), its viewport goes back to the context's, its context's cookies and permissions are
    cleared. For
    tests that add nothing else to the page: no init scripts, listeners, routes or media
    emulation (those use `page_as`). A page that cannot be reset is closed instead.
    """
    taken: list[tuple[ContextKey, Page, ViewportSize | None]] = []

    def make(
        role: str,
        viewport: str = "mobile",
        locale: str = "zh_CN",
        size: dict[str, int] | None = None,
    ) -> Page:
        key = _key(viewport, locale, size)
        free = _page_pool.setdefault(key, [])
        page = free.pop() if free else _new_context(browser, live_server, key).new_page()
        taken.append((key, page, page.viewport_size))
        _sign_in(page.context, app, live_server, locale, _login(world, role))
        return page

    yield make
    for key, page, size in taken:
        try:
            page.goto(RESET_URL)
            if size and page.viewport_size != size:
                page.set_viewport_size(size)
            page.context.clear_cookies()
            page.context.clear_permissions()
            reusable = page.context.pages == [page]
        except PlaywrightError:
            reusable = False
        if reusable:
            _page_pool[key].append(page)
        else:
            page.context.close()
