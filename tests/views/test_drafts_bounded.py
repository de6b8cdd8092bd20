"""Anonymous drafts are bounded (#11, point 7): a post to /cases/new or /needs/new without a
session is kept as a draft, so anyone can make one; each is size-capped, a browser keeps one,
and one address may leave only so many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import FormDraft
from portal.views.cases import DESCRIPTION_LIMIT

ADDRESS = "203.0.113.7"


def drafts() -> int:
    return db.session.scalar(select(func.count()).select_from(FormDraft)) or 0


def post_anonymously(app, url: str, data: dict[str, str], address: str = ADDRESS):
    client = app.test_client()  # a new browser: no cookie, no earlier draft
    client.set_cookie("wenxu_lang", "en")
    return client, client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


def flashed(client) -> str:
    return client.get("/sign-in").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "field"), [("/cases/new", "description"), ("/needs/new", "details")]
)
def test_a_draft_larger_than_any_form_is_not_kept(app, url, field):
    client, response = post_anonymously(app, url, {field: "a" * 1_750_000})  # as in #11
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")
    assert drafts() == 0
    assert "could not be kept: it is longer than this form allows" in flashed(client)


def test_the_longest_real_draft_is_kept(app):
    data = {
        "case_type": "complaint",
        "description": "盲" * DESCRIPTION_LIMIT,
        "contact_time": "晚" * 100,
    }
    client, _ = post_anonymously(app, "/cases/new", data)
    assert drafts() == 1
    assert "we kept what you wrote" in flashed(client)


def test_one_address_may_leave_only_so_many_drafts(app):
    data = {"description": "x"}
    with time_machine.travel(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(10):
            post_anonymously(app, "/cases/new", data)
        client, response = post_anonymously(app, "/needs/new", {"details": "x"})
        assert response.status_code == 302 and response.location.startswith("/sign-in")
        assert drafts() == 10, "the 11th in a minute is refused, whichever form"
        assert "too many forms were sent from your connection" in flashed(client)

        post_anonymously(app, "/cases/new", data, address="203.0.113.8")
        assert drafts() == 11, "another address has its own allowance"

        for _ in range(3):
            clock.shift(timedelta(minutes=2))
            for _ in range(10):
                post_anonymously(app, "/cases/new", data)
        assert drafts() == 31, "30 an hour from one address"


def test_a_browser_keeps_one_draft(app):
    client = app.test_client()
    for text in ("first", "second", "third"):
        client.post("/cases/new", data={"description": text})
    assert db.session.scalars(select(FormDraft.data)).all() == [{"description": "third"}]
