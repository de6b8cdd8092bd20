"""Role × route: nobody outside a case's scope can reach it through any /admin route.

Every admin route is tried, with every method it accepts, by residents, guardians, staff of
another county (each staff role), and an institution with no residents: ids in the URL point
at a county's case, staff member and API key. Residents and guardians get 404 everywhere;
outsiders get 404 for anything with an id, and pages without one never show the case.
Anonymous users are covered by tests/test_conventions.py (a sign-in redirect everywhere).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, CaseEvent, Institution, PlanStatus, Role
from portal.models.imports import ImportRun
from portal.services.accounts.api_keys import create_key
from portal.services.outbound.call_backs import ASKED, request_call_back
from portal.services.reporting.supervision import draw_round, month_start
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.plan_factories import create_plan, create_plan_item

OUTSIDE_ROLES = (
    Role.VILLAGE_WORKER,
    Role.TOWNSHIP_OFFICER,
    Role.COUNTY_STAFF,
    Role.SUPERVISOR,
)
#: Values for URL parameters that are not ids.
WORDS = {"action": "public-reply", "year": "2026", "case_type": "complaint", "day": "2026-10-01"}


def _admin_rules(app: Flask):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")),
        key=lambda rule: rule.rule,
    )


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    user, resident = create_resident_user(village, name="张在内")
    case = create_case(resident, filed_by=user)
    staff = create_user(Role.VILLAGE_WORKER, area_id=village.id)
    admin = create_user(Role.ADMIN)
    key = create_key(
        db.session, name="12345", area=county, actor_id=admin.id, now=datetime.now(UTC)
    ).row
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, resident)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=elsewhere.id)
    db.session.add(home)
    db.session.flush()
    institution = create_user(Role.INSTITUTION, institution_id=home.id)
    out_township = create_area("511322101000", AreaLevel.TOWNSHIP, parent_id=elsewhere.id)
    out_village = create_area("511322101201", AreaLevel.VILLAGE, parent_id=out_township.id)
    scope = {
        Role.VILLAGE_WORKER: out_village,
        Role.TOWNSHIP_OFFICER: out_township,
        Role.COUNTY_STAFF: elsewhere,
        Role.SUPERVISOR: elsewhere,
    }
    outsiders = {role.value: create_user(role, area_id=scope[role].id) for role in OUTSIDE_ROLES}
    outsiders["institution"] = institution
    call_back = request_call_back(
        db.session, resident, reason=ASKED, dedupe_key="matrix", now=datetime.now(UTC), case=case
    )
    # A plan item (of an active plan) for the delivery routes: not the outside institution's.
    item = create_plan_item(create_plan(create_resident(village), status=PlanStatus.ACTIVE))
    # The resident's plan being written, with one item (the plan routes).
    own_plan = create_plan(resident, status=PlanStatus.DRAFT)
    own_plan_item = create_plan_item(own_plan)
    db.session.commit()
    ids = {"case_id": case.id, "user_id": staff.id, "key_id": key.id, "staff_id": staff.id}
    ids["call_back_id"] = call_back.id
    # This month's supervision round in the township, with the resident sampled.
    round_, _drawn = draw_round(
        db.session,
        township,
        month=month_start(date.today()),
        seed="matrix",
        size=30,
        actor_id=admin.id,
        now=datetime.now(UTC),
    )
    db.session.commit()
    ids["round_id"] = round_.id
    ids["sample_id"] = next(s.id for s in round_.samples if s.resident_id == resident.id)
    # A checked survey import in the county (the import routes).
    run = ImportRun(
        user_id=admin.id,
        area_id=county.id,
        filename="survey.csv",
        sha256="0" * 64,
        year=2026,
        status="checked",
    )
    db.session.add(run)
    db.session.commit()
    ids["run_id"] = run.id
    ids["plan_id"], ids["plan_item_id"] = own_plan.id, own_plan_item.id
    ids["item_id"] = item.id
    ids["resident_id"] = resident.id
    return {
        "case": case,
        "resident": resident,
        "resident_user": user,
        "guardian": guardian,
        "outsiders": outsiders,
        "ids": ids,
    }


def _url(rule, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        return str(ids.get(name, 1)) if converter == "int" else WORDS.get(name, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def _text(response) -> str:
    """The response as text; a spreadsheet's cells joined, so exports are checked too."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    return response.get_data(as_text=True)


def _changes() -> tuple[int, int]:
    events = db.session.scalar(select(func.count()).select_from(CaseEvent))
    # Reads (`*.view`) and the refusals themselves (tests/views/test_audit_gaps.py) are audited.
    audits = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(~AuditEvent.action.like("%.view"), AuditEvent.action != "access.refused")
    )
    return events or 0, audits or 0


@pytest.mark.parametrize("who", ["resident", "guardian"])
def test_residents_and_guardians_get_404_on_every_admin_route(app, client_request, world, who):
    user = world["resident_user"] if who == "resident" else world["guardian"]
    client_request.login(user)
    before = _changes()
    for rule in _admin_rules(app):
        url = _url(rule, world["ids"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client_request.client.open(url, method=method)
            assert response.status_code == 404, f"{who}: {method} {url} → {response.status_code}"
    assert _changes() == before


@pytest.mark.parametrize("role", [*(r.value for r in OUTSIDE_ROLES), "institution"])
def test_staff_outside_the_area_never_reach_the_case(app, client_request, world, role):
    client_request.login(world["outsiders"][role])
    reference, name = world["case"].reference, world["resident"].name
    before = _changes()
    for rule in _admin_rules(app):
        url = _url(rule, world["ids"])
        has_id = "<" in rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client_request.client.open(url, method=method)
            if has_id:
                assert response.status_code == 404, (
                    f"{role}: {method} {url} → {response.status_code}"
                )
            else:
                assert response.status_code in (200, 302, 400, 404), f"{role}: {method} {url}"
            body = _text(response)
            assert reference not in body and name not in body, f"{role}: {method} {url} leaks"
    assert _changes() == before
