"""The thin journey in a real browser, in both languages, with axe on every page on the way.

A resident signs in through the form, files a complaint (empty first, then far too long, then
right, with an emoji and Chinese), and lands on the case page; a village worker then signs in
and finds the case in the queue with its response deadline, and the acknowledgement in the
outbox. Expected wording comes from the catalogues (`translate`), so the test checks the page
speaks the chosen language, whatever the exact words are.
"""

from __future__ import annotations

import re
from functools import partial

import pytest
from flask import Flask
from flask_babel import force_locale, format_datetime
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.deliver import deliver
from portal.models import Case, Notification, NotificationStatus
from tests.browser.support import (
    HAS_CJK,
    LOCALES,
    NewContext,
    World,
    assert_no_axe_violations,
    translate,
)
from tests.factories import PASSWORD

DESCRIPTION = "路口的盲道被电动车占了，我过不去 🦯 Please move the scooters."
TOO_LONG = ("盲道被占用 tactile paving blocked. " * 200)[:4999] + "。"


def _submit(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=name).click()


def _in_language(text: str, locale: str) -> None:
    """Chinese pages must show Chinese, not English that a missing translation let through."""
    if locale == "zh_CN":
        assert HAS_CJK.search(text), f"not in Chinese: {text!r}"


@pytest.mark.parametrize("locale", list(LOCALES))
def test_resident_files_a_complaint_and_the_village_worker_sees_it(
    app: Flask, new_context: NewContext, fresh_world: World, locale: str
) -> None:
    t = partial(translate, app, locale)
    page = new_context(viewport="mobile", locale=locale).new_page()

    # The welcome page, then the real sign-in form with the number as a resident types it.
    page.goto("/")
    assert page.evaluate("document.documentElement.lang") == LOCALES[locale]
    assert_no_axe_violations(page, "welcome")
    page.locator("main").get_by_role("link", name=t("Sign in")).click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    assert_no_axe_violations(page, "sign-in")
    page.locator("main").get_by_role("link", name=t("Sign in with a password instead")).click()
    expect(page).to_have_url(re.compile(r"/sign-in/password$"))
    page.get_by_label(t("Mobile phone number")).fill(World.national(fresh_world.resident_phone))
    page.get_by_label(t("Password")).fill(PASSWORD)
    _submit(page, t("Sign in"))
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text(t("Your home page"))
    assert_no_axe_violations(page, "resident home")

    # "Tell us about a problem": the form.
    page.locator("main").get_by_role("link", name=t("Tell us about a problem")).click()
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    expect(page.locator("h1")).to_have_text(t("Tell us about a problem"))
    assert_no_axe_violations(page, "new case")

    # Empty: the summary (focused) and the inline errors, in the page's language.
    _submit(page, t("Send"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("h2")).to_have_text(t("There is a problem"))
    expect(summary.locator("a")).to_have_text(
        [t("Choose what it is about"), t("Describe what happened")]
    )
    assert page.title().startswith(t("Error:"))
    inline = page.locator("#description-error")
    expect(inline).to_have_text(f"{t('Error:')} {t('Describe what happened')}")
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    for text in (t("There is a problem"), t("Describe what happened"), page.title()):
        _in_language(text, locale)
    assert_no_axe_violations(page, "new case, empty")

    # 5,000 characters: the length error, and nothing the resident typed is lost.
    category = page.locator("#category option:not([value=''])").first.get_attribute("value")
    assert category
    page.select_option("#category", category)
    page.fill("#description", TOO_LONG)
    _submit(page, t("Send"))
    too_long = t(
        "Use %(limit)d characters or fewer: you have written %(length)d", limit=2000, length=5000
    )
    _in_language(too_long, locale)
    expect(page.locator("#description-error")).to_have_text(f"{t('Error:')} {too_long}")
    expect(page.locator(".error-summary a")).to_have_text([too_long])
    assert page.input_value("#description") == TOO_LONG
    assert page.input_value("#category") == category
    assert_no_axe_violations(page, "new case, too long")

    # Right: Chinese with an emoji. The case page shows its reference.
    page.fill("#description", DESCRIPTION)
    _submit(page, t("Send"))
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    db.session.expire_all()
    case = db.session.scalars(select(Case).where(Case.resident_id == fresh_world.resident_id)).one()
    assert case.description == DESCRIPTION
    assert case.language == locale
    assert page.url.endswith(f"/cases/{case.id}")
    expect(page.locator("h1")).to_contain_text(case.reference)
    banner = page.get_by_role("alert")
    received = t("We have received it. Your reference is %(reference)s.", reference=case.reference)
    expect(banner).to_have_text(received)
    expect(page.locator(".timeline .pre-wrap").first).to_have_text(DESCRIPTION)
    assert_no_axe_violations(page, "case page")
    _deliver_queued(case.id)  # with a real Redis the job waits for a worker: be the worker

    # The village worker, in a new context, signs in the same way and finds the case.
    staff = new_context(viewport="desktop", locale=locale).new_page()
    staff.goto("/sign-in/password")
    staff.get_by_label(t("Mobile phone number")).fill(World.national(fresh_world.staff_phone))
    staff.get_by_label(t("Password")).fill(PASSWORD)
    _submit(staff, t("Sign in"))
    expect(staff).to_have_url(re.compile(r"/admin/$"))
    expect(staff.locator("h1")).to_have_text(t("Cases"))
    due = _local(app, locale, case)
    row = staff.locator("table tbody tr", has_text=case.reference)
    expect(row).to_have_count(1)
    column = staff.locator("table thead th").all_inner_texts().index(t("Next deadline"))
    expect(row.locator("td").nth(column).locator("time")).to_have_text(due)
    assert_no_axe_violations(staff, "staff queue")

    row.get_by_role("link", name=case.reference).click()
    expect(staff).to_have_url(re.compile(rf"/admin/cases/{case.id}$"))
    due_row = staff.locator(".summary__row", has_text=t("Response due"))
    expect(due_row.locator("time")).to_have_text(due)
    assert_no_axe_violations(staff, "staff case")

    staff.locator("header nav").get_by_role("link", name=t("Outbox")).click()
    expect(staff).to_have_url(re.compile(r"/admin/outbox$"))
    message = staff.locator("table tbody tr", has_text=case.reference)
    expect(message).to_have_count(1)
    assert_no_axe_violations(staff, "outbox")


def _local(app: Flask, locale: str, case: Case) -> str:
    """The response deadline as the pages print it (local time, `localtime` filter)."""
    assert case.first_response_due_at is not None
    with app.test_request_context(), force_locale(locale):
        return str(format_datetime(case.first_response_due_at, "yyyy-MM-dd HH:mm"))


def _deliver_queued(case_id: int) -> None:
    db.session.expire_all()
    queued = db.session.scalars(
        select(Notification.id).where(
            Notification.case_id == case_id, Notification.status == NotificationStatus.CREATED
        )
    ).all()
    for notification_id in queued:
        deliver(notification_id)
    db.session.expire_all()
