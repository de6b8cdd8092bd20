"""Following a case to the end: reply, confirm, reopen within 15 days, rate the handling."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Case,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    GivenAs,
    Rating,
    Role,
    Satisfaction,
)
from portal.services.cases.case_actions import RESIDENT_ACTIONS, ActionRefused, allowed_actions
from portal.services.cases.cases import append_event
from tests.case_factories import resolve
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import error_summary, field_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
RESOLVED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def resident_user(client_request):
    user, resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return user, resident


def _case(resident, **kw):
    return create_case(resident, now=kw.pop("now", datetime.now(UTC)), **kw)


def pause(case, at, reason="请把残疾证照片发给我们。"):
    append_event(db.session, case, EventKind.PAUSED, now=at, body=reason)
    case.status = CaseStatus.WAITING
    case.first_responded_at = case.first_responded_at or at
    case.next_sla_check_at = None
    db.session.commit()
    return case


def events(case, kind):
    """The case's events of `kind` in the order they were written (PostgreSQL may return rows
    in another order without one)."""
    return db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
        .order_by(CaseEvent.id)
    ).all()


def snapshot(case):
    db.session.expire_all()
    row = db.session.get(Case, case.id)
    return (
        row.status,
        row.reopen_count,
        row.escalation_level,
        row.resolve_due_at,
        len(row.events),
        db.session.scalar(select(Rating.id).where(Rating.case_id == case.id)),
    )


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_open_cases_first_then_finished_without_needs(client_request, resident_user):
    _, resident = resident_user
    done = resolve(_case(resident, case_type=CaseType.SUGGESTION))
    open_case = _case(resident)
    need = _case(resident, case_type=CaseType.NEED)
    other = _case(create_resident())
    db.session.commit()
    page = client_request.get("/cases")
    links = [a["href"] for a in page.select("main .card a")]
    assert links == [f"/cases/{open_case.id}", f"/cases/{done.id}"]
    assert f"/cases/{need.id}" not in links and f"/cases/{other.id}" not in links
    cards = page.select("main .card")
    assert open_case.reference in cards[0].get_text() and "Answer due by" in cards[0].get_text()
    assert "Resolved on" in cards[1].get_text()
    assert page.find("a", href="/cases/new", class_="button")


def test_the_list_says_when_nothing_is_there(client_request, resident_user):
    page = client_request.get("/cases")
    assert "You have no open requests." in page.get_text()


# --- Reply ----------------------------------------------------------------------------------


def test_reply_is_recorded_and_shown(client_request, resident_user):
    user, resident = resident_user
    case = _case(resident)
    db.session.commit()
    page = client_request.get(f"/cases/{case.id}")
    assert page.find("textarea", id="reply-text")
    assert not page.find(id="reopen-reason") and not page.find(id="rating-level-0")
    client_request.post(f"/cases/{case.id}/reply", {"reply-text": "  周三上午在家。 "})
    assert client_request.response.location == f"/cases/{case.id}"
    [event] = events(case, EventKind.RESIDENT_REPLY)
    assert event.body == "周三上午在家。" and event.actor_id == user.id
    assert event.on_behalf_of_id is None
    page = client_request.get(f"/cases/{case.id}")
    assert "周三上午在家。" in page.find(class_="timeline").get_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your reply"),
        ("字" * 2001, "Use 2000 characters or fewer: you have written 2001"),
        ("<script>x</script>", "Write in plain words"),
        ("🙂🙂", "not only symbols or emoji"),
    ],
)
def test_a_bad_reply_gets_a_message_beside_the_field_and_keeps_the_text(
    client_request, resident_user, text, message
):
    _, resident = resident_user
    case = _case(resident)
    db.session.commit()
    page = client_request.post(f"/cases/{case.id}/reply", {"reply-text": text}, expected_status=200)
    assert message in field_error(page, "reply-text")
    assert page.find("textarea", id="reply-text").get_text() == text
    assert page.title.get_text().startswith("Error:")
    assert page.find(class_="error-summary").find("a")["href"] == "#reply-text"
    assert events(case, EventKind.RESIDENT_REPLY) == []


def test_pause_reason_is_shown_and_reply_resumes_and_extends_the_deadline(
    client_request, resident_user
):
    user, resident = resident_user
    filed = datetime(2025, 11, 17, 10, 0, tzinfo=SHANGHAI)  # Monday
    case = _case(resident, now=filed)
    db.session.commit()
    # 15 working days after Monday 17 Nov 2025: Monday 8 Dec, close of business.
    assert case.resolve_due_at == datetime(2025, 12, 8, 17, 30, tzinfo=SHANGHAI)
    pause(case, datetime(2025, 11, 18, 10, 0, tzinfo=SHANGHAI), reason="请补充门牌号。")
    with time_machine.travel(datetime(2025, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        client_request.login(user)
        page = client_request.get(f"/cases/{case.id}")
        assert "The clock is stopped" in page.find(role="note").get_text()
        timeline = page.find(class_="timeline").get_text()
        assert "Waiting for you" in timeline and "请补充门牌号。" in timeline
        client_request.post(f"/cases/{case.id}/reply", {"reply-text": "门牌号是12号。"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.IN_PROGRESS
    [resumed] = events(case, EventKind.RESUMED)
    assert resumed.actor_id == user.id
    # The pause took two working days (Tuesday and Wednesday): the deadline moves by two.
    assert case.resolve_due_at == datetime(2025, 12, 10, 17, 30, tzinfo=SHANGHAI)
    # The sweep looks again when the next warning or escalation comes, never after the deadline.
    assert filed < case.next_sla_check_at <= case.resolve_due_at


def test_pause_reason_from_data_is_shown(client_request, resident_user):
    _, resident = resident_user
    case = _case(resident)
    append_event(
        db.session, case, EventKind.PAUSED, now=datetime.now(UTC), data={"reason": "需要照片"}
    )
    case.status = CaseStatus.WAITING
    db.session.commit()
    page = client_request.get(f"/cases/{case.id}")
    assert "需要照片" in page.find(class_="timeline").get_text()


# --- Confirm --------------------------------------------------------------------------------


def test_confirm_closes_a_resolved_case(client_request, resident_user):
    user, resident = resident_user
    case = resolve(_case(resident))
    page = client_request.get(f"/cases/{case.id}")
    assert page.find("form", id="confirm-form")
    client_request.post(f"/cases/{case.id}/confirm")
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    [event] = events(case, EventKind.STATUS_CHANGED)[-1:]
    assert event.data["to"] == "closed" and event.actor_id == user.id
    page = client_request.get(f"/cases/{case.id}")
    assert "You confirmed it is resolved" in page.find(class_="timeline").get_text()
    assert not page.find("form", id="confirm-form")


@pytest.mark.parametrize("action", ["confirm", "reopen", "rating"])
def test_actions_for_resolved_cases_are_refused_while_open(client_request, resident_user, action):
    _, resident = resident_user
    case = _case(resident)
    db.session.commit()
    before = snapshot(case)
    data = {"reopen-reason": "还是不行", "rating-level": "satisfied"}
    client_request.post(f"/cases/{case.id}/{action}", data)
    assert client_request.response.location == f"/cases/{case.id}"
    assert snapshot(case) == before
    page = client_request.get(f"/cases/{case.id}")
    assert "That cannot be done now" in page.find(class_="banner").get_text()


def test_reply_is_refused_once_resolved(client_request, resident_user):
    _, resident = resident_user
    case = resolve(_case(resident))
    before = snapshot(case)
    client_request.post(f"/cases/{case.id}/reply", {"reply-text": "你好"})
    assert snapshot(case) == before
    assert not client_request.get(f"/cases/{case.id}").find(id="reply-text")


def test_nothing_can_be_done_with_a_withdrawn_case(client_request, resident_user):
    _, resident = resident_user
    case = _case(resident)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    assert RESIDENT_ACTIONS[CaseStatus.WITHDRAWN] == frozenset()
    page = client_request.get(f"/cases/{case.id}")
    assert not page.select("main form")


# --- Reopen ---------------------------------------------------------------------------------


def _reopen_at(client_request, user, case, moment, reason="路口还是被占着。"):
    with time_machine.travel(moment, tick=False):
        client_request.login(user)
        client_request.post(f"/cases/{case.id}/reopen", {"reopen-reason": reason})


def test_reopen_on_day_15_opens_the_case_with_a_new_deadline(client_request, resident_user):
    user, resident = resident_user
    case = resolve(_case(resident, now=FILED), at=RESOLVED)
    moment = datetime(2026, 3, 17, 23, 0, tzinfo=SHANGHAI)  # day 15, late evening
    _reopen_at(client_request, user, case, moment)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.IN_PROGRESS and case.reopen_count == 1
    assert case.resolved_at is None
    # 15 working days after Tuesday 17 March 2026: Tuesday 7 April (Qingming is 4–6 April).
    assert case.resolve_due_at > moment + timedelta(days=15)
    # The new resolution clock warns at two thirds of its time.
    assert moment < case.next_sla_check_at < case.resolve_due_at
    [event] = events(case, EventKind.REOPENED)
    assert event.body == "路口还是被占着。" and event.actor_id == user.id


def test_reopen_on_day_16_is_refused_by_the_server(client_request, resident_user):
    user, resident = resident_user
    case = resolve(_case(resident, now=FILED), at=RESOLVED)
    before = snapshot(case)
    moment = datetime(2026, 3, 18, 0, 30, tzinfo=SHANGHAI)  # day 16, just after midnight
    with time_machine.travel(moment, tick=False):
        client_request.login(user)
        page = client_request.get(f"/cases/{case.id}")
        assert not page.find(id="reopen-reason")
        assert "cannot be opened again" in page.get_text()
    _reopen_at(client_request, user, case, moment)
    assert client_request.response.location == f"/cases/{case.id}"
    assert snapshot(case) == before
    with time_machine.travel(moment, tick=False):
        page = client_request.get(f"/cases/{case.id}")
    assert "more than 15 days" in page.find(class_="banner").get_text()


def test_the_page_says_until_when_it_can_be_reopened(client_request, resident_user):
    user, resident = resident_user
    case = resolve(_case(resident, now=FILED), at=RESOLVED)
    with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI), tick=False):
        client_request.login(user)
        page = client_request.get(f"/cases/{case.id}")
    assert "until 2026-03-17" in page.get_text()


def test_reopen_needs_a_reason(client_request, resident_user):
    _, resident = resident_user
    case = resolve(_case(resident))
    before = snapshot(case)
    page = client_request.post(
        f"/cases/{case.id}/reopen", {"reopen-reason": " "}, expected_status=200
    )
    assert "Say why you want to open it again" in field_error(page, "reopen-reason")
    assert error_summary(page) == ["Say why you want to open it again"]
    assert page.find(id="rating-level-0") and page.find(id="reply-text") is None
    assert snapshot(case) == before


def test_a_closed_case_can_be_reopened_within_the_window(client_request, resident_user):
    _, resident = resident_user
    case = resolve(_case(resident))
    client_request.post(f"/cases/{case.id}/confirm")
    client_request.post(f"/cases/{case.id}/reopen", {"reopen-reason": "又坏了"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.IN_PROGRESS and case.closed_at is None


# --- Rating ---------------------------------------------------------------------------------


def test_rating_is_recorded_once_per_resolution(client_request, resident_user):
    user, resident = resident_user
    case = resolve(_case(resident))
    page = client_request.get(f"/cases/{case.id}")
    assert page.find(id="rating-level-0").find_parent("fieldset").find("legend")
    client_request.post(
        f"/cases/{case.id}/rating", {"rating-level": "basic", "rating-comment": "慢了一点"}
    )
    rating = db.session.scalars(select(Rating)).one()
    assert (rating.case_id, rating.level, rating.comment) == (
        case.id,
        Satisfaction.BASIC,
        "慢了一点",
    )
    assert rating.given_as == GivenAs.RESIDENT and rating.given_by_id == user.id
    [event] = events(case, EventKind.RATED)
    assert event.data["level"] == "basic"
    page = client_request.get(f"/cases/{case.id}")
    assert "You rated how it was handled: Basically satisfied." in page.get_text()
    assert not page.find(id="rating-level-0")
    before = snapshot(case)
    client_request.post(f"/cases/{case.id}/rating", {"rating-level": "dissatisfied"})
    assert snapshot(case) == before
    page = client_request.get(f"/cases/{case.id}")
    assert "already rated" in page.find(class_="banner").get_text()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "rating-level", "Choose how satisfied you are"),
        ({"rating-level": "great"}, "rating-level", "Choose how satisfied you are"),
        (
            {"rating-level": "satisfied", "rating-comment": "<b>好</b>"},
            "rating-comment",
            "Write in plain words",
        ),
    ],
)
def test_bad_ratings_get_a_message_beside_the_field(
    client_request, resident_user, data, field, message
):
    _, resident = resident_user
    case = resolve(_case(resident))
    page = client_request.post(f"/cases/{case.id}/rating", data, expected_status=200)
    assert message in field_error(page, field)
    if data.get("rating-comment"):
        assert page.find("textarea", id="rating-comment").get_text() == data["rating-comment"]
        assert page.find(id="rating-level-0").has_attr("checked")
    assert db.session.scalar(select(Rating)) is None


def test_dissatisfied_reopens_once_then_escalates(client_request, resident_user):
    _, resident = resident_user
    case = resolve(_case(resident))
    client_request.post(
        f"/cases/{case.id}/rating", {"rating-level": "dissatisfied", "rating-comment": "没人来"}
    )
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.IN_PROGRESS and case.reopen_count == 1
    [reopened] = events(case, EventKind.REOPENED)
    assert reopened.data["reason"] == "dissatisfied_rating" and reopened.body == "没人来"
    page = client_request.get(f"/cases/{case.id}")
    assert "not satisfied with how it was handled" in page.find(class_="timeline").get_text()

    resolve(case)
    client_request.post(f"/cases/{case.id}/rating", {"rating-level": "dissatisfied"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.RESOLVED and case.reopen_count == 1
    assert case.escalation_level == 1
    [escalated] = events(case, EventKind.ESCALATED)
    assert escalated.data["reason"] == "dissatisfied twice" and "to_area" in escalated.data
    page = client_request.get(f"/cases/{case.id}")
    timeline = page.find(class_="timeline").get_text()
    assert "Passed to a senior officer one level up" in timeline and "twice" in timeline


def test_satisfied_changes_nothing_else(client_request, resident_user):
    _, resident = resident_user
    case = resolve(_case(resident))
    client_request.post(f"/cases/{case.id}/rating", {"rating-level": "satisfied"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.reopen_count, case.escalation_level) == (CaseStatus.RESOLVED, 0, 0)


# --- Guardians, strangers, services -------------------------------------------------------


def test_guardian_actions_record_who_acted_for_whom(client_request):
    dependent = create_resident(create_area(), disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    case = resolve(_case(dependent))
    client_request.login(guardian)
    client_request.set_locale("en")
    client_request.post(f"/cases/{case.id}/rating", {"rating-level": "dissatisfied"})
    rating = db.session.scalars(select(Rating)).one()
    assert rating.given_as == GivenAs.GUARDIAN and rating.given_by_id == guardian.id
    assert rating.resident_id == dependent.id
    client_request.post(f"/cases/{case.id}/reply", {"reply-text": "他下午在家。"})
    for kind in (EventKind.RATED, EventKind.REOPENED, EventKind.RESIDENT_REPLY):
        [event] = events(case, kind)
        assert event.actor_id == guardian.id and event.on_behalf_of_id == dependent.id
    page = client_request.get(f"/cases/{case.id}")
    assert f"By {guardian.name}, acting for the resident" in page.find(class_="timeline").get_text()


def test_a_view_only_guardian_cannot_act(client_request):
    from portal.models import GuardianScope

    dependent = create_resident(create_area())
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent, scope=GuardianScope.VIEW)
    case = _case(dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.get(f"/cases/{case.id}")
    client_request.post(f"/cases/{case.id}/reply", {"reply-text": "你好"}, expected_status=403)
    assert events(case, EventKind.RESIDENT_REPLY) == []


@pytest.mark.parametrize("action", ["reply", "confirm", "reopen", "rating"])
def test_a_strangers_case_answers_404(client_request, resident_user, action):
    other = create_resident()
    case = resolve(_case(other))
    before = snapshot(case)
    client_request.get(f"/cases/{case.id}", expected_status=404)
    data = {"reply-text": "hi", "reopen-reason": "x", "rating-level": "dissatisfied"}
    client_request.post(f"/cases/{case.id}/{action}", data, expected_status=404)
    assert snapshot(case) == before


def test_services_refuse_actions_the_table_does_not_allow(app):
    from portal.services.cases import case_actions

    user, resident = create_resident_user()
    case = _case(resident)
    now = datetime.now(UTC)
    assert allowed_actions(db.session, case, now) == {"reply"}
    with pytest.raises(ActionRefused) as refused:
        case_actions.confirm(db.session, case, actor=user, now=now)
    assert refused.value.code == "not_allowed"
    resolve(case, at=now - timedelta(days=20))
    assert allowed_actions(db.session, case, now) == {"confirm", "rate"}
    with pytest.raises(ActionRefused) as refused:
        case_actions.reopen(db.session, case, actor=user, reason="x", now=now)
    assert refused.value.code == "window_closed"


def test_dissatisfied_after_the_window_escalates_instead_of_reopening(
    client_request, resident_user
):
    user, resident = resident_user
    case = resolve(_case(resident, now=FILED), at=RESOLVED)
    with time_machine.travel(datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        client_request.login(user)
        client_request.post(f"/cases/{case.id}/rating", {"rating-level": "dissatisfied"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.reopen_count, case.escalation_level) == (CaseStatus.RESOLVED, 0, 1)
    [escalated] = events(case, EventKind.ESCALATED)
    assert escalated.data["reason"] == "dissatisfied after the reopening window"
