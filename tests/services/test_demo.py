"""The demo seed: every state pages must show, working accounts, idempotent, not in production.

Seeding takes a couple of seconds, so each test checks one theme of a single seed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.auth import verify_password
from portal.clients.job_queue import PENDING
from portal.config import ProductionConfig
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    Area,
    AreaLevel,
    Case,
    CaseStatus,
    CaseType,
    Delivery,
    GuardianKind,
    GuardianScope,
    Guardianship,
    ItemStatus,
    Notification,
    NotificationStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Rating,
    Relationship,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.services.people.access import cases_for
from portal.services.people.crypto import cipher
from portal.services.people.identifiers import validate_certificate_number
from portal.services.people.residents import find_by_id_number, reveal_id_number
from tests.conftest import _delete_rows
from tests.factories import create_area, create_user

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)  # 11:00 in Sichuan, a Wednesday
RESIDENTS = 60
MODELS = (Area, Resident, User, Plan, PlanItem, Delivery, Case, Rating, Notification)


@pytest.fixture
def seeded(app):
    summary = seed_demo(db.session, now=NOW, residents=RESIDENTS)
    db.session.commit()
    return summary


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _values(column) -> set:
    return set(db.session.scalars(select(column).distinct()))


def _user(phone: str) -> User:
    return db.session.scalar(select(User).where(User.phone == phone))


def test_county_and_residents(seeded):
    assert "13800000001 (resident)" in seeded
    assert DEMO_PASSWORD in seeded
    assert f"{RESIDENTS} residents" in seeded
    assert "\n" not in seeded

    def at(level):
        return db.session.scalars(select(Area).where(Area.level == level)).all()

    (county,) = at(AreaLevel.COUNTY)
    townships, villages = at(AreaLevel.TOWNSHIP), at(AreaLevel.VILLAGE)
    assert county.code == "511321000000"
    assert len(townships) == 3
    assert len(villages) == 8
    assert {t.code[6] for t in townships} == {"0", "1", "2"}  # street, town, township
    assert all(t.parent_id == county.id and t.service_phone for t in townships)
    assert all(v.parent and v.code.startswith(v.parent.prefix) for v in villages)

    assert _count(select(Resident)) == RESIDENTS
    assert _values(Resident.disability_category) == set(range(1, 8))
    assert _values(Resident.disability_level) == {1, 2, 3, 4, None}
    assert _count(select(Resident).where(Resident.certificate_lookup.is_(None))) >= 2
    assert _count(select(Resident).where(Resident.birth_date < date(1983, 1, 1))) > 0
    assert _count(select(Resident).where(Resident.phone.is_(None))) > 0
    phones = db.session.scalars(select(Resident.phone).where(Resident.phone.isnot(None))).all()
    assert len(phones) == len(set(phones))


def test_identifiers_are_valid_encrypted_and_found(seeded):
    with_id = db.session.scalars(select(Resident).where(Resident.id_number_lookup.isnot(None)))
    for resident in with_id:
        number = reveal_id_number(resident)
        assert number.startswith("511321")
        assert resident.id_number_masked == f"{number[:6]}********{number[-4:]}"
        if resident.certificate_encrypted is not None:
            certificate = validate_certificate_number(
                cipher().decrypt(resident.certificate_encrypted), today=NOW.date()
            )
            assert certificate.resident_id.number == number
            assert certificate.category == resident.disability_category
            assert certificate.level == resident.disability_level
    demo = _user("+8613800000001").resident
    assert find_by_id_number(db.session, reveal_id_number(demo)) == demo


def test_cases_in_every_type_and_status(seeded):
    assert _values(Case.type) == set(CaseType)
    assert _values(Case.status) == set(CaseStatus)
    for case in db.session.scalars(select(Case)):
        assert case.created_at <= NOW
        assert all(case.created_at <= event.created_at <= NOW for event in case.events)
        if case.status != CaseStatus.WITHDRAWN:
            assert (case.first_responded_at is None) == (case.status == CaseStatus.NEW)
        done = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        assert (case.resolved_at is not None) == (case.status in done)
        ended = (CaseStatus.CLOSED, CaseStatus.WITHDRAWN)
        assert (case.closed_at is not None) == (case.status in ended)
        # The sweep looks at open cases, and at resolved ones to close them after 15 days.
        swept = (*OPEN_STATUSES, CaseStatus.RESOLVED)
        assert (case.next_sla_check_at is None) or case.status in swept


def test_plans_items_deliveries_and_ratings(seeded):
    current = select(Plan).where(Plan.is_current)
    assert {p.status for p in db.session.scalars(current)} == set(PlanStatus)
    assert _values(PlanItem.status) == set(ItemStatus)
    assert _count(select(Plan).where(Plan.version == 2, Plan.previous_version_id.isnot(None))) > 0
    assert _count(current.where(Plan.no_development_reason.isnot(None))) > 0
    no_reason = select(PlanItem).where(
        PlanItem.status == ItemStatus.NOT_DELIVERED, PlanItem.not_delivered_reason.is_(None)
    )
    assert _count(no_reason) == 0
    for delivery in db.session.scalars(select(Delivery)):
        assert delivery.responsible and delivery.project_name
        assert delivery.measures and delivery.effect
        assert delivery.delivered_on <= NOW.date()
    assert _count(select(Delivery).where(Delivery.institution_id.isnot(None))) > 0

    assert _values(Rating.level) == set(Satisfaction)
    assert _values(Rating.given_as) == {"resident", "guardian"}
    for subject in (Rating.delivery_id, Rating.plan_id, Rating.case_id):
        assert _count(select(Rating).where(subject.isnot(None))) > 0


def test_messages_are_recorded_as_sent(seeded):
    assert _count(select(Notification)) > 0
    left = select(Notification).where(Notification.status == NotificationStatus.CREATED)
    assert _count(left) == 0
    sent = db.session.scalars(
        select(Notification).where(Notification.status == NotificationStatus.SENT)
    ).all()
    assert sent
    assert all(n.provider == "console" and n.body and n.sent_at <= NOW for n in sent)
    assert PENDING not in db.session.info


def test_demo_accounts(seeded):
    users = {phone: _user(phone) for phone, _, _ in DEMO_ACCOUNTS}
    assert {phone: user.role for phone, user in users.items() if user} == {
        phone: role for phone, role, _ in DEMO_ACCOUNTS
    }
    # Every account shares one hash (argon2 is slow by design): verifying each distinct hash
    # verifies every account.
    hashes = {user.password_hash: user for user in users.values()}
    assert all(verify_password(user, "wenxu-demo") for user in hashes.values())

    demo = users["+8613800000001"].resident
    assert (demo.disability_category, demo.disability_level, demo.channel) == (1, 1, "voice")
    plans = db.session.scalars(select(Plan).where(Plan.resident_id == demo.id)).all()
    (current,) = [plan for plan in plans if plan.is_current]
    assert current.status == PlanStatus.AWAITING_AGREEMENT
    assert current.previous_version_id in {plan.id for plan in plans}
    mine = select(Case).where(Case.resident_id == demo.id)
    assert _count(mine.where(Case.status.in_(OPEN_STATUSES))) >= 2
    unrated = (
        select(Delivery)
        .join(PlanItem, Delivery.plan_item_id == PlanItem.id)
        .join(Plan, PlanItem.plan_id == Plan.id)
        .where(Plan.resident_id == demo.id)
        .where(~select(Rating.id).where(Rating.delivery_id == Delivery.id).exists())
    )
    assert _count(unrated) > 0

    guardian = users["+8613800000002"]
    links = db.session.scalars(
        select(Guardianship).where(Guardianship.guardian_user_id == guardian.id)
    ).all()
    assert {g.kind for g in links} == {GuardianKind.GUARDIAN, GuardianKind.AGENT}
    (ward,) = [g for g in links if g.kind == GuardianKind.GUARDIAN]
    assert (ward.relationship_, ward.scope) == (Relationship.PARENT, GuardianScope.FULL)
    assert ward.resident.disability_category == 5

    institution = users["+8613800000014"]
    served = select(Resident).where(Resident.institution_id == institution.institution_id)
    assert institution.institution_id is not None and _count(served) > 0
    assert users["+8613800000011"].area_id == demo.area.parent_id


def test_village_worker_sees_only_their_village(seeded):
    demo = _user("+8613800000001").resident
    worker = _user("+8613800000010")
    assert worker.area_id == demo.area_id
    today = NOW.date()
    visible = db.session.scalars(cases_for(db.session, worker, today)).all()
    assert [case for case in visible if case.resident_id == demo.id]
    assert all(case.area_id == demo.area_id for case in visible)

    elsewhere = create_user(Role.VILLAGE_WORKER, area_id=create_area().id)
    others = db.session.scalars(cases_for(db.session, elsewhere, today)).all()
    assert not [case for case in others if case.resident_id == demo.id]


def test_seeding_twice_adds_nothing_and_the_data_is_the_same_every_run(seeded):
    counts = [_count(select(model)) for model in MODELS]
    people = select(Resident.name, Resident.phone, Resident.id_number_masked).order_by(Resident.id)
    first = db.session.execute(people).all()

    again = seed_demo(db.session, now=NOW, residents=RESIDENTS)
    db.session.commit()

    assert "already there" in again
    assert [_count(select(model)) for model in MODELS] == counts

    db.session.remove()
    _delete_rows()
    seed_demo(db.session, now=NOW, residents=RESIDENTS)
    db.session.commit()

    assert db.session.execute(people).all() == first


def test_cli_seeds_and_is_refused_in_production(app):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["demo", "seed", "--residents", "12"])

    assert result.exit_code == 0, result.output
    assert "wenxu-demo" in result.output

    original = app.config["CONFIG_OBJECT"]
    app.config["CONFIG_OBJECT"] = ProductionConfig({})
    try:
        refused = runner.invoke(args=["demo", "seed"])
    finally:
        app.config["CONFIG_OBJECT"] = original

    assert refused.exit_code != 0
    assert "production" in refused.output
