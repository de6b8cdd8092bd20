"""What the audit log holds besides single reads (#11, point 9): requests refused for being
outside the user's scope, staff reads of lists (cases, residents, the outbox) with their
filters, and what each staff action on a case changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, CaseType, Role
from tests.factories import (
    create_area,
    create_case,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.plan_factories import create_plan, create_plan_item


@pytest.fixture
def world():
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    neighbour = create_area("511321101202", AreaLevel.VILLAGE, parent_id=township.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    far_village = create_area("511322101201", AreaLevel.VILLAGE, parent_id=elsewhere.id)
    ours = create_resident(village, name="张在内")
    theirs = create_resident(far_village, name="李在外")
    plan = create_plan(theirs)
    item = create_plan_item(plan)
    world = {
        "county": county,
        "township": township,
        "village": village,
        "neighbour": neighbour,
        "ours": ours,
        "theirs": theirs,
        "our_case": create_case(ours),
        "their_case": create_case(theirs),
        "plan": plan,
        "item": item,
        "worker": create_user(Role.VILLAGE_WORKER, area_id=village.id, name="李建国"),
        "officer": create_user(Role.TOWNSHIP_OFFICER, area_id=township.id, name="王镇长"),
        "admin": create_user(Role.ADMIN),
    }
    db.session.commit()
    return world


def _audits(action):
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


# --- refused requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "object_type", "key"),
    [
        ("get", "/admin/cases/{their_case}", "case", "their_case"),
        ("post", "/admin/cases/{their_case}/note", "case", "their_case"),
        ("get", "/admin/residents/{theirs}", "resident", "theirs"),
        ("get", "/admin/residents/{theirs}/card", "resident", "theirs"),
        ("get", "/admin/residents/{theirs}/plan", "resident", "theirs"),
        ("post", "/admin/residents/{theirs}/plan/{plan}/submit", "plan", "plan"),
        ("get", "/admin/plan-items/{item}/deliveries/new", "plan_item", "item"),
    ],
)
def test_a_request_outside_the_users_area_is_refused_and_audited(
    client_request, world, method, path, object_type, key
):
    url = path.format(**{name: world[name].id for name in ("their_case", "theirs", "plan", "item")})
    client_request.login(world["worker"])
    response = client_request.client.open(
        url, method=method.upper(), data={"note-text": "看看"}, environ_base=_from("203.0.113.9")
    )
    assert response.status_code == 404
    [refusal] = _audits("access.refused")
    assert refusal.actor_id == world["worker"].id
    assert (refusal.object_type, refusal.object_id) == (object_type, world[key].id)
    assert refusal.ip_address == "203.0.113.9"
    assert refusal.data["path"] == url and refusal.data["method"] == method.upper()
    # The row names the resident asked about: the supervisors of their area see who asked.
    assert refusal.resident_id == world["theirs"].id
    assert _audits("case.note") == [] and _audits("case.view") == []


def test_an_id_that_does_not_exist_is_audited_without_a_resident(client_request, world):
    client_request.login(world["worker"])
    client_request.get("/admin/cases/987654", expected_status=404)
    [refusal] = _audits("access.refused")
    assert (refusal.object_type, refusal.object_id, refusal.resident_id) == ("case", 987654, None)


def test_a_page_the_role_may_not_open_is_audited(client_request, world):
    client_request.login(world["worker"])
    client_request.get("/admin/audit", expected_status=404)
    [refusal] = _audits("access.refused")
    assert refusal.object_type is None and refusal.data["endpoint"] == "admin.audit_log"


def test_what_the_user_may_see_is_not_a_refusal(client_request, world):
    client_request.login(world["worker"])
    client_request.get(f"/admin/cases/{world['our_case'].id}")
    assert _audits("access.refused") == []


def test_every_admin_route_refused_to_a_resident_is_audited(app: Flask, client_request, world):
    user, _ = create_resident_user(world["village"])
    db.session.commit()
    client_request.login(user)
    tried = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1").replace(f"<{name}>", "public-reply")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client_request.client.open(url, method=method)
            assert response.status_code == 404, f"{method} {url}"
            tried += 1
    refusals = _audits("access.refused")
    assert len(refusals) == tried and {r.actor_id for r in refusals} == {user.id}


def _from(address):
    return {"REMOTE_ADDR": address}


# --- lists ------------------------------------------------------------------------------


def test_the_case_queue_is_audited_once_per_view_with_its_filters(client_request, world):
    client_request.login(world["officer"])
    client_request.get(
        f"/admin/?type=complaint&status=all&area={world['village'].id}&assignee=unassigned"
    )
    [row] = _audits("case_list.view")
    assert row.actor_id == world["officer"].id and row.resident_id is None
    assert row.data["filters"] == {
        "case_type": "complaint",
        "status": "all",
        "deadline": "",
        "area_id": world["village"].id,
        "assignee": "unassigned",
    }
    assert row.data["shown"] == 1  # the village's one complaint
    client_request.get("/admin/")
    assert len(_audits("case_list.view")) == 2


def test_the_resident_list_is_audited_with_its_search(client_request, world):
    client_request.login(world["officer"])
    client_request.get(f"/admin/residents?q=张&area={world['village'].id}&survey=not_done")
    [row] = _audits("resident_list.view")
    assert row.actor_id == world["officer"].id
    assert row.data["filters"] == {
        "search": "张",
        "area_id": world["village"].id,
        "survey": "not_done",
        "after": None,
    }
    assert row.data["shown"] == 1


def test_the_outbox_is_audited(client_request, world):
    client_request.login(world["worker"])
    client_request.get("/admin/outbox")
    [row] = _audits("outbox.view")
    assert row.actor_id == world["worker"].id
    assert row.data["shown"] == 1  # the acknowledgement of the village's case


# --- what each staff action changed -----------------------------------------------------


def _act(client_request, world, slug, data, who="officer", case="our_case"):
    client_request.login(world[who])
    client_request.post(f"/admin/cases/{world[case].id}/{slug}", data)
    return _audits(f"case.{slug.replace('-', '_')}")[-1]


def test_assigning_records_the_assignee_before_and_after(client_request, world):
    row = _act(client_request, world, "assign", {"assign-assignee": str(world["worker"].id)})
    assert row.data["changes"] == {"assignee_id": [None, world["worker"].id]}
    assert row.data["event_id"]
    row = _act(client_request, world, "assign", {"assign-assignee": str(world["officer"].id)})
    assert row.data["changes"] == {"assignee_id": [world["worker"].id, world["officer"].id]}


def test_transferring_records_the_target_area_and_the_reason(client_request, world):
    data = {"transfer-area": str(world["neighbour"].id), "transfer-reason": "住址变了"}
    row = _act(client_request, world, "transfer", data)
    assert row.data["changes"]["area"] == ["511321101201", "511321101202"]
    assert row.data["reason"] == "住址变了"


@pytest.mark.parametrize(
    ("slug", "data", "changed"),
    [
        ("pause", {"pause-reason": "请提供照片"}, {"status": ["new", "waiting"]}),
        ("mark-urgent", {"mark-urgent-reason": "老人独居"}, {"urgent": [False, True]}),
        ("escalate", {"escalate-reason": "需要镇里协调"}, {"escalated_to_area": [None, "x"]}),
    ],
)
def test_each_action_records_its_reason_and_what_changed(
    client_request, world, slug, data, changed
):
    row = _act(client_request, world, slug, data, who="worker")
    [reason] = data.values()
    assert row.data["reason"] == reason
    for name, (before, after) in changed.items():
        if after == "x":
            after = world["township"].code
        assert row.data["changes"][name][:2] == [before, after]


def test_extending_records_the_deadline_before_and_after(client_request, world):
    world["help"] = create_case(world["ours"], case_type=CaseType.HELP)
    db.session.commit()
    before = world["help"].resolve_due_at
    row = _act(
        client_request, world, "extend", {"extend-reason": "需要等县里批复"}, "worker", "help"
    )
    old, new = row.data["changes"]["resolve_due_at"]
    assert datetime.fromisoformat(old) == before < datetime.fromisoformat(new)
    assert row.data["changes"]["extensions_used"] == [0, 1]
    assert row.data["reason"] == "需要等县里批复"


def test_a_reply_records_its_event_not_its_text(client_request, world):
    row = _act(
        client_request, world, "public-reply", {"public-reply-text": "我们周一上门"}, "worker"
    )
    assert "reason" not in row.data and "我们周一上门" not in str(row.data)
    assert row.data["changes"] == {"status": ["new", "in_progress"]}
    assert row.data["event_id"]
    assert datetime.now(UTC) >= row.created_at


def test_a_refusal_that_cannot_be_audited_is_still_a_404(client_request, world, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database gone"))

    monkeypatch.setattr("admin.audit.record_refusal", broken)
    client_request.login(world["worker"])
    client_request.get(f"/admin/cases/{world['their_case'].id}", expected_status=404)
    assert _audits("access.refused") == []
