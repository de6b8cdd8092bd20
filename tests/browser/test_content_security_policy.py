"""The pages under their Content-Security-Policy in a real browser (#11, point 4).

Chromium enforces the headers of portal/security_headers.py: the pages must still pass axe, the
script's enhancements (focus on the error summary, read-aloud, the session warning and its
keep-alive) must still run, and nothing may be refused: no `securitypolicyviolation` event and
no error or warning in the console (where Chromium also reports a Permissions-Policy feature it
does not know). A negative control shows the watch is live and the policy enforced.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.browser.conftest import LiveServer
from tests.browser.support import LOCALES, PAGES, World, assert_no_axe_violations, open_page

PageAs = Callable[..., Page]
SPECS = {spec.name: spec for spec in PAGES}
locales = pytest.mark.parametrize("locale", list(LOCALES))

#: One page of each kind: the visitor's pages, a form in its error state, the resident's case and
#: plan, the staff queue and case, the charts (SVG), a table-heavy admin page, an import page.
CHECKED = [
    "anonymous-welcome",
    "anonymous-sign-in-errors",
    "resident-home",
    "resident-new-case-errors",
    "resident-case",
    "resident-plan",
    "staff-queue",
    "staff-case",
    "staff-dashboard",
    "admin-coverage",
    "admin-audit-log",
    "admin-import-checked",
]

#: Installed before any script of the page runs: every refusal is recorded.
WATCH = """
window.__refused = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__refused.push(event.effectiveDirective + ' refused ' + (event.blockedURI || 'inline') +
    ' at ' + event.sourceFile + ':' + event.lineNumber);
});
"""


def watched(page: Page) -> list[str]:
    """Record refusals and console errors and warnings on `page`, from its next navigation."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the browser asks for one by itself (tests/test_static_files.py)
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text} ({message.location})")

    page.add_init_script(WATCH)
    page.on("console", on_console)
    return problems


def refused(page: Page) -> list[str]:
    return list(page.evaluate("window.__refused || []"))


@locales
@pytest.mark.parametrize("name", CHECKED)
def test_pages_pass_axe_under_the_policy_and_nothing_is_refused(
    page_as: PageAs, world: World, name: str, locale: str
) -> None:
    spec = SPECS[name]
    page = page_as(spec.role, locale=locale)
    problems = watched(page)
    open_page(page, spec, world)
    response = page.request.get(page.url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert_no_axe_violations(page, f"{name} ({locale})")
    assert not refused(page), refused(page)
    assert not problems, problems


@locales
def test_the_error_summary_still_takes_focus(page_as: PageAs, world: World, locale: str) -> None:
    page = page_as("resident", locale=locale)
    problems = watched(page)
    open_page(page, SPECS["resident-new-case-errors"], world)
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert not refused(page) and not problems, refused(page) + problems


@locales
def test_read_aloud_still_shows_and_speaks(
    page_as: PageAs, live_server: LiveServer, world: World, locale: str
) -> None:
    page = page_as("anonymous", locale=locale)
    page.context.add_cookies(
        [{"name": "wenxu_display", "value": "read-aloud", "url": live_server.url}]
    )
    problems = watched(page)
    page.goto("/")
    start = page.locator('[data-read-aloud="start"]')
    assert start.is_visible(), "wenxu.js did not run: the button stays hidden"
    page.evaluate("() => { window.speechSynthesis.speak = () => { window.__spoke = true; }; }")
    start.click()
    assert page.evaluate("window.__spoke") is True
    assert not refused(page) and not problems, refused(page) + problems


def test_the_session_warning_still_opens_and_keeps_the_session(page_as: PageAs) -> None:
    page = page_as("resident")
    problems = watched(page)
    page.clock.install()
    page.goto("/")
    page.clock.run_for("28:05")
    assert page.evaluate("document.getElementById('session-warning').open") is True
    with page.expect_response(lambda r: r.url.endswith("/session/keep-alive")) as answer:
        page.locator("#session-warning button").click()
    assert answer.value.status == 204, "the keep-alive fetch (connect-src) was refused"
    assert not refused(page) and not problems, refused(page) + problems


def test_the_policy_is_enforced_and_the_watch_sees_it(page_as: PageAs) -> None:
    """Negative control: an inline script does not run, an inline style does not apply, and
    both are reported."""
    page = page_as("anonymous", locale="en")
    problems = watched(page)
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.__inline = true;';
          document.body.append(script);
          document.querySelector('main').insertAdjacentHTML(
            'beforeend', '<p id="planted" style="display:none">planted</p>');
        }"""
    )
    page.wait_for_function("window.__refused.length >= 2")
    assert page.evaluate("window.__inline") is None
    assert page.locator("#planted").is_visible(), "the inline style applied"
    directives = " ".join(refused(page))
    assert "script-src" in directives and "style-src" in directives
    assert any("Content Security Policy" in problem for problem in problems)
