"""A11Y-27 in a real browser: a warning two minutes before the session ends, one tap to go on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import LOCALES, assert_no_axe_violations

PageAs = Callable[..., Page]
locales = pytest.mark.parametrize("locale", list(LOCALES))
OPEN = "document.getElementById('session-warning').open"


@locales
def test_the_warning_comes_two_minutes_before_the_end_and_continue_renews(
    page_as: PageAs, locale: str
) -> None:
    page = page_as("resident", locale=locale)
    page.clock.install()
    page.goto("/cases/new")
    page.focus("#description")
    page.clock.run_for("27:50")
    assert page.evaluate(OPEN) is False, "no warning before 28 minutes"
    page.clock.run_for("00:15")
    assert page.evaluate(OPEN) is True
    dialog = page.locator("#session-warning")
    expect(dialog.get_by_role("button")).to_be_focused()
    assert_no_axe_violations(page, "session warning")
    with page.expect_response(lambda r: r.url.endswith("/session/keep-alive")) as answer:
        dialog.get_by_role("button").click()
    assert answer.value.status == 204
    assert page.evaluate(OPEN) is False
    expect(page.locator("#description")).to_be_focused()  # back where the resident was
    page.clock.run_for("27:00")
    assert page.evaluate(OPEN) is False, "the clock started again after Continue"
    page.clock.run_for("01:30")
    assert page.evaluate(OPEN) is True


def test_escape_closes_the_warning_and_still_renews(page_as: PageAs) -> None:
    page = page_as("resident")
    page.clock.install()
    page.goto("/")
    page.clock.run_for("28:05")
    assert page.evaluate(OPEN) is True
    with page.expect_response(lambda r: r.url.endswith("/session/keep-alive")) as answer:
        page.keyboard.press("Escape")
    assert answer.value.status == 204
    assert page.evaluate(OPEN) is False


def test_visitors_never_see_it(page_as: PageAs) -> None:
    page = page_as("anonymous")
    page.clock.install()
    page.goto("/")
    page.clock.run_for("40:00")
    assert page.locator("dialog").count() == 0
