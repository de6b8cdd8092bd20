"""For the hostile-input property test: a world to act on, its forms, and hostile values.

`build_world()` makes one county with a resident (an open case, a paused one, a resolved
one, a need, a plan in force with a delivery and a new version awaiting agreement), a guardian,
other residents whose plans wait at each step (drafted from this year's needs, awaiting
approval, none yet), one user of every staff role in scope, and what the staff routes act on
(a call-back, an API key, an inactive account, a supervision sample, an import run, a
notification), so that the crawl finds the form of every step somewhere.

`crawl()` reads the forms a role is shown: from a few pages it follows every same-site link
(breadth first, bounded) and keeps each `<form method="post">` with a valid value per field.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    CaseType,
    Institution,
    ItemStatus,
    NeedsAnswer,
    NeedsRecord,
    Notification,
    PlanStatus,
    Role,
    SlaPolicy,
)
from portal.models.imports import ImportRun
from portal.services.accounts.api_keys import create_key
from portal.services.accounts.sign_in import pending_token
from portal.services.cases import staff_actions
from portal.services.outbound.call_backs import ASKED, request_call_back
from portal.services.people.crypto import cipher
from portal.services.reporting.supervision import draw_round, month_start
from tests.case_factories import create_resolved_case
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.plan_factories import create_delivery, create_plan, create_plan_item, need_item

STAFF_ROLES = ("village_worker", "township_officer", "county_staff", "supervisor", "institution")
PHONE = "+8613912345678"


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, int]
    #: Ids that differ for one endpoint (a rating needs the resolved case, not the open one).
    overrides: dict[str, dict[str, int]]
    api_key: str
    resident_id: int


def build_world() -> World:
    now = datetime.now(UTC)
    year = now.year
    county = create_area("511321000000", AreaLevel.COUNTY)
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=village.id)
    db.session.add(home)
    db.session.flush()
    resident_user, resident = create_resident_user(village, phone=PHONE, name="张秀英")
    resident.institution_id = home.id
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, resident)
    admin = create_user(Role.ADMIN)
    users: dict[str, Any] = {"resident": resident_user, "guardian": guardian, "admin": admin}
    for role in STAFF_ROLES:
        area = {"village_worker": village, "township_officer": township}.get(role, county)
        if role == "institution":
            users[role] = create_user(Role.INSTITUTION, institution_id=home.id)
        else:
            users[role] = create_user(Role(role), area_id=area.id)
    target = create_user(Role.VILLAGE_WORKER, area_id=village.id)

    case = create_case(resident, filed_by=resident_user)
    paused = create_case(resident, filed_by=resident_user)
    staff_actions.pause(db.session, paused, actor=admin, reason="请补充照片", now=now)
    resolved = create_resolved_case(resident)
    need = create_case(resident, case_type=CaseType.NEED, need_item=need_item())
    active = create_plan(resident, status=PlanStatus.ACTIVE, year=year)
    item = create_plan_item(active, status=ItemStatus.DELIVERED, institution_id=home.id)
    delivery = create_delivery(item)
    to_deliver = create_plan_item(active, code="ACC.WHEELCHAIR", institution_id=home.id)
    create_plan_item(
        create_plan(resident, status=PlanStatus.AWAITING_AGREEMENT, version=2, is_current=False)
    )
    # Other residents: a plan being drafted from this year's needs, one awaiting the
    # township's approval, and one with no plan yet (each with the institution, for its staff).
    drafted = create_resident(village, institution_id=home.id)
    draft = create_plan(drafted, status=PlanStatus.DRAFT)
    draft_item = create_plan_item(draft)
    record = NeedsRecord(resident_id=drafted.id, year=year, surveyed_on=date(year, 1, 10))
    record.answers = [NeedsAnswer(need_item_id=need_item("ACC.WHEELCHAIR").id, needed=True)]
    db.session.add(record)
    approving = create_resident(village, institution_id=home.id)
    create_plan_item(create_plan(approving, status=PlanStatus.AWAITING_APPROVAL))
    create_resident(village, institution_id=home.id)
    create_user(Role.VILLAGE_WORKER, area_id=village.id, active=False)
    key = create_key(db.session, name="12345", area=county, actor_id=admin.id, now=now)
    call_back = request_call_back(
        db.session, resident, reason=ASKED, dedupe_key="hostile", now=now, case=case
    )
    db.session.commit()
    round_, _drawn = draw_round(
        db.session,
        township,
        month=month_start(now.date()),
        seed="hostile",
        size=30,
        actor_id=admin.id,
        now=now,
    )
    run = ImportRun(
        user_id=admin.id,
        area_id=county.id,
        filename="survey.csv",
        sha256="0" * 64,
        year=year,
        status="checked",
    )
    db.session.add(run)
    db.session.commit()
    ids = {
        "case_id": case.id,
        "resident_id": drafted.id,
        "plan_id": draft.id,
        "plan_item_id": draft_item.id,
        "answer_id": record.answers[0].id,
        "item_id": to_deliver.id,
        "delivery_id": delivery.id,
        "call_back_id": call_back.id,
        "key_id": key.row.id,
        "user_id": target.id,
        "policy_id": db.session.scalars(select(SlaPolicy.id).order_by(SlaPolicy.id)).first(),
        "round_id": round_.id,
        "sample_id": next(s.id for s in round_.samples if s.resident_id == resident.id),
        "run_id": run.id,
        "notification_id": db.session.scalars(select(Notification.id)).first(),
        "year": year,
    }
    overrides = {
        "cases.rate": {"case_id": resolved.id},
        "cases.reopen": {"case_id": resolved.id},
        "needs.withdraw": {"case_id": need.id},
    }
    return World(users, ids, overrides, key.secret, resident.id)


# --- signing in ---------------------------------------------------------------------------


def forget_request_state() -> None:
    """The test holds one app context: each request must load its user and locale afresh."""
    g.pop("_login_user", None)
    refresh()


def sign_in(client: FlaskClient, world: World, role: str, endpoint: str = "") -> None:
    """A session as `role` (or none), with what the endpoint's step of sign-in expects."""
    with client.session_transaction() as session:
        session.clear()
        if endpoint == "auth.enter_code":
            session["sign_in_pending"] = pending_token(PHONE, encrypt=cipher().encrypt)
        elif endpoint.startswith("auth.two_factor"):
            staff = world.users["county_staff"]
            session["two_factor_pending"] = {
                "user_id": staff.id,
                "version": staff.session_version,
                "started": time.time(),
                "next": None,
            }
        if role == "anonymous":
            return
        session["_user_id"] = world.users[role].get_id()
        session["_fresh"] = True
        if role == "guardian":
            session["acting_for"] = world.resident_id
    forget_request_state()


def roles_for(app: Flask, endpoint: str) -> list[str]:
    """Who a POST endpoint is for: its staff roles, visitors signing in, or residents."""
    if endpoint.startswith("admin."):
        return sorted(role.value for role in app.view_functions[endpoint].roles)
    if endpoint.startswith("auth.") and not endpoint.startswith("auth.sign_out"):
        return ["anonymous"]
    if endpoint in ("language.switch", "settings.toggle_large_text"):
        return ["anonymous", "resident", "village_worker"]
    return ["resident", "guardian"]


# --- the forms each role is shown --------------------------------------------------------


@dataclass
class FormField:
    name: str
    value: str
    is_file: bool = False


@dataclass
class Form:
    url: str
    fields: list[FormField] = field(default_factory=list)


#: Links not followed: downloads, and pages about other people's records in bulk.
NOT_FOLLOWED = re.compile(r"export|download|\.csv|\.xlsx|\.json|/print|/static/")
SAMPLES = {"date": "2026-03-15", "number": "1", "tel": "13912345678", "email": "a@example.com"}


def crawl(client: FlaskClient, start: list[str], limit: int) -> list[Form]:
    seen: set[str] = set()
    queue = deque(start)
    forms: list[Form] = []
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        forget_request_state()
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        db.session.rollback()
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for tag in page.find_all("form"):
            if str(tag.get("method") or "get").lower() == "post":
                forms.append(read_form(tag, url))
        for link in page.find_all("a", href=True):
            parts = urlsplit(urljoin(url, str(link["href"])))
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
                continue
            if parts.query or NOT_FOLLOWED.search(parts.path) or parts.path in seen:
                continue
            queue.append(parts.path)
    return forms


def read_form(tag: Tag, page_url: str) -> Form:
    """A form's address and, per field name, one valid value (a file field has none)."""
    form = Form(urlsplit(urljoin(page_url, str(tag.get("action") or page_url))).path)
    names: set[str] = set()
    for control in tag.find_all(["input", "select", "textarea", "button"]):
        name = control.get("name")
        if not name or name in names:
            continue
        kind = str(control.get("type") or "text").lower()
        if control.name == "input" and kind in ("submit", "button", "image", "reset"):
            continue
        names.add(str(name))
        if control.name == "select":
            values = [str(o.get("value", o.get_text())) for o in control.find_all("option")]
            value = next((v for v in values if v), "")
        elif control.name == "textarea":
            value = control.get_text() or "测试文字"
        else:
            value = str(control.get("value") or SAMPLES.get(kind, "测试"))
        form.fields.append(FormField(str(name), value, is_file=kind == "file"))
    return form


# --- hostile values -----------------------------------------------------------------------

CONTROL = [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028"]
EDGE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\U0001f600",
    "\U00020000",
    "\uffff",
    "\ufffd",
    "e\u0301",
    "<script>alert(1)</script>",
    "'; DROP TABLE case_event; --",
    "%00",
    "%(name)s",
    "{{ 7 * 7 }}",
    "../../etc/passwd",
    "None",
]
NUMBERS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1e9",
    "1e400",
    "NaN",
    "inf",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999",
    "０",
    "١٢",
    "0x1A",
    " 7 ",
    "1_000",
]
DATES = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "-2026-01-01",
    "2026/01/01",
    "20260101",
    "１９９９-０１-０１",
    "2026-01-01T00:00:00",
    "2026-W01",
]
HUGE = ["x" * 100_000, "长" * 30_000, "9" * 5_000]
FILE_CONTENTS = [b"", b"\x00\x01\x02", b"\xef\xbb\xbfname,id\n\x00,1\n", b"PK\x03\x04broken zip"]
FILE_NAMES = ["survey.csv", "survey.xlsx", "a\x00.csv", "..\\..\\x.xlsx", "长" * 300 + ".csv", ""]


def hostile_text() -> st.SearchStrategy[str]:
    """Control characters, Unicode edge cases, numbers and dates that are not, huge strings."""
    with_control = st.builds(
        lambda before, control, after: before + control + after,
        st.text(max_size=8),
        st.sampled_from(CONTROL),
        st.text(max_size=8),
    )
    return st.one_of(
        st.sampled_from(EDGE + NUMBERS + DATES),
        st.text(max_size=30),
        with_control,
        st.sampled_from(HUGE),
    )


def hostile_file() -> st.SearchStrategy[tuple[bytes, str]]:
    contents = st.one_of(st.sampled_from(FILE_CONTENTS), st.binary(max_size=200))
    return st.tuples(contents, st.sampled_from(FILE_NAMES))


def need_item_id() -> int:
    """A catalogue item staff may add to a plan."""
    from portal.services.cases.needs import requestable_items

    return requestable_items(db.session)[0].id
