"""The axe gate's own tests: the page list covers every route, and axe really catches faults.

axe runs on every page × {zh-CN, en} × {mobile 390×844, desktop 1280×800} (A11Y-37) as the first
check of `test_page_checks` in test_page_checks.py, on the same page load as the scripted checks.
The page list is `PAGES` in support.py; the meta-test below fails when a GET route appears in
`app.url_map` that the list does not cover, so a new page cannot escape the gate.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.planting import plant
from tests.browser.support import (
    NOT_PAGES,
    PAGES,
    ROLES,
    World,
    assert_no_axe_violations,
)


def test_every_get_route_is_in_the_page_list(app: Flask) -> None:
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES
    }
    listed = {spec.endpoint for spec in PAGES if spec.endpoint and spec.status == 200}
    assert not routes - listed, (
        f"GET routes missing from PAGES in tests/browser/support.py: {sorted(routes - listed)}"
    )
    stale = sorted(listed - routes)
    assert not stale, f"PAGES lists endpoints that no longer exist: {stale}"


def test_the_page_list_has_each_role_and_an_error_page() -> None:
    assert {spec.role for spec in PAGES} == set(ROLES)
    assert any(spec.status == 404 for spec in PAGES)
    assert any(spec.submit_empty for spec in PAGES)


def test_axe_catches_planted_violations(page_as: Callable[..., Page], world: World) -> None:
    """Negative control: the gate is live, including `target-size` (only on with wcag22aa)."""
    page = page_as("anonymous")
    page.goto("/")
    plant(
        page,
        '<img src="/static/none.png"><input type="text" id="planted">'
        '<p><button style="all:unset;display:inline-block;width:10px;height:10px"></button>'
        '<button style="all:unset;display:inline-block;width:10px;height:10px">b</button></p>',
    )
    with pytest.raises(AssertionError) as caught:
        assert_no_axe_violations(page)
    for rule in ("image-alt", "label", "button-name", "target-size"):
        assert rule in str(caught.value), f"axe did not report {rule}"
