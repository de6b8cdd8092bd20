"""Faults planted in a real page by the negative controls, to show a check is live."""

from __future__ import annotations

from playwright.sync_api import Page

#: Adds the markup at the end of `main`, then applies its style attributes through the CSSOM.
PLANT_JS = """
(html) => {
  const main = document.querySelector('main');
  main.insertAdjacentHTML('beforeend', html);
  for (const el of main.querySelectorAll('[style]')) {
    el.style.cssText = el.getAttribute('style');
  }
}
"""


def plant(page: Page, html: str) -> None:
    """Add `html` at the end of `main`, styles and all.

    The pages' Content-Security-Policy refuses style attributes in markup
    (portal/security_headers.py); the same declarations set through the CSSOM, which is script,
    apply.
    """
    page.evaluate(PLANT_JS, html)
