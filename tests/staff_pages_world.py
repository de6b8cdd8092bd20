"""A county with staff of every role and one resident, and what each staff page lists, grown on
demand: the world behind tests/views/test_staff_query_counts.py.

Each `grow_*` function adds `n` more of the rows its page lists (messages, audit events, staff
accounts, plan items with deliveries, call-back tasks...) and flushes; the test commits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Area,
    AreaLevel,
    AuditEvent,
    CalendarDay,
    CaseStatus,
    EventKind,
    Institution,
    ItemStatus,
    MessageChannel,
    NeedItem,
    NeedsAnswer,
    NeedsRecord,
    Notification,
    NotificationStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Rating,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.models.imports import ImportRun
from portal.services.accounts import api_keys
from portal.services.cases.cases import append_event
from portal.services.outbound.call_backs import ASKED, request_call_back
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.plan_factories import create_delivery, create_plan, create_plan_item

_seq = itertools.count(1)
NOW = datetime.now(UTC)
YEAR = NOW.year


@dataclass
class World:
    """Ids only: rows are reloaded when needed, so a grown world never holds stale objects."""

    county_id: int
    township_id: int
    village_ids: list[int]
    institution_id: int
    resident_id: int
    plan_id: int
    item_id: int
    needs_record_id: int
    import_run_id: int
    key_secret: str
    users: dict[str, int]

    def user(self, who: str) -> User:
        user = db.session.get(User, self.users[who])
        assert user is not None
        return user

    def resident(self) -> Resident:
        resident = db.session.get(Resident, self.resident_id)
        assert resident is not None
        return resident

    def village(self, n: int) -> Area:
        """The first village for even `n` (its worker sees the row), else a new one: rows
        spread over many areas, so a lazy load of each row's area shows in the count."""
        if n % 2:
            return new_area(self.township_id)
        area = db.session.get(Area, self.village_ids[0])
        assert area is not None
        return area


_codes = itertools.count()


def new_area(parent_id: int, level: AreaLevel = AreaLevel.VILLAGE) -> Area:
    """A new area under `parent_id` (a village of the township, or a township of the county)."""
    n = 300 + next(_codes) % 700
    code = f"511321{n:03d}000" if level == AreaLevel.TOWNSHIP else f"511321101{n:03d}"
    return create_area(code, level, parent_id=parent_id, name_zh=f"区域{n}", name_en=f"Area {n}")


def build_world() -> World:
    county = create_area("511321000000", AreaLevel.COUNTY, name_zh="仪陇县")
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id, name_zh="镇")
    villages = [
        create_area(f"5113211012{v:02d}", AreaLevel.VILLAGE, parent_id=township.id) for v in (1, 2)
    ]
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    db.session.add(home)
    db.session.flush()
    _user, resident = create_resident_user(villages[0], name="张秀英", institution_id=home.id)
    admin = create_user(Role.ADMIN, name="杨帆")
    users = {
        "admin": admin.id,
        "county_staff": create_user(Role.COUNTY_STAFF, area_id=county.id).id,
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id).id,
        "township_officer": create_user(Role.TOWNSHIP_OFFICER, area_id=township.id).id,
        "village_worker": create_user(Role.VILLAGE_WORKER, area_id=villages[0].id).id,
    }
    plan = create_plan(resident, status=PlanStatus.ACTIVE)
    item = create_plan_item(plan, institution_id=home.id)
    record = NeedsRecord(
        resident_id=resident.id,
        year=YEAR,
        surveyed_on=date(YEAR, 1, 10),
        surveyed_by_id=users["village_worker"],
    )
    db.session.add(record)
    run = ImportRun(
        user_id=users["county_staff"],
        area_id=county.id,
        filename="survey.csv",
        sha256="0" * 64,
        year=YEAR,
        status="rejected",
        errors=[],
    )
    db.session.add(run)
    key = api_keys.create_key(db.session, name="12345", area=county, actor_id=admin.id, now=NOW)
    db.session.flush()
    return World(
        county_id=county.id,
        township_id=township.id,
        village_ids=[v.id for v in villages],
        institution_id=home.id,
        resident_id=resident.id,
        plan_id=plan.id,
        item_id=item.id,
        needs_record_id=record.id,
        import_run_id=run.id,
        key_secret=key.secret,
        users=users,
    )


# --- what the pages list -------------------------------------------------------------------


def grow_messages(world: World, n: int) -> None:
    """Messages to residents of the county: sent, failed with a fallback, skipped."""
    for i in range(n):
        resident = create_resident(world.village(i))
        first = _message(resident, status=NotificationStatus.FAILED, error_code="30003")
        _message(resident, status=NotificationStatus.SENT, fallback_of_id=first.id)
        _message(resident, status=NotificationStatus.SKIPPED, skip_reason="quiet_hours")


def _message(resident: Resident, **columns: object) -> Notification:
    row = Notification(
        dedupe_key=f"guard:{next(_seq)}",
        resident_id=resident.id,
        to_phone=resident.phone,
        template="case_resumed",
        params={"reference": "261100042", "due": "2026-12-17 17:30"},
        body="问需：您的事项 261100042 已恢复办理。",
        created_at=NOW,
        channel=MessageChannel.SMS,
        attempts=1,
        status_at=NOW,
        **columns,
    )
    db.session.add(row)
    db.session.flush()
    return row


def grow_audit_events(world: World, n: int) -> None:
    """Events by different staff about different residents of the county."""
    for i in range(n):
        resident = create_resident(world.village(i))
        actor = create_user(Role.VILLAGE_WORKER, area_id=resident.area_id)
        db.session.add(
            AuditEvent(
                actor_id=actor.id,
                action="case.view",
                resident_id=resident.id,
                object_type="case",
                object_id=i + 1,
                ip_address="192.0.2.1",
                created_at=NOW - timedelta(minutes=i),
                data={},
            )
        )
    db.session.flush()


def grow_staff(world: World, n: int) -> None:
    """Staff accounts of every area level, some of an institution, and more areas to choose."""
    for i in range(n):
        village = new_area(world.township_id)
        if i % 3 == 0:
            create_user(Role.VILLAGE_WORKER, area_id=village.id)
        elif i % 3 == 1:
            township = new_area(world.county_id, AreaLevel.TOWNSHIP)
            create_user(Role.TOWNSHIP_OFFICER, area_id=township.id)
        else:
            institution = Institution(name_zh=f"中心{i}", name_en=f"Centre {i}", area_id=village.id)
            db.session.add(institution)
            db.session.flush()
            create_user(Role.INSTITUTION, institution_id=institution.id)


def grow_guardians(world: World, n: int) -> None:
    """Guardians and agents of the world's resident (the overview lists them)."""
    resident = world.resident()
    for _ in range(n):
        create_guardianship(create_user(Role.GUARDIAN), resident)


def grow_plan(world: World, n: int) -> None:
    """Items of the resident's plan, each delivered and rated, and needs without an answer."""
    plan_id, resident_id = world.plan_id, world.resident_id
    plan = db.session.get(Plan, plan_id)
    assert plan is not None
    services = db.session.scalars(
        select(NeedItem.id).where(NeedItem.kind != "status").order_by(NeedItem.id)
    ).all()
    for i in range(n):
        item = create_plan_item(
            plan,
            need_item_id=services[(len(plan.items) + i) % len(services)],  # each its own service
            institution_id=world.institution_id,
            status=ItemStatus.DELIVERED,
        )
        delivery = create_delivery(item, institution_id=world.institution_id)
        level = Satisfaction.SATISFIED if i % 2 else Satisfaction.DISSATISFIED
        db.session.add(
            Rating(
                resident_id=resident_id, delivery_id=delivery.id, level=level, given_as="resident"
            )
        )
    grow_needs(world, n)


def grow_draft_plan(world: World, n: int) -> None:
    """As `grow_plan`, on a draft (its editor sees a form for each need and item)."""
    plan = db.session.get(Plan, world.plan_id)
    assert plan is not None
    plan.status = PlanStatus.DRAFT
    grow_plan(world, n)


def grow_needs(world: World, n: int) -> None:
    """Needs answered on the year's record, as many as the catalogue has left (up to `n`)."""
    record = db.session.get(NeedsRecord, world.needs_record_id)
    assert record is not None
    taken = {answer.need_item_id for answer in record.answers}
    items = db.session.scalars(
        select(NeedItem)
        .where(NeedItem.kind != "status", NeedItem.active, NeedItem.id.not_in(taken or {0}))
        .order_by(NeedItem.id)
        .limit(n)
    ).all()
    for item in items:
        db.session.add(NeedsAnswer(record_id=record.id, need_item_id=item.id, needed=True))
    db.session.flush()


def grow_surveyed(world: World, n: int) -> None:
    """Residents of the county with the year's home visit recorded (the export lists them)."""
    services = db.session.scalars(
        select(NeedItem.id).where(NeedItem.kind.in_(("need", "both"))).order_by(NeedItem.id)
    ).all()
    for i in range(n):
        resident = create_resident(world.village(i))
        record = NeedsRecord(resident_id=resident.id, year=YEAR, surveyed_on=date(YEAR, 1, 10))
        record.answers = [
            NeedsAnswer(need_item_id=item_id, needed=bool(j % 2))
            for j, item_id in enumerate(services[i % 5 : i % 5 + 3])
        ]
        db.session.add(record)
    db.session.flush()


def grow_deliveries(world: World, n: int) -> None:
    """Deliveries of the world's one plan item (its delivery page lists them)."""
    item = db.session.get(PlanItem, world.item_id)
    assert item is not None
    for _ in range(n):
        create_delivery(item, institution_id=world.institution_id)


def grow_visitors(world: World, n: int) -> None:
    """Staff who may have made the home visit (the survey lists them), and needs answered."""
    for i in range(n):
        area_id = [world.village_ids[0], world.township_id, world.county_id][i % 3]
        create_user(Role.VILLAGE_WORKER if i % 3 == 0 else Role.TOWNSHIP_OFFICER, area_id=area_id)
    grow_needs(world, n)


def grow_call_backs(world: World, n: int) -> None:
    """Open call-back tasks, some about a case, and some already done."""
    for i in range(n):
        resident = create_resident(world.village(i))
        case = create_case(resident) if i % 2 else None
        task = request_call_back(
            db.session, resident, reason=ASKED, dedupe_key=f"guard:{next(_seq)}", now=NOW, case=case
        )
        if i % 3 == 0:
            task.done_at = NOW
            task.done_by_id = world.users["village_worker"]
    db.session.flush()


def grow_institutions(world: World, n: int) -> None:
    """Institutions of the county, each in its own village with a rated delivery."""
    for i in range(n):
        village = new_area(world.township_id)
        institution = Institution(
            name_zh=f"机构{next(_seq)}", name_en=f"Institution {i}", area_id=village.id
        )
        db.session.add(institution)
        db.session.flush()
        resident = create_resident(village, institution_id=institution.id)
        item = create_plan_item(create_plan(resident), institution_id=institution.id)
        delivery = create_delivery(item, institution_id=institution.id)
        db.session.add(
            Rating(
                resident_id=resident.id,
                delivery_id=delivery.id,
                level=Satisfaction.SATISFIED,
                given_as="resident",
            )
        )
    db.session.flush()


def grow_import_runs(world: World, n: int) -> None:
    """Import runs by several county staff."""
    for i in range(n):
        uploader = create_user(Role.COUNTY_STAFF, area_id=world.county_id)
        db.session.add(
            ImportRun(
                user_id=uploader.id,
                area_id=world.county_id,
                filename=f"survey-{i}.csv",
                sha256=f"{i:064d}",
                year=YEAR,
                status=["checked", "rejected", "applied"][i % 3],
                rows_total=10,
                errors=[],
            )
        )
    db.session.flush()


def grow_import_errors(world: World, n: int) -> None:
    """Errors of the world's import run (its page lists them)."""
    run = db.session.get(ImportRun, world.import_run_id)
    assert run is not None
    run.errors = [
        *(run.errors or []),
        *({"row": i + 2, "field": "id_number", "code": "invalid_id_number"} for i in range(n)),
    ]
    run.rows_total = len(run.errors)
    db.session.flush()


def grow_api_keys(world: World, n: int) -> None:
    """Keys for areas of the county, by several administrators."""
    for i in range(n):
        admin = create_user(Role.ADMIN)
        area = new_area(world.county_id, AreaLevel.TOWNSHIP)
        api_keys.create_key(db.session, name=f"key {i}", area=area, actor_id=admin.id, now=NOW)


def grow_calendar(world: World, n: int) -> list[date]:
    """Holidays of this year on days the seed left alone; returns the days added."""
    taken = set(
        db.session.scalars(
            select(CalendarDay.day).where(
                CalendarDay.day >= date(YEAR, 1, 1), CalendarDay.day <= date(YEAR, 12, 31)
            )
        )
    )
    days = [
        day
        for day in (date(YEAR, 1, 1) + timedelta(days=d) for d in range(365))
        if day.year == YEAR and day not in taken
    ][:n]
    for day in days:
        db.session.add(CalendarDay(day=day, is_working_day=False, name="测试假日", source="admin"))
    db.session.flush()
    return days


def grow_cases(world: World, n: int) -> None:
    """Cases in the county with public replies, some resolved."""
    worker = world.user("village_worker")
    for i in range(n):
        case = create_case(create_resident(world.village(i)))
        case.location = "幸福村村委会门口"
        append_event(db.session, case, EventKind.PUBLIC_REPLY, now=NOW, actor=worker, body="在办")
        if i % 2:
            case.status = CaseStatus.RESOLVED
    db.session.flush()
