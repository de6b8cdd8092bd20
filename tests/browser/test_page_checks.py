"""Scripted checks for what axe misses (docs/accessibility.md checklist), on every catalogued page.

Pages come from `PAGES` in support.py, the same list the axe gate uses, so a new page gets these
checks too. `test_page_checks` loads each page once per locale and viewport and runs the
per-page checks as subtests named by checklist ID (a fresh browser context costs more than the
checks themselves); checks that need their own set-up are separate tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, ViewportSize

from tests.browser.planting import plant
from tests.browser.support import (
    DESCRIBE_JS,
    ERROR_STATE_PAGES,
    LOCALES,
    NARROW,
    PAGE_IDS,
    PAGES,
    ROLES,
    TABBABLES_JS,
    VIEWPORTS,
    PageSpec,
    World,
    assert_no_axe_violations,
    describe,
    open_page,
    translate,
)

PageAs = Callable[..., Page]


@pytest.fixture
def page_as(reused_page_as: Callable[..., Page]) -> Callable[..., Page]:
    """These tests only navigate, read, type and resize: their pages can be reused
    (conftest.reused_page_as), which spares a browser window and renderer per test."""
    return reused_page_as


pages = pytest.mark.parametrize("spec", PAGES, ids=PAGE_IDS)
locales = pytest.mark.parametrize("locale", list(LOCALES))
viewports = pytest.mark.parametrize("viewport", ["mobile", "desktop"])


def _problems(page: Page, script: str, *args: Any) -> list[str]:
    """Run a script body returning a list of problems; `d` describes an element."""
    body = f"(args) => {{ const d = {DESCRIBE_JS}; const tabbables = {TABBABLES_JS}; {script} }}"
    return list(page.evaluate(body, list(args)))


# --- Scripts -------------------------------------------------------------------------------

#: A11Y-05: a visible `<label for>` with text for every visible control.
VISIBLE_LABELS = """
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.opacity !== '0' &&
      !s.clip.startsWith('rect(0') && s.clipPath === 'none';
  };
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (skip.has(el.type) || !visible(el)) continue;
    const label = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    if (!label) { out.push(d(el) + ': no <label for>'); continue; }
    if (!visible(label)) out.push(d(el) + ': its label is not visible');
    else if (!label.innerText.trim()) out.push(d(el) + ': its label has no text');
  }
  return out;
"""

#: A11Y-16/17: no sideways scrolling of the page (data tables scroll inside their own region),
#: and no text cut off by boxes that hide their overflow (the visually-hidden pattern aside).
OVERFLOW = """
  const root = document.documentElement;
  const out = [];
  if (root.scrollWidth > root.clientWidth) {
    out.push('page scrolls sideways: ' + root.scrollWidth + 'px in ' + root.clientWidth + 'px');
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('.table-wrap, .visually-hidden')) continue;
      const r = el.getBoundingClientRect();
      if (r.right > root.clientWidth + 1 && r.width > 0) out.push('  sticks out: ' + d(el));
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (el.closest('.visually-hidden') || el.matches('.table-wrap')) continue;
    if (!/(hidden|clip)/.test(s.overflowX + s.overflowY)) continue;
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
      out.push('clipped content: ' + d(el));
    }
  }
  return out.slice(0, 20);
"""

#: A11Y-19: body text 18px at line-height ≥1.5; no visible text under the 16px floor; other
#: text at line-height ≥1.5, headings (large text) at ≥1.3 (MIIT).
TEXT_SIZES = """
  const out = [];
  const ok = (lineHeight, px, min) => parseFloat(lineHeight) / px + 0.005 >= min;  // px rounding
  const body = getComputedStyle(document.body);
  const size = parseFloat(body.fontSize);
  if (!(size >= 18)) out.push('body font-size ' + size + 'px < 18px');
  if (!ok(body.lineHeight, size, 1.5)) out.push('body line-height ' + body.lineHeight + ' < 1.5');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length) continue;
    if (el.closest('.visually-hidden, option, optgroup, script')) continue;
    const s = getComputedStyle(el);
    const px = parseFloat(s.fontSize);
    if (px < 16) out.push(d(el) + ': ' + px + 'px text is under the 16px floor');
    const heading = el.closest('h1, h2, h3, h4, h5, h6, legend, .site-name');
    const min = heading ? 1.3 : 1.5;
    if (!ok(s.lineHeight, px, min)) out.push(d(el) + ': line-height ' + s.lineHeight + ' < ' + min);
  }
  return out;
"""

#: A11Y-22, the rule. Every pointer target (link, button, control, summary, role=button) is at
#: least 44×44 CSS px (MIIT; WCAG 2.5.8's own floor is 24). A radio or checkbox counts together
#: with its label, since tapping the label operates it. Exempt, as in WCAG 2.5.8's "inline"
#: exception: a link inside a sentence, i.e. whose block (p, li, dd, td, ...) holds other text
#: besides the link, since the line of text sets its height. Hidden elements are skipped; the
#: skip link is measured while focused (when it shows).
TARGET_SIZES = """
  const out = [];
  const inSentence = (el) => {
    const block = el.parentElement.closest(
      'p, li, dd, dt, td, th, label, legend, h1, h2, h3, h4, h5, h6, div');
    return !!block && block.innerText.replace(el.innerText, '').trim().length > 0;
  };
  const selector =
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.tagName === 'A' && inSentence(el)) continue;
    const r = el.getBoundingClientRect();
    let left = r.left, top = r.top, right = r.right, bottom = r.bottom;
    if (el.type === 'radio' || el.type === 'checkbox') {
      for (const label of el.labels) {
        const l = label.getBoundingClientRect();
        left = Math.min(left, l.left); top = Math.min(top, l.top);
        right = Math.max(right, l.right); bottom = Math.max(bottom, l.bottom);
      }
    }
    const w = Math.round((right - left) * 10) / 10, h = Math.round((bottom - top) * 10) / 10;
    if (w < 44 || h < 44) out.push(d(el) + ': ' + w + '×' + h);
  }
  return out;
"""

#: A11Y-23: the focused element and whether it shows an outline ≥3px or a focus ring.
FOCUS_STATE = """
  () => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 3;
    return {key: el.dataset.a11yWalk || '', indicator: outline || s.boxShadow !== 'none',
            style: s.outlineStyle + ' ' + s.outlineWidth + ' / ' + s.boxShadow};
  }
"""


def _active(page: Page) -> str:
    return describe(page, page.evaluate_handle("document.activeElement"))


# --- Per-page checks -------------------------------------------------------------------------


@viewports
@locales
@pages
def test_page_checks(
    page_as: PageAs, world: World, spec: PageSpec, locale: str, viewport: str, subtests: Any
) -> None:
    """Every page, locale and viewport: axe first, on the page as loaded (A11Y-37), then
    A11Y-01, -05, -19, -03, -22, -23, -17, -16 (in that order, since the later ones move focus,
    resize or change the page), then A11Y-29/30. One page load serves all.

    A11Y-29/30 (the help link at the same index among focusable elements, the header
    navigation reading the same, on every page of a role) compares the page with the role's
    first page in PAGES, its reference, in the same viewport and locale: pages that each equal
    the reference equal one another, whichever worker checks them. The values are read as
    loaded, at the test's width and, for staff pages on a phone (checked here at 320 px), at
    390 px too, the phone width the rest of the suite uses."""
    # Staff pages have no separate 320 px axe run (test_axe_large_text covers residents'):
    # their phone-sized run is at 320 px wide instead of 390.
    size = NARROW if viewport == "mobile" and spec.role in ("staff", "admin") else None
    page = page_as(spec.role, viewport=viewport, locale=locale, size=size)
    open_page(page, spec, world)
    # A11Y-29/30 as loaded, before the checks below move focus, resize or change the page.
    loaded, widths = page.viewport_size, _widths(viewport, size)
    assert loaded
    layout = _help_and_navigation(page, widths)

    with subtests.test("axe: no violations"):
        assert_no_axe_violations(page, f"{spec.name} [{locale}, {viewport}]")

    with subtests.test("A11Y-01 <html lang> is the locale"):
        assert page.evaluate("document.documentElement.lang") == LOCALES[locale]

    with subtests.test("A11Y-05 visible <label for> on every control"):
        assert _problems(page, VISIBLE_LABELS) == []

    with subtests.test("A11Y-19 text size and line height"):
        assert _problems(page, TEXT_SIZES) == []

    with subtests.test("A11Y-03 skip link first, Enter moves focus into main"):
        _check_skip_link(page)

    with subtests.test("A11Y-22 targets at least 44×44"):
        page.focus(".skip-link")
        assert _problems(page, TARGET_SIZES) == []

    with subtests.test("A11Y-23 Tab walk: every element reached, focus visible"):
        _check_tab_walk(page)

    with subtests.test("A11Y-17 reflow at 320×256: no sideways scroll, nothing clipped"):
        # Mobile: a small phone. Desktop: 1280 px at 400% zoom (A11Y-36 for the staff pages).
        # Data tables may scroll, inside their own focusable region.
        before = page.viewport_size
        page.set_viewport_size({"width": 320, "height": 256})
        assert _problems(page, OVERFLOW) == []
        assert before
        page.set_viewport_size(before)

    with subtests.test("A11Y-16 200% text: no sideways scroll, nothing clipped"):
        # On a 390 px phone, like every resident page (320 px is for reflow, A11Y-17, and axe:
        # WCAG asks for 200% text or 320 px, not both at once).
        if (
            page.viewport_size
            and page.viewport_size["width"] < VIEWPORTS["mobile"]["viewport"]["width"]
        ):
            page.set_viewport_size(VIEWPORTS["mobile"]["viewport"])
        page.evaluate(
            """() => {
              const root = document.documentElement;
              root.style.fontSize = (parseFloat(getComputedStyle(root).fontSize) * 2) + 'px';
            }"""
        )
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 36
        assert _problems(page, OVERFLOW) == []

    reference = ROLE_REFERENCE[spec.role]
    with subtests.test(f"A11Y-29, A11Y-30 help link and navigation as on {reference.name}"):
        for width, (index, help_exists, _) in layout.items():
            assert index >= 0, f"no help link at {width} px"
            assert help_exists, f"#help missing at {width} px"
        # Last: finding the reference (once per worker) opens the reference page in this tab.
        expected = _reference_layout(page, reference, world, viewport, locale, widths, loaded)
        assert layout == expected


def _check_skip_link(page: Page) -> None:
    positive = page.evaluate(
        "Array.from(document.querySelectorAll('[tabindex]')).filter((el) => el.tabIndex > 0).length"
    )
    assert positive == 0, "a positive tabindex changes the focus order"
    first = page.evaluate(f"({TABBABLES_JS})()[0].className")
    assert first == "skip-link", f"the first focusable element is .{first}, not the skip link"
    if page.evaluate("document.activeElement === document.body"):
        page.keyboard.press("Tab")  # a real first Tab from the top of the page
    else:
        page.focus(".skip-link")  # focus moved on load (the error summary): start at the top
    assert page.evaluate("document.activeElement.className") == "skip-link", _active(page)
    box = page.locator(".skip-link").bounding_box()
    size = page.viewport_size
    assert box and size and box["y"] >= 0 and box["x"] >= 0, f"focused skip link off screen: {box}"
    assert box["x"] + box["width"] <= size["width"], f"focused skip link off screen: {box}"
    page.keyboard.press("Enter")
    assert page.evaluate("!!document.activeElement.closest('main#main')"), (
        "after Enter on the skip link, focus is on " + _active(page)
    )


def _check_tab_walk(page: Page) -> None:
    expected: dict[str, str] = page.evaluate(
        f"""() => {{
          const d = {DESCRIBE_JS};
          const out = {{}};
          ({TABBABLES_JS})().forEach((el, i) => {{
            const key = el.type === 'radio' ? 'radio:' + el.name : String(i);  // one stop a group
            el.dataset.a11yWalk = key;
            out[key] = out[key] || d(el);
          }});
          return out;
        }}"""
    )
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(len(expected) * 2 + 4):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            continue  # past the last element focus leaves the document, then comes round again
        assert state["key"], "Tab reached an element outside the focus order: " + _active(page)
        if state["key"] in seen and len(seen) == len(expected):
            break
        seen[state["key"]] = state
    missing = [expected[key] for key in expected if key not in seen]
    assert not missing, f"Tab never reached: {missing}"
    invisible = [f"{expected[k]} ({s['style']})" for k, s in seen.items() if not s["indicator"]]
    assert not invisible, f"no visible focus indicator on: {invisible}"


# --- A11Y-29, A11Y-30: the same on every page of a role ---------------------------------------

#: The first page of each role in PAGES: the others must match it (A11Y-29, A11Y-30).
ROLE_REFERENCE = {role: next(spec for spec in PAGES if spec.role == role) for role in ROLES}
#: Where the help link is among the focusable elements, whether #help exists, the header nav.
HELP_AND_NAVIGATION = f"""() => [
  ({TABBABLES_JS})().findIndex((el) => el.getAttribute('href') === '#help'),
  !!document.getElementById('help'),
  document.querySelector('header nav').innerText.trim(),
]"""
Layout = dict[int, tuple[int, bool, str]]
#: Reference layouts found by this worker, by role, viewport, locale and widths.
_REFERENCES: dict[tuple[str, str, str, tuple[int, ...]], Layout] = {}


def _widths(viewport: str, size: dict[str, int] | None) -> tuple[int, ...]:
    """The widths A11Y-29/30 are read at: the test's own, and 390 px for a 320 px phone."""
    own = (size or VIEWPORTS[viewport]["viewport"])["width"]
    phone = VIEWPORTS["mobile"]["viewport"]["width"]
    return (own, phone) if viewport == "mobile" and own != phone else (own,)


def _help_and_navigation(page: Page, widths: tuple[int, ...]) -> Layout:
    """HELP_AND_NAVIGATION at each width (a phone's height), the page's size restored after."""
    size = page.viewport_size
    assert size
    found: Layout = {}
    for width in widths:
        if width != size["width"]:
            page.set_viewport_size(
                {"width": width, "height": VIEWPORTS["mobile"]["viewport"]["height"]}
            )
        index, help_exists, nav = page.evaluate(HELP_AND_NAVIGATION)
        found[width] = (index, help_exists, nav)
    if page.viewport_size != size:
        page.set_viewport_size(size)
    return found


def _reference_layout(
    page: Page,
    reference: PageSpec,
    world: World,
    viewport: str,
    locale: str,
    widths: tuple[int, ...],
    loaded: ViewportSize,
) -> Layout:
    """The reference page's layout in this viewport and locale, opened in `page` the first time
    at the size the test's page was loaded at (the checks since may have resized it)."""
    key = (reference.role, viewport, locale, widths)
    if key not in _REFERENCES:
        page.set_viewport_size(loaded)
        open_page(page, reference, world)
        _REFERENCES[key] = _help_and_navigation(page, widths)
    return _REFERENCES[key]


# --- A11Y-09 -------------------------------------------------------------------------------

SUMMARY_LINKS = """
  const out = [];
  const links = document.querySelectorAll('.error-summary a');
  if (!links.length) out.push('the error summary has no links');
  for (const link of links) {
    const href = link.getAttribute('href') || '';
    if (!href.startsWith('#')) { out.push(d(link) + ': not a link into the page'); continue; }
    const id = decodeURIComponent(href.slice(1));
    const target = document.getElementById(id);
    if (!target) { out.push(d(link) + ': #' + id + ' does not exist'); continue; }
    if (!target.matches('input, select, textarea')) out.push(d(link) + ': not a control');
    const field = id.replace(/-0$/, '');
    const error = document.getElementById(field + '-error');
    if (!error) { out.push(d(link) + ': no inline error #' + field + '-error'); continue; }
    if (!error.querySelector('.visually-hidden')) out.push(d(error) + ': no hidden prefix');
    if (target.type !== 'radio') {
      const described = (target.getAttribute('aria-describedby') || '').split(/\\s+/);
      if (!described.includes(field + '-error')) out.push(d(target) + ': not described by error');
      if (target.getAttribute('aria-invalid') !== 'true') out.push(d(target) + ': no aria-invalid');
    }
  }
  return out;
"""


@locales
@pytest.mark.parametrize("spec", ERROR_STATE_PAGES, ids=[p.name for p in ERROR_STATE_PAGES])
def test_error_summary_is_focused_and_links_to_the_fields(
    app: Flask, page_as: PageAs, world: World, spec: PageSpec, locale: str
) -> None:
    """A11Y-09 and A11Y-02: after an empty submit the summary has focus, says what is wrong,
    every link resolves to its field, and the title starts with "Error:"."""
    page = page_as(spec.role, locale=locale)
    open_page(page, spec, world)
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), (
        "focus on load is on " + describe(page, page.evaluate_handle("document.activeElement"))
    )
    assert page.title().startswith(translate(app, locale, "Error:"))
    assert _problems(page, SUMMARY_LINKS) == []
    first = page.locator(".error-summary a").first
    target_id = (first.get_attribute("href") or "#")[1:]
    first.click()
    assert page.evaluate("document.activeElement.id") == target_id, "link does not reach its field"


# --- A11Y-11 -------------------------------------------------------------------------------


@locales
def test_sign_in_allows_paste_and_password_managers(
    page_as: PageAs, world: World, locale: str
) -> None:
    """A11Y-11 and A11Y-10: pasting is never blocked; autocomplete tokens let managers fill in."""
    page = page_as("anonymous", locale=locale)
    page.goto("/sign-in/password")
    for selector in ("#phone", "#password"):
        prevented = page.evaluate(
            """(selector) => {
              const data = new DataTransfer();
              data.setData('text/plain', 'pasted');
              const event = new ClipboardEvent(
                'paste', {clipboardData: data, bubbles: true, cancelable: true});
              document.querySelector(selector).dispatchEvent(event);
              return event.defaultPrevented;
            }""",
            selector,
        )
        assert prevented is False, f"paste into {selector} is blocked"
        assert page.get_attribute(selector, "onpaste") is None
    assert page.get_attribute("#phone", "autocomplete") == "username"
    assert page.get_attribute("#password", "autocomplete") == "current-password"
    # A real keyboard paste lands in the password field.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("navigator.clipboard.writeText('pasted-secret')")
    page.focus("#password")
    page.keyboard.press("ControlOrMeta+V")
    assert page.input_value("#password") == "pasted-secret"
    assert page.locator("main iframe, main canvas, main img").count() == 0, "no CAPTCHA on sign-in"


# --- Negative control ----------------------------------------------------------------------


def test_the_scripts_catch_planted_problems(page_as: PageAs, world: World) -> None:
    """The scripted checks are live: each reports a problem planted on a real page."""
    page = page_as("anonymous")
    page.goto("/")
    plant(
        page,
        '<input id="planted-input" placeholder="Name">'
        '<p style="font-size:14px;line-height:1.2">Small print</p>'
        '<p><a id="planted-link" href="/x" '
        'style="outline:none!important;box-shadow:none!important">x</a></p>'
        '<div style="width:900px">wide</div>',
    )
    assert any("planted-input: no <label for>" in p for p in _problems(page, VISIBLE_LABELS))
    sizes = _problems(page, TEXT_SIZES)
    assert any("14px text is under the 16px floor" in p for p in sizes)
    assert any("Small print" in p and "line-height" in p for p in sizes)
    assert any("planted-link" in p for p in _problems(page, TARGET_SIZES))
    page.set_viewport_size({"width": 320, "height": 256})
    assert any("scrolls sideways" in p for p in _problems(page, OVERFLOW))
    page.focus("#planted-link")
    assert page.evaluate(FOCUS_STATE)["indicator"] is False
