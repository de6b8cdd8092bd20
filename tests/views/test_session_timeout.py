"""Session timeouts: the session ends when idle, a warning comes first, drafts are kept."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.periodic import forget_old_drafts
from portal.models import Case, FormDraft, NeedItem
from tests.factories import PASSWORD, create_resident_user


def _category():
    return db.session.scalar(select(NeedItem.code).where(NeedItem.kind != "status").limit(1))


def test_signed_in_pages_carry_the_warning_dialog(client_request, app):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    page = client_request.get("/")
    dialog = page.find("dialog", id="session-warning")
    assert int(dialog["data-session-seconds"]) == 30 * 60
    assert dialog.get("open") is None  # never open on load (A11Y-28)
    assert dialog.find("form")["action"] == "/session/keep-alive"


def test_visitors_get_no_dialog(client_request):
    assert client_request.get("/sign-in").find("dialog") is None


def test_keep_alive_answers_a_script_and_a_plain_form(client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    response = client_request.client.post(
        "/session/keep-alive", headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 204
    client_request.post("/session/keep-alive", {"next": "/cases/new"})
    assert client_request.response.location == "/cases/new"


def test_a_password_sign_in_session_ends_after_30_idle_minutes(client_request):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client_request.post("/sign-in/password", {"phone": "13800000001", "password": PASSWORD})
        traveller.shift(timedelta(minutes=29))
        client_request.get("/cases/new")  # activity renews the session
        traveller.shift(timedelta(minutes=29))
        client_request.get("/cases/new")
        traveller.shift(timedelta(minutes=31))
        client_request.get("/cases/new", expected_status=302)


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/cases/new", {"case_type": "complaint", "description": "盲道被占用，已经三天了"}),
        ("/needs/new", {"details": "想要一台助听器"}),
    ],
)
def test_what_was_being_written_survives_the_session_ending(client_request, url, form):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.set_locale("en")
    key = "category" if url == "/cases/new" else "item"
    form = dict(form, **{key: _category()})
    # No session: it ended while the resident was writing.
    client_request.post(url, form)
    assert client_request.response.location == f"/sign-in?next={url}"
    draft = db.session.scalars(select(FormDraft)).one()
    assert "csrf_token" not in draft.data
    client_request.login(user)
    page = client_request.get(url)
    text_id = "description" if url == "/cases/new" else "details"
    assert page.find("textarea", id=text_id).get_text() == form[text_id]
    assert "We have put back what you wrote" in page.get_text()
    assert db.session.scalars(select(FormDraft)).all() == []  # handed back once
    assert db.session.scalar(select(Case)) is None  # nothing is sent without the person


def test_an_expired_form_token_keeps_the_text_too(app, client_request):
    user, _ = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = {"case_type": "complaint", "category": _category(), "description": "写了很久"}
        client_request.post("/cases/new", data)  # no (or a stale) CSRF token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert client_request.response.location == "/cases/new"
    page = client_request.get("/cases/new")
    assert page.find("textarea", id="description").get_text() == "写了很久"


def test_other_posts_without_a_session_keep_nothing(client_request):
    client_request.post("/settings", {"channel": "sms"})
    assert client_request.response.location.startswith("/sign-in")
    assert db.session.scalars(select(FormDraft)).all() == []


def test_drafts_nobody_came_back_for_are_forgotten_after_a_week(client_request):
    client_request.post("/cases/new", {"description": "x"})
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8)):
        assert forget_old_drafts() == 1
    assert db.session.scalars(select(FormDraft)).all() == []
