"""axe and reflow on every non-staff page at 320 px wide, normal and large text, both languages.

Every resident, guardian and visitor page in `PAGES` (error states included) is opened in a
320×640 touch viewport, with normal and with large text: axe must find no violations (same
rules as test_axe.py) and the page must not scroll sideways (WCAG 1.4.10 Reflow).

Large text follows the signed-in resident's own record, else the `wenxu_display` cookie
(portal/views/settings.py), so both are set: the record for the resident, the cookie for a
visitor or a guardian. The `<html class="large-text">` check proves the mode is really on.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from portal.extensions import db
from portal.models import Resident
from portal.services.people.settings import DisplayPrefs
from portal.views.settings import DISPLAY_COOKIE
from tests.browser.conftest import LiveServer
from tests.browser.support import (
    LOCALES,
    NARROW,
    PAGES,
    PageSpec,
    World,
    assert_no_axe_violations,
    open_page,
)

#: Every page a resident, a guardian or a visitor can see (staff pages are desktop tools).
PUBLIC_PAGES = [spec for spec in PAGES if spec.role in ("resident", "anonymous", "guardian")]
SCROLL_WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def page_as(reused_page_as: Callable[..., Page]) -> Callable[..., Page]:
    """These tests only navigate, read, type and resize: their pages can be reused
    (conftest.reused_page_as), which spares a browser window and renderer per test."""
    return reused_page_as


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("spec", PUBLIC_PAGES, ids=[spec.name for spec in PUBLIC_PAGES])
def test_page_at_320_px_has_no_axe_violations_and_reflows(
    page_as: Callable[..., Page],
    live_server: LiveServer,
    world: World,
    spec: PageSpec,
    locale: str,
) -> None:
    """Normal text, then large text, in one browser context (contexts are the slow part)."""
    page = page_as(spec.role, viewport="mobile", locale=locale, size=NARROW)
    resident = db.session.get(Resident, world.resident_id)
    assert resident is not None
    for large in (False, True):
        resident.large_text = large
        db.session.commit()
        cookie = DisplayPrefs(large_text=large).to_cookie()
        page.context.add_cookies(
            [{"name": DISPLAY_COOKIE, "value": cookie, "url": live_server.url}]
        )
        open_page(page, spec, world)
        label = f"{spec.name} [{locale}, {'large' if large else 'normal'} text, 320 px]"
        is_large = page.evaluate("document.documentElement.classList.contains('large-text')")
        assert is_large is large, f"{label}: large text is {'off' if large else 'on'}"
        width = page.evaluate(SCROLL_WIDTH)
        assert width <= NARROW["width"] + 1, f"{label}: scrollWidth {width} > 320"
        assert_no_axe_violations(page, label)
