"""Needs (问需): browse and search the catalogue, say what you need, follow it, withdraw it."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Case,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    NeedItem,
    Notification,
    Role,
)
from portal.services.cases.cases import append_event
from portal.services.cases.needs import CaseNotOpenError, requestable_items, withdraw_case
from portal.services.plans.directory import DOMAINS_BY_CODE
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import error_summary, field_error

WHEELCHAIR = "ACC.WHEELCHAIR"


@pytest.fixture
def resident_user(client_request):
    user, resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    return user, resident


def _item(code=WHEELCHAIR):
    return db.session.scalar(select(NeedItem).where(NeedItem.code == code))


def _need(resident, **kw):
    kw.setdefault("need_item", _item())
    return create_case(resident, case_type=CaseType.NEED, **kw)


# --- The catalogue ---------------------------------------------------------------------------


def test_every_requestable_domain_has_plain_language_text(app):
    domains = {item.domain for item in requestable_items(db.session)}
    assert domains <= set(DOMAINS_BY_CODE)


def test_the_catalogue_is_grouped_by_domain_with_links_to_the_form(client_request, resident_user):
    client_request.set_locale("en")
    page = client_request.get("/needs/catalogue")
    headings = [h.get_text(strip=True) for h in page.find("main").find_all("h2")]
    assert "Making your home easier to use" in headings
    assert "Assistive devices" in headings
    link = page.find("a", href=f"/needs/new?item={WHEELCHAIR}")
    assert link.get_text(strip=True) == "Provide wheelchair"
    # Status items ("is enrolled in school") are not things to ask for.
    assert page.find("a", href="/needs/new?item=EDU.LEVEL") is None
    assert page.find("label", attrs={"for": "q"}).get_text(strip=True)
    assert page.find(role="status") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wheelchair", "ACC.WHEELCHAIR"),
        ("WHEELCHAIR", "ACC.WHEELCHAIR"),
        ("轮椅", "ACC.WHEELCHAIR"),
        ("  Cochlear  ", "REHAB.HEAR.CI"),
        ("盲文", "CULT.BRAILLE_AUDIO"),
    ],
)
def test_search_finds_items_in_either_language(client_request, resident_user, query, expected):
    client_request.set_locale("en")
    page = client_request.get("/needs/catalogue", query_string={"q": query})
    assert page.find("a", href=f"/needs/new?item={expected}")
    status = page.find(role="status").get_text(strip=True)
    assert "match" in status and query.strip() in status
    assert page.find("input", id="q")["value"] == query.strip()
    links = page.find("main").find_all("a", href=lambda h: h and h.startswith("/needs/new?item="))
    assert str(len(links)) in status


@pytest.mark.parametrize("query", ["zzzz-nothing", "%", "_", "没有这个"])
def test_search_without_a_match_says_so(client_request, resident_user, query):
    client_request.set_locale("en")
    page = client_request.get("/needs/catalogue", query_string={"q": query})
    assert "No services match" in page.find(role="status").get_text()
    assert page.find("a", href=lambda h: h and h.startswith("/needs/new?item=")) is None
    assert page.find("a", href="/needs/catalogue")


def test_search_in_chinese_pages_shows_chinese_names(client_request, resident_user):
    page = client_request.get("/needs/catalogue", query_string={"q": "wheelchair"})
    assert page.find("a", href=f"/needs/new?item={WHEELCHAIR}").get_text(strip=True) == "配备轮椅"


# --- Saying what you need ----------------------------------------------------------------------


def test_the_form_preselects_the_item_from_the_catalogue(client_request, resident_user):
    page = client_request.get(f"/needs/new?item={WHEELCHAIR}")
    select_ = page.find("select", id="item")
    assert select_.find("optgroup")
    assert select_.find("option", selected=True)["value"] == WHEELCHAIR
    assert page.find("main").find("form").has_attr("novalidate")


@pytest.mark.parametrize("code", ["NOPE", "EDU.LEVEL", ""])
def test_an_unknown_or_status_item_is_not_preselected(client_request, resident_user, code):
    page = client_request.get(f"/needs/new?item={code}")
    selected = page.find("select", id="item").find_all("option", selected=True)
    assert [option["value"] for option in selected] in ([], [""])


def test_filing_a_need_commits_case_event_and_acknowledgement(client_request, resident_user):
    user, resident = resident_user
    client_request.set_locale("en")
    data = {"item": WHEELCHAIR, "details": "我的轮椅坏了", "contact_time": "weekday mornings"}
    client_request.post(f"/needs/new?item={WHEELCHAIR}", data)
    case = db.session.scalars(select(Case)).one()
    assert client_request.response.location == f"/needs/{case.id}"
    assert case.type == CaseType.NEED and case.status == CaseStatus.NEW
    assert case.need_item.code == WHEELCHAIR
    assert case.description == "我的轮椅坏了" and case.contact_time == "weekday mornings"
    assert case.resolve_due_at is not None
    [event] = db.session.scalars(select(CaseEvent)).all()
    assert event.kind == EventKind.CREATED and event.actor_id == user.id
    assert event.on_behalf_of_id is None
    [message] = db.session.scalars(select(Notification)).all()
    assert case.reference in message.body
    page = client_request.get(f"/needs/{case.id}")
    assert case.reference in page.find("h1").get_text()
    assert case.reference in page.find(class_="banner", role="alert").get_text()
    assert "Provide wheelchair" in page.find(class_="summary").get_text()


def test_details_are_optional(client_request, resident_user):
    client_request.post("/needs/new", {"item": WHEELCHAIR, "details": "", "contact_time": ""})
    case = db.session.scalars(select(Case)).one()
    assert case.description == "" and case.contact_time is None


def test_empty_form_asks_for_the_item(client_request, resident_user):
    page = client_request.post("/needs/new", {"item": ""}, expected_status=200)
    assert page.title.get_text().startswith("错误：")
    links = [a["href"] for a in page.find(class_="error-summary").find_all("a")]
    assert links == ["#item"]
    assert db.session.scalar(select(Case)) is None


@pytest.mark.parametrize("code", ["NOPE", "EDU.LEVEL"])
def test_an_unknown_or_status_item_is_refused(client_request, resident_user, code):
    client_request.set_locale("en")
    page = client_request.post("/needs/new", {"item": code}, expected_status=200)
    assert "Choose what you need" in field_error(page, "item")
    assert db.session.scalar(select(Case)) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("details", "字" * 1001, "Use 1000 characters or fewer: you have written 1001"),
        ("details", "<script>alert(1)</script>", "Write in plain words"),
        ("details", "🙁🙁🙁", "not only symbols or emoji"),
        ("contact_time", "x" * 101, "Use 100 characters or fewer"),
        ("contact_time", "<b>now</b>", "Write in plain words"),
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_is_kept(
    client_request, resident_user, field, value, message
):
    client_request.set_locale("en")
    data = {"item": WHEELCHAIR, field: value}
    page = client_request.post("/needs/new", data, expected_status=200)
    assert message in field_error(page, field)
    assert message in error_summary(page)[0]
    control = page.find(id=field)
    kept = control.get_text() if control.name == "textarea" else control["value"]
    assert kept == value
    assert page.find("select", id="item").find("option", selected=True)["value"] == WHEELCHAIR
    assert page.find("script", string=lambda s: s and "alert" in s) is None
    assert db.session.scalar(select(Case)) is None


def test_guardian_files_a_need_for_their_dependent(client_request):
    dependent = create_resident(create_area(), disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    page = client_request.get("/needs/new")
    assert dependent.name in page.find(class_="acting-for").get_text()
    client_request.post("/needs/new", {"item": WHEELCHAIR})
    case = db.session.scalars(select(Case)).one()
    assert case.resident_id == dependent.id and case.filed_by_id == guardian.id
    event = db.session.scalars(select(CaseEvent)).one()
    assert event.actor_id == guardian.id and event.on_behalf_of_id == dependent.id
    page = client_request.get("/needs")
    assert page.find("a", href=f"/needs/{case.id}")


# --- Following needs ---------------------------------------------------------------------------


def test_the_list_shows_state_due_date_and_the_latest_public_reply(client_request, resident_user):
    user, resident = resident_user
    client_request.set_locale("en")
    older = _need(resident, now=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    newer = _need(resident, need_item=_item("REHAB.HEAR.CI"))
    append_event(db.session, older, EventKind.PUBLIC_REPLY, now=older.created_at, body="first")
    append_event(db.session, older, EventKind.PUBLIC_REPLY, now=older.created_at, body="latest")
    append_event(
        db.session,
        older,
        EventKind.INTERNAL_NOTE,
        now=older.created_at,
        body="secret",
        public=False,
    )
    create_case(resident)  # a complaint: not a need
    db.session.commit()
    page = client_request.get("/needs")
    cards = page.find_all(class_="card")
    assert [c.find("a")["href"] for c in cards] == [f"/needs/{newer.id}", f"/needs/{older.id}"]
    assert "Cochlear implant surgery" in cards[0].get_text()
    assert "Received" in cards[0].find(class_="tag").get_text()
    assert cards[0].find("time")
    assert "latest" in cards[1].find(class_="reply").get_text()
    assert "first" not in cards[1].get_text() and "secret" not in page.get_text()
    assert cards[0].find(class_="reply") is None
    assert page.find("a", class_="button", href="/needs/catalogue").get_text(strip=True) == (
        "Tell us what you need"
    )


def test_an_empty_list_says_so(client_request, resident_user):
    client_request.set_locale("en")
    page = client_request.get("/needs")
    assert "not told us about any needs" in page.find("main").get_text()


def test_the_need_page_shows_the_public_timeline_and_the_withdraw_form(
    client_request, resident_user
):
    user, resident = resident_user
    need = _need(resident, filed_by=user, description="请尽快")
    append_event(
        db.session, need, EventKind.INTERNAL_NOTE, now=need.created_at, body="内部", public=False
    )
    db.session.commit()
    client_request.set_locale("en")
    page = client_request.get(f"/needs/{need.id}")
    assert "请尽快" in page.find(class_="timeline").get_text()
    assert "内部" not in page.get_text()
    form = page.find("form", action=f"/needs/{need.id}/withdraw")
    assert form.find("textarea", id="reason") and form.find("button")


def test_a_complaint_is_not_shown_as_a_need(client_request, resident_user):
    complaint = create_case(resident_user[1])
    db.session.commit()
    client_request.get(f"/needs/{complaint.id}", expected_status=404)
    client_request.post(f"/needs/{complaint.id}/withdraw", expected_status=404)


# --- Withdrawing -------------------------------------------------------------------------------


def test_withdrawing_records_an_event_and_closes_the_need(client_request, resident_user):
    user, resident = resident_user
    need = _need(resident, filed_by=user)
    db.session.commit()
    client_request.set_locale("en")
    client_request.post(f"/needs/{need.id}/withdraw", {"reason": "已经买了"})
    assert client_request.response.location == f"/needs/{need.id}"
    db.session.refresh(need)
    assert need.status == CaseStatus.WITHDRAWN
    assert need.closed_at is not None and need.next_sla_check_at is None
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.WITHDRAWN)).one()
    assert event.actor_id == user.id and event.on_behalf_of_id is None
    assert event.body == "已经买了" and event.data == {"from_status": "new"}
    page = client_request.get(f"/needs/{need.id}")
    assert "withdrawn" in page.find(class_="banner").get_text()
    assert "Withdrawn" in page.find(class_="tag").get_text()
    assert "已经买了" in page.find(class_="timeline").get_text()
    assert page.find("form", action=f"/needs/{need.id}/withdraw") is None


def test_withdrawing_twice_is_refused_with_a_message(client_request, resident_user):
    user, resident = resident_user
    need = _need(resident, filed_by=user)
    db.session.commit()
    client_request.set_locale("en")
    client_request.post(f"/needs/{need.id}/withdraw", {"reason": ""})
    client_request.get(f"/needs/{need.id}")  # shows (and uses up) the first message
    client_request.post(f"/needs/{need.id}/withdraw", {"reason": ""})
    page = client_request.get(f"/needs/{need.id}")
    assert "already closed" in page.find(class_="banner").get_text()
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.WITHDRAWN))
    assert len(events.all()) == 1


def test_a_bad_reason_is_shown_beside_the_field_and_nothing_changes(client_request, resident_user):
    user, resident = resident_user
    need = _need(resident, filed_by=user)
    db.session.commit()
    client_request.set_locale("en")
    page = client_request.post(
        f"/needs/{need.id}/withdraw", {"reason": "<b>no</b>"}, expected_status=200
    )
    assert page.title.get_text().startswith("Error:")
    assert "Write in plain words" in field_error(page, "reason")
    assert page.find("textarea", id="reason").get_text() == "<b>no</b>"
    db.session.refresh(need)
    assert need.status == CaseStatus.NEW


def test_guardian_withdraws_for_their_dependent(client_request):
    dependent = create_resident(create_area())
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    need = _need(dependent, filed_by=guardian)
    db.session.commit()
    client_request.login(guardian)
    client_request.post(f"/needs/{need.id}/withdraw", {"reason": ""})
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.WITHDRAWN)).one()
    assert event.actor_id == guardian.id and event.on_behalf_of_id == dependent.id
    assert event.body is None


def test_the_service_refuses_a_closed_case(app):
    need = _need(create_resident())
    now = datetime.now(UTC)
    withdraw_case(db.session, need, actor=None, on_behalf_of=None, reason=None, now=now)
    with pytest.raises(CaseNotOpenError):
        withdraw_case(db.session, need, actor=None, on_behalf_of=None, reason=None, now=now)
    assert issubclass(CaseNotOpenError, ValueError)


# --- Privacy -----------------------------------------------------------------------------------


def test_a_stranger_gets_404_on_someone_elses_need(client_request, resident_user):
    _, other = create_resident_user()
    need = _need(other)
    db.session.commit()
    client_request.get(f"/needs/{need.id}", expected_status=404)
    client_request.post(f"/needs/{need.id}/withdraw", {"reason": ""}, expected_status=404)
    db.session.refresh(need)
    assert need.status == CaseStatus.NEW
    assert "/needs/" + str(need.id) not in str(client_request.get("/needs"))


def test_a_guardian_gets_404_after_the_guardianship_is_revoked(client_request):
    dependent = create_resident(create_area())
    guardian = create_user(Role.GUARDIAN)
    grant = create_guardianship(guardian, dependent)
    need = _need(dependent)
    grant.revoked_at = datetime.now(UTC)
    db.session.commit()
    client_request.login(guardian)
    client_request.get(f"/needs/{need.id}", expected_status=404)
    client_request.post(f"/needs/{need.id}/withdraw", expected_status=404)


def test_staff_cannot_use_the_resident_pages(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    for url in ("/needs", "/needs/catalogue", "/needs/new"):
        client_request.get(url, expected_status=403)


def test_anonymous_visitors_are_sent_to_sign_in(client_request):
    for url in ("/needs", "/needs/catalogue", "/needs/new", "/needs/1"):
        client_request.get(url, expected_status=302)
        assert client_request.response.location.startswith("/sign-in")
