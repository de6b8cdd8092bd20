"""Redis stopped while residents file complaints (issue #10, point 7, scenario g).

Residents sign in over HTTP, then Redis is stopped for FAULT_REDIS_OUTAGE_SECONDS (60 by
default) while they file complaints through the web, spread over the outage. Every complaint
must be filed (a redirect to the new case, never a 5xx); `/healthz/messages` must say 503
throughout the outage and 200 again after; once Redis is back, every acknowledgement must be
delivered exactly once within two minutes, by the same worker and scheduler processes.
"""

from __future__ import annotations

import os
import re
import time

import requests
from sqlalchemy import select

from portal.models import NeedItem, Resident
from tests.factories import PASSWORD
from tests.faults.scenario import judge, last_id, make_residents, settle
from tests.faults.stack import Stack, wait_until

OUTAGE = float(os.environ.get("FAULT_REDIS_OUTAGE_SECONDS", "60"))
RESIDENTS = 10
RECOVERY = 120.0
HEALTH_EVERY = 5.0
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')  # a creating form's one-time token


class Browser:
    """A resident's browser without JavaScript: a cookie jar and the forms' hidden tokens."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def tokens(self, path: str) -> dict[str, str]:
        page = self.session.get(self.base + path, timeout=30)
        assert page.status_code == 200, f"GET {path}: {page.status_code}"
        match = TOKEN.search(page.text)
        assert match, f"no CSRF token on {path}"
        once = FORM_TOKEN.search(page.text)
        return {"csrf_token": match.group(1)} | ({"form_token": once.group(1)} if once else {})

    def post(self, path: str, form: dict[str, str]) -> requests.Response:
        form = {**form, **self.tokens(path)}
        return self.session.post(self.base + path, data=form, allow_redirects=False, timeout=30)

    def sign_in(self, phone: str) -> None:
        answer = self.post("/sign-in/password", {"phone": phone, "password": PASSWORD})
        assert answer.status_code == 302, f"sign-in answered {answer.status_code}"


def health(stack: Stack) -> int:
    return requests.get(f"{stack.web_url}/healthz/messages", timeout=30).status_code


def test_g_redis_stopped_while_residents_file_complaints(stack: Stack):
    people = make_residents(stack, RESIDENTS)
    with stack.db() as session:
        category = session.scalar(select(NeedItem.code).where(NeedItem.kind != "status").limit(1))
        phones = [session.get(Resident, rid).phone for rid, _ in people]
    browsers = [Browser(stack.web_url) for _ in phones]
    for browser, phone in zip(browsers, phones, strict=True):
        browser.sign_in(phone)
    since = last_id(stack)

    stack.stop_redis()
    down = time.monotonic()
    filings: list[tuple[int, str]] = []
    during: list[int] = []
    due = [down + 1 + i * (OUTAGE - 3) / RESIDENTS for i in range(RESIDENTS)]
    next_health = down + 1
    while time.monotonic() - down < OUTAGE:
        now = time.monotonic()
        if due and now >= due[0]:
            due.pop(0)
            answer = browsers[len(filings)].post(
                "/cases/new",
                {"case_type": "complaint", "category": category, "description": "盲道被占用了"},
            )
            filings.append((answer.status_code, answer.headers.get("Location", "")))
        elif now >= next_health:
            during.append(health(stack))
            next_health = now + HEALTH_EVERY
        else:
            time.sleep(0.1)
    stack.start_redis()
    up = time.monotonic()
    print(f"[faults] g: Redis down for {up - down:.0f} s; filings {filings}; health {during}")

    assert len(filings) == RESIDENTS
    assert all(status == 302 and re.search(r"/cases/\d+$", at) for status, at in filings)
    assert during and set(during) == {503}, f"/healthz/messages during the outage: {during}"
    outcome = settle(stack, since, up, f"g Redis down {OUTAGE:.0f} s", timeout=RECOVERY)
    back = wait_until(lambda: health(stack) == 200, timeout=max(5.0, RECOVERY - outcome.seconds))
    judge(stack, outcome, since)
    assert outcome.seconds <= RECOVERY
    assert back, "/healthz/messages did not answer 200 after Redis came back"
