"""The staff case page: the resident in brief, the full timeline, and every action's form."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    Institution,
    Notification,
    Role,
)
from portal.services.cases import staff_actions
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import error_summary, field_error


@pytest.fixture
def areas():
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Test county")
    township = create_area(
        "511321101000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="Test town"
    )
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    neighbour = create_area(
        "511321101202", AreaLevel.VILLAGE, parent_id=township.id, name_en="Neighbour village"
    )
    return {"county": county, "township": township, "village": village, "neighbour": neighbour}


@pytest.fixture
def world(areas):
    user, resident = create_resident_user(
        areas["village"],
        name="张盲",
        certificate_masked="511321********1236 42",
        id_number_masked="511321********1236",
    )
    case = create_case(resident, filed_by=user)
    worker = create_user(Role.VILLAGE_WORKER, area_id=areas["village"].id, name="李建国")
    officer = create_user(Role.TOWNSHIP_OFFICER, area_id=areas["township"].id, name="王镇长")
    db.session.commit()
    return {
        "resident_user": user,
        "resident": resident,
        "case": case,
        "worker": worker,
        "officer": officer,
        **areas,
    }


def _events(case, kind):
    return db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
    ).all()


def _audits(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _messages(case, template):
    return db.session.scalars(
        select(Notification).where(
            Notification.case_id == case.id, Notification.template == template
        )
    ).all()


def _reload(case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_the_page_shows_the_resident_in_brief_deadlines_and_history(client_request, world):
    case, worker = world["case"], world["worker"]
    create_guardianship(create_user(Role.GUARDIAN, name="张文"), world["resident"])
    staff_actions.note(
        db.session, case, actor=worker, text="邻居说他周一在家", now=datetime.now(UTC)
    )
    db.session.commit()
    client_request.login(worker)
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{case.id}")
    text = page.get_text(" ", strip=True)
    assert "张盲" in text and "511321********1236 42" in text
    assert world["resident"].phone not in text and world["resident"].phone[-4:] in text
    assert "张文" in text
    assert page.find("time", datetime=case.first_response_due_at.isoformat())
    assert "Internal: staff only" in text and "Public: the resident sees this" in text
    assert "邻居说他周一在家" in text
    # A village worker may reply, note, pause, resolve... but not move a case between villages.
    assert page.find("form", id="public-reply-form") and page.find(
        "textarea", id="public-reply-text"
    )
    assert page.find("form", id="note-form") and not page.find("form", id="transfer-form")
    assert not page.find("form", id="resume-form")
    [audit] = _audits("case.view")
    assert audit.actor_id == worker.id and audit.resident_id == world["resident"].id


def test_the_status_line_says_urgent_overdue_and_escalated_in_words(client_request, world):
    case, worker = world["case"], world["worker"]
    staff_actions.escalate_by_staff(
        db.session, case, actor=worker, reason="需要镇里协调", now=datetime.now(UTC)
    )
    case.urgent = True
    case.current_due_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    client_request.login(worker)
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{case.id}")
    status = page.find(class_="case-status").get_text(" ", strip=True)
    assert "Urgent" in status and "Overdue" in status and "Escalated to Test town" in status
    history = page.find(class_="timeline").get_text(" ", strip=True)
    assert "Escalated to Test town" in history and "需要镇里协调" in history
    assert "Passed up by staff." in history


def _prepare_pause(world):
    staff_actions.pause(
        db.session, world["case"], actor=world["worker"], reason="请提供照片", now=datetime.now(UTC)
    )


def _prepare_help_case(world):
    world["case"] = create_case(world["resident"], case_type=CaseType.HELP)


def _prepare_duplicate(world):
    world["other"] = create_case(world["resident"], description="同一件事")


# (action slug, who acts, form data, set-up, check of the result, template told to the resident)
ACTIONS = [
    (
        "public-reply",
        "worker",
        lambda w: {"public-reply-text": "我们周一上门"},
        None,
        lambda w, c: c.status == CaseStatus.IN_PROGRESS and _events(c, EventKind.PUBLIC_REPLY),
        "staff_reply",
    ),
    (
        "note",
        "worker",
        lambda w: {"note-text": "已电话联系"},
        None,
        lambda w, c: [e.public for e in _events(c, EventKind.INTERNAL_NOTE)] == [False],
        None,
    ),
    (
        "assign",
        "officer",
        lambda w: {"assign-assignee": str(w["worker"].id)},
        None,
        lambda w, c: c.assignee_id == w["worker"].id,
        None,
    ),
    (
        "transfer",
        "officer",
        lambda w: {"transfer-area": str(w["neighbour"].id), "transfer-reason": "住址变了"},
        None,
        lambda w, c: c.area_id == w["neighbour"].id and _events(c, EventKind.ASSIGNED),
        None,
    ),
    (
        "pause",
        "worker",
        lambda w: {"pause-reason": "请提供照片"},
        None,
        lambda w, c: (
            c.status == CaseStatus.WAITING and _events(c, EventKind.PAUSED)[0].body == "请提供照片"
        ),
        "case_paused",
    ),
    (
        "resume",
        "worker",
        lambda w: {},
        _prepare_pause,
        lambda w, c: c.status == CaseStatus.IN_PROGRESS and _events(c, EventKind.RESUMED),
        "case_resumed",
    ),
    (
        "resolve",
        "worker",
        lambda w: {"resolve-text": "已经修好了"},
        None,
        lambda w, c: c.status == CaseStatus.RESOLVED and c.resolved_at is not None,
        "case_resolved",
    ),
    (
        "extend",
        "worker",
        lambda w: {"extend-reason": "需要等县里批复"},
        _prepare_help_case,
        lambda w, c: c.extensions_used == 1 and _events(c, EventKind.EXTENDED),
        "case_extended",
    ),
    (
        "escalate",
        "worker",
        lambda w: {"escalate-reason": "需要镇里协调"},
        None,
        lambda w, c: c.escalated_to_area_id == w["township"].id,
        None,
    ),
    (
        "mark-urgent",
        "worker",
        lambda w: {"mark-urgent-reason": "老人独居"},
        None,
        lambda w, c: c.urgent and _events(c, EventKind.MARKED_URGENT),
        "case_urgent",
    ),
    (
        "merge",
        "worker",
        lambda w: {"merge-reference": w["other"].reference},
        _prepare_duplicate,
        lambda w, c: c.status == CaseStatus.CLOSED and c.merged_into_id == w["other"].id,
        "case_merged",
    ),
]


@pytest.mark.parametrize(
    ("slug", "who", "data", "prepare", "check", "template"), ACTIONS, ids=[a[0] for a in ACTIONS]
)
def test_staff_in_scope_take_each_action(
    client_request, world, slug, who, data, prepare, check, template
):
    if prepare:
        prepare(world)
        db.session.commit()
    case, actor = world["case"], world[who]
    client_request.login(actor)
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{case.id}")
    assert page.find("form", id=f"{slug}-form"), f"no {slug} form"
    client_request.post(f"/admin/cases/{case.id}/{slug}", data(world))
    location = client_request.response.headers["Location"]
    assert location.endswith(f"/admin/cases/{case.id}#history")
    case = _reload(case)
    assert check(world, case)
    action = slug.replace("-", "_")
    [audit] = _audits(f"case.{action}")
    assert (audit.actor_id, audit.resident_id, audit.object_id) == (
        actor.id,
        world["resident"].id,
        case.id,
    )
    if template:
        assert _messages(case, template), f"the resident was not sent {template}"
    page = client_request.get(f"/admin/cases/{case.id}")
    assert page.find(class_="banner--success")


@pytest.mark.parametrize(
    ("role", "slug", "data"),
    [
        (Role.SUPERVISOR, "resolve", {"resolve-text": "已处理"}),
        (Role.SUPERVISOR, "public-reply", {"public-reply-text": "您好"}),
        (Role.VILLAGE_WORKER, "transfer", {"transfer-reason": "住址变了"}),
        (Role.INSTITUTION, "assign", {}),
        (Role.INSTITUTION, "pause", {"pause-reason": "请提供照片"}),
    ],
)
def test_a_role_that_may_not_take_an_action_is_refused_and_nothing_changes(
    client_request, world, role, slug, data
):
    case = world["case"]
    if role == Role.INSTITUTION:
        home = Institution(name_zh="福利院", name_en="Care home", area_id=world["village"].id)
        db.session.add(home)
        db.session.flush()
        world["resident"].institution_id = home.id
        actor = create_user(role, institution_id=home.id)
    else:
        actor = create_user(role, area_id=world["county"].id)
    data["assign-assignee"] = str(world["worker"].id)
    db.session.commit()
    events_before = len(case.events)
    client_request.login(actor)
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{case.id}")
    assert not page.find("form", id=f"{slug}-form")
    page = client_request.post(f"/admin/cases/{case.id}/{slug}", data, expected_status=409)
    assert "You cannot do that to this case now" in page.find(role="alert").get_text()
    case = _reload(case)
    assert case.status == CaseStatus.NEW and case.assignee_id is None
    assert len(case.events) == events_before
    assert not _audits(f"case.{slug.replace('-', '_')}")


def test_an_empty_reply_is_shown_with_its_error_and_a_summary(client_request, world):
    case = world["case"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.post(
        f"/admin/cases/{case.id}/public-reply", {"public-reply-text": "  "}, expected_status=400
    )
    assert error_summary(page) == ["Write your reply to the resident"]
    assert field_error(page, "public-reply-text").endswith("Write your reply to the resident")
    assert page.find("a", href="#public-reply-text")
    assert not _events(_reload(case), EventKind.PUBLIC_REPLY)


def test_invalid_input_is_kept(client_request, world):
    case = world["case"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    typed = "请看 <script>x</script>"
    page = client_request.post(
        f"/admin/cases/{case.id}/pause", {"pause-reason": typed}, expected_status=400
    )
    assert "angle brackets" in field_error(page, "pause-reason")
    assert page.find("textarea", id="pause-reason").get_text() == typed
    assert _reload(case).status == CaseStatus.NEW
    assert not _audits("case.pause")


def test_assign_requires_a_choice(client_request, world):
    case = world["case"]
    client_request.login(world["officer"])
    client_request.set_locale("en")
    page = client_request.post(
        f"/admin/cases/{case.id}/assign", {"assign-assignee": "999999"}, expected_status=400
    )
    assert field_error(page, "assign-assignee") == "Error: Choose who should handle it"


def test_merge_with_an_unknown_reference_says_so_beside_the_field(client_request, world):
    case = world["case"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.post(
        f"/admin/cases/{case.id}/merge", {"merge-reference": "99999999"}, expected_status=400
    )
    assert "no request with that reference" in field_error(page, "merge-reference")
    assert page.find("input", id="merge-reference")["value"] == "99999999"


def test_merge_with_another_residents_case_is_refused(client_request, world):
    case = world["case"]
    other = create_case(create_resident(world["village"]))
    db.session.commit()
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.post(
        f"/admin/cases/{case.id}/merge", {"merge-reference": other.reference}, expected_status=409
    )
    assert "These cannot be joined" in page.find(role="alert").get_text()
    assert page.find("input", id="merge-reference")["value"] == other.reference
    assert _reload(case).status == CaseStatus.NEW
    assert not _audits("case.merge")


def test_marking_urgent_twice_is_refused(client_request, world):
    case = world["case"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    client_request.post(f"/admin/cases/{case.id}/mark-urgent", {"mark-urgent-reason": "独居"})
    page = client_request.get(f"/admin/cases/{case.id}")
    assert not page.find("form", id="mark-urgent-form")
    page = client_request.post(
        f"/admin/cases/{case.id}/mark-urgent", {"mark-urgent-reason": "独居"}, expected_status=409
    )
    assert "already marked urgent" in page.find(role="alert").get_text()
    assert len(_events(_reload(case), EventKind.MARKED_URGENT)) == 1


def test_extending_is_hidden_and_refused_when_no_extension_is_left(client_request, world):
    case = create_case(world["resident"], case_type=CaseType.HELP)
    db.session.commit()
    client_request.login(world["worker"])
    client_request.set_locale("en")
    client_request.post(f"/admin/cases/{case.id}/extend", {"extend-reason": "等批复"})
    page = client_request.get(f"/admin/cases/{case.id}")
    assert not page.find("form", id="extend-form")
    assert "No extension is left" in page.get_text()
    due = _reload(case).resolve_due_at
    page = client_request.post(
        f"/admin/cases/{case.id}/extend", {"extend-reason": "还要等"}, expected_status=409
    )
    assert "cannot be extended again" in page.find(role="alert").get_text()
    case = _reload(case)
    assert case.extensions_used == 1 and case.resolve_due_at == due
    assert len(_audits("case.extend")) == 1


def test_a_complaint_allows_no_extension(client_request, world):
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{world['case'].id}")
    assert not page.find("form", id="extend-form")
    assert "allow no extension" in page.get_text()


SLUGS = [a[0] for a in ACTIONS]


def test_a_case_outside_the_area_is_not_found_for_every_route(client_request, world):
    case = world["case"]
    outsider = create_user(Role.VILLAGE_WORKER, area_id=world["neighbour"].id)
    db.session.commit()
    client_request.login(outsider)
    client_request.get(f"/admin/cases/{case.id}", expected_status=404)
    for slug in SLUGS:
        client_request.post(
            f"/admin/cases/{case.id}/{slug}", {"note-text": "x"}, expected_status=404
        )
    assert _reload(case).status == CaseStatus.NEW
    # Nothing but the refusals themselves is audited.
    assert {a.action for a in db.session.scalars(select(AuditEvent))} == {"access.refused"}
    assert len(_audits("access.refused")) == 1 + len(SLUGS)


def test_residents_cannot_use_the_staff_actions(client_request, world):
    case = world["case"]
    client_request.login(world["resident_user"])
    client_request.post(
        f"/admin/cases/{case.id}/public-reply", {"public-reply-text": "x"}, expected_status=404
    )


def test_the_resident_sees_the_pause_reason_and_the_extension_reason(client_request, world):
    case = create_case(world["resident"], case_type=CaseType.HELP, filed_by=world["resident_user"])
    db.session.commit()
    client_request.login(world["worker"])
    client_request.post(f"/admin/cases/{case.id}/extend", {"extend-reason": "需要等县里批复"})
    client_request.post(f"/admin/cases/{case.id}/pause", {"pause-reason": "请发一张轮椅的照片"})
    due = _reload(case).resolve_due_at
    client_request.login(world["resident_user"])
    client_request.set_locale("en")
    page = client_request.get(f"/cases/{case.id}")
    text = page.find(class_="timeline").get_text(" ", strip=True)
    assert "The deadline was extended" in text and "需要等县里批复" in text
    assert "请发一张轮椅的照片" in text
    from flask_babel import format_datetime

    assert format_datetime(due, "yyyy-MM-dd HH:mm") in text


def test_the_resident_reads_a_merge_and_an_escalation_well(client_request, world):
    case = world["case"]
    other = create_case(world["resident"], description="同一件事")
    db.session.commit()
    client_request.login(world["worker"])
    client_request.post(f"/admin/cases/{other.id}/escalate", {"escalate-reason": "内部理由"})
    client_request.post(f"/admin/cases/{case.id}/merge", {"merge-reference": other.reference})
    client_request.login(world["resident_user"])
    client_request.set_locale("en")
    text = client_request.get(f"/cases/{case.id}").find(class_="timeline").get_text(" ", strip=True)
    assert f"Joined with request {other.reference}" in text
    text = (
        client_request.get(f"/cases/{other.id}").find(class_="timeline").get_text(" ", strip=True)
    )
    assert "Staff asked a senior officer to help with it." in text
    assert "内部理由" not in text  # the staff reason stays internal


def test_system_events_and_uncertain_deadlines_are_said_in_words(client_request, world):
    from portal.services.cases.cases import append_event
    from portal.services.cases.escalation import DEADLINE_PASSED, escalate

    case = world["case"]
    now = datetime.now(UTC)
    append_event(
        db.session,
        case,
        EventKind.SLA_WARNING,
        now=now,
        public=False,
        data={"clock": "first_response", "due": case.first_response_due_at.isoformat()},
    )
    escalate(
        db.session, case, actor=None, reason=DEADLINE_PASSED, now=now, data={"clock": "resolution"}
    )
    case.calendar_unknown = True
    db.session.commit()
    client_request.login(world["worker"])
    client_request.set_locale("en")
    page = client_request.get(f"/admin/cases/{case.id}")
    history = page.find(class_="timeline").get_text(" ", strip=True)
    assert "Deadline warning: the first response is due at" in history
    assert "System" in history and "The resolution deadline passed." in history
    assert "may move" in page.find(id="deadlines").get_text()
    client_request.login(world["resident_user"])
    text = client_request.get(f"/cases/{case.id}").find(class_="timeline").get_text(" ", strip=True)
    assert "The time to answer you had passed" in text


def test_an_urgent_case_may_be_answered_in_quiet_hours_and_the_choice_is_audited(
    client_request, world
):
    case, worker = world["case"], world["worker"]
    client_request.login(worker)
    page = client_request.get(f"/admin/cases/{case.id}")
    assert not page.find("input", id="public-reply-send_now")  # not urgent: not offered
    case.urgent = True
    db.session.commit()
    page = client_request.get(f"/admin/cases/{case.id}")
    assert page.find("input", id="public-reply-send_now", type="checkbox")
    client_request.post(
        f"/admin/cases/{case.id}/public-reply",
        {"public-reply-text": "今晚有人来", "public-reply-send_now": "y"},
    )
    db.session.expire_all()
    replies = db.session.scalars(
        select(Notification).where(Notification.template == "staff_reply")
    ).all()
    assert replies and all(row.override_quiet_hours for row in replies)
    [audit] = _audits("notification.override_quiet_hours")
    assert audit.actor_id == worker.id and audit.object_id == case.id


def test_a_reply_without_send_now_keeps_to_quiet_hours(client_request, world):
    case, worker = world["case"], world["worker"]
    case.urgent = True
    db.session.commit()
    client_request.login(worker)
    client_request.post(f"/admin/cases/{case.id}/public-reply", {"public-reply-text": "明早联系"})
    db.session.expire_all()
    replies = db.session.scalars(
        select(Notification).where(Notification.template == "staff_reply")
    ).all()
    assert replies and not any(row.override_quiet_hours for row in replies)
    assert _audits("notification.override_quiet_hours") == []


def test_a_township_officer_escalates_a_village_case_to_the_county_not_to_himself(
    client_request, world
):
    """#14: the escalation goes above the escalating officer's own level, and the form says
    where. Before, a township officer's first click escalated a village case to his own
    township: he was the one told."""
    county_staff = create_user(Role.COUNTY_STAFF, area_id=world["county"].id, name="赵县干")
    db.session.commit()
    case = world["case"]
    client_request.login(world["worker"])
    client_request.set_locale("en")
    assert "Escalate to Test town" in client_request.get(f"/admin/cases/{case.id}").get_text()
    client_request.login(world["officer"])
    client_request.set_locale("en")
    assert "Escalate to Test county" in client_request.get(f"/admin/cases/{case.id}").get_text()
    client_request.post(f"/admin/cases/{case.id}/escalate", {"escalate-reason": "需要县里协调"})
    (event,) = _events(case, EventKind.ESCALATED)
    assert event.data["to_area"] == world["county"].code
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.template == "staff_escalated")
    ).all()
    assert told == [county_staff.id]


def test_marking_a_case_urgent_tells_the_resident_the_new_date(client_request, world):
    """#14: "mark urgent" shortened the deadline without a word to the resident."""
    from portal.services.sla.sla import local_text

    case = world["case"]
    before = case.resolve_due_at
    client_request.login(world["worker"])
    client_request.post(f"/admin/cases/{case.id}/mark-urgent", {"mark-urgent-reason": "老人独居"})
    case = _reload(case)
    assert case.resolve_due_at < before
    (message,) = _messages(case, "case_urgent")
    assert message.resident_id == world["resident"].id
    assert message.params["due"] == local_text(case.resolve_due_at)
    assert case.reference in message.params["reference"]
