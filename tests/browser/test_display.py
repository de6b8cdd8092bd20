"""Display preferences in a real browser: large text (A11Y-20), high contrast and read-aloud
(A11Y-21), on the home page and the settings page, in both languages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from portal.extensions import db
from portal.models import Resident
from tests.browser.conftest import LiveServer
from tests.browser.planting import plant
from tests.browser.support import (
    AXE_OPTIONS,
    LOCALES,
    PAGES,
    World,
    assert_no_axe_violations,
    open_page,
)

PageAs = Callable[..., Page]
locales = pytest.mark.parametrize("locale", list(LOCALES))
SPECS = {spec.name: spec for spec in PAGES}
#: Pages checked in each display mode: the visitor's and the resident's home, and settings.
DISPLAY_PAGES = [
    "anonymous-welcome",
    "resident-home",
    "resident-settings",
    "resident-settings-errors",
]

ROOT_PX = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
BODY_PX = "parseFloat(getComputedStyle(document.body).fontSize)"
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _with_display(
    page_as: PageAs, live_server: LiveServer, world: World, role: str, locale: str, mode: str
) -> Page:
    """A page for `role` with the display `mode` on: in the cookie for a visitor, in the
    resident's settings for a resident."""
    page = page_as(role, locale=locale)
    if role == "anonymous":
        page.context.add_cookies([{"name": "wenxu_display", "value": mode, "url": live_server.url}])
    else:
        resident = db.session.get(Resident, world.resident_id)
        assert resident is not None
        setattr(resident, mode.replace("-", "_"), True)
        db.session.commit()
    return page


def _pressed(page: Page) -> str | None:
    return page.locator("form[action='/display/large-text'] button").get_attribute("aria-pressed")


# --- Large text ------------------------------------------------------------------------------


@locales
def test_larger_text_button_scales_the_page_and_it_still_reflows(
    page_as: PageAs, world: World, locale: str
) -> None:
    page = page_as("anonymous", locale=locale)
    page.goto("/sign-in")
    normal_root = page.evaluate(ROOT_PX)
    assert _pressed(page) == "false"
    assert page.evaluate("document.documentElement.classList.contains('large-text')") is False

    with page.expect_navigation():
        page.locator("form[action='/display/large-text'] button").click()
    assert page.url.endswith("/sign-in"), "the toggle returns to the same page"
    assert _pressed(page) == "true"
    assert page.evaluate(ROOT_PX) >= 1.25 * normal_root
    assert page.evaluate(BODY_PX) >= 18
    primary = page.locator("main .button").first.bounding_box()
    assert primary and primary["width"] >= 60 and primary["height"] >= 60, primary

    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(SIDEWAYS) <= 0, "sideways scroll at 320 px in large text"

    with page.expect_navigation():
        page.locator("form[action='/display/large-text'] button").click()
    assert _pressed(page) == "false"
    assert page.evaluate(ROOT_PX) == normal_root


@locales
@pytest.mark.parametrize("name", DISPLAY_PAGES)
def test_large_text_pages_reflow_at_320_px(
    page_as: PageAs, live_server: LiveServer, world: World, locale: str, name: str
) -> None:
    spec = SPECS[name]
    page = _with_display(page_as, live_server, world, spec.role, locale, "large-text")
    page.set_viewport_size({"width": 320, "height": 640})
    open_page(page, spec, world)
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert page.evaluate(ROOT_PX) >= 1.25 * 18
    assert page.evaluate(BODY_PX) >= 18
    assert page.evaluate(SIDEWAYS) <= 0, f"{name}: sideways scroll at 320 px in large text"


# --- axe in each mode ------------------------------------------------------------------------


@locales
@pytest.mark.parametrize("mode", ["large-text", "high-contrast"])
@pytest.mark.parametrize("name", DISPLAY_PAGES)
def test_display_modes_have_no_axe_violations(
    page_as: PageAs, live_server: LiveServer, world: World, locale: str, mode: str, name: str
) -> None:
    spec = SPECS[name]
    page = _with_display(page_as, live_server, world, spec.role, locale, mode)
    open_page(page, spec, world)
    assert page.evaluate(f"document.documentElement.classList.contains('{mode}')")
    assert_no_axe_violations(page, f"{name} [{locale}, {mode}]")


@locales
@pytest.mark.parametrize("name", DISPLAY_PAGES)
def test_high_contrast_text_reaches_7_to_1(
    page_as: PageAs, live_server: LiveServer, world: World, locale: str, name: str
) -> None:
    """WCAG 1.4.6 (AAA, 7:1) through axe's `color-contrast-enhanced` rule."""
    from axe_playwright_python.sync_playwright import Axe

    spec = SPECS[name]
    page = _with_display(page_as, live_server, world, spec.role, locale, "high-contrast")
    open_page(page, spec, world)
    options: dict[str, Any] = dict(AXE_OPTIONS)
    options["runOnly"] = {"type": "rule", "values": ["color-contrast-enhanced"]}
    result = Axe().run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"


def test_the_7_to_1_check_catches_grey_text(
    page_as: PageAs, live_server: LiveServer, world: World
) -> None:
    """Negative control: grey text on the black page (about 4.7:1) fails the enhanced rule."""
    from axe_playwright_python.sync_playwright import Axe

    page = _with_display(page_as, live_server, world, "anonymous", "en", "high-contrast")
    page.goto("/")
    plant(page, '<p style="color:#777777">Grey words</p>')
    options: dict[str, Any] = dict(AXE_OPTIONS)
    options["runOnly"] = {"type": "rule", "values": ["color-contrast-enhanced"]}
    assert Axe().run(page, options=options).violations_count == 1


# --- Read-aloud ------------------------------------------------------------------------------

STUB_SPEAK = """
() => {
  window.__spoken = [];
  window.speechSynthesis.speak = (u) => window.__spoken.push({lang: u.lang, text: u.text});
}
"""


@locales
@pytest.mark.parametrize("role", ["anonymous", "resident"])
def test_read_aloud_speaks_main_in_the_page_language(
    page_as: PageAs, live_server: LiveServer, world: World, locale: str, role: str
) -> None:
    """A11Y-21: headless Chromium has no voices, so `speak` is stubbed and its input checked."""
    page = _with_display(page_as, live_server, world, role, locale, "read-aloud")
    page.goto("/settings" if role == "resident" else "/")
    start = page.locator('[data-read-aloud="start"]')
    stop = page.locator('[data-read-aloud="stop"]')
    assert start.is_visible(), "the script shows the button where speech synthesis exists"
    assert stop.is_hidden()
    page.evaluate(STUB_SPEAK)
    start.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken, "nothing was spoken"
    assert {item["lang"] for item in spoken} == {LOCALES[locale]}
    assert page.evaluate("document.documentElement.lang") == LOCALES[locale]
    heading = page.locator("main h1").inner_text().strip()
    assert heading in [item["text"] for item in spoken]
    assert start.inner_text() not in [item["text"] for item in spoken], "reads main only"
    assert stop.is_visible()
    stop.click()
    assert stop.is_hidden()
    assert page.evaluate("document.activeElement.dataset.readAloud") == "start"


def test_read_aloud_stays_hidden_without_speech_synthesis(
    page_as: PageAs, live_server: LiveServer, world: World
) -> None:
    page = _with_display(page_as, live_server, world, "anonymous", "en", "read-aloud")
    page.add_init_script("delete Window.prototype.speechSynthesis; delete window.speechSynthesis;")
    page.goto("/")
    assert page.evaluate("'speechSynthesis' in window") is False
    assert page.locator('[data-read-aloud="start"]').count() == 1
    assert page.locator('[data-read-aloud="start"]').is_hidden()


def test_read_aloud_is_absent_unless_asked_for(page_as: PageAs, world: World) -> None:
    page = page_as("anonymous", locale="en")
    page.goto("/")
    assert page.locator("[data-read-aloud]").count() == 0
