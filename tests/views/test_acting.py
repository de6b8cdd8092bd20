from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseEvent, GuardianKind, GuardianScope, Role
from tests.factories import (
    create_area,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)

FORM = {"case_type": "complaint", "description": "需要上门服务"}


def _form():
    from portal.models import NeedItem

    code = db.session.scalar(select(NeedItem.code).where(NeedItem.kind != "status").limit(1))
    return dict(FORM, category=code)


@pytest.fixture
def family():
    area = create_area()
    son = create_resident(area, name="王小明", disability_category=5)
    aunt = create_resident(area, name="李阿姨", disability_category=4)
    guardian = create_user(Role.GUARDIAN, name="王妈妈")
    create_guardianship(guardian, son)
    create_guardianship(guardian, aunt, kind=GuardianKind.AGENT, scope=GuardianScope.CASES)
    db.session.commit()
    return guardian, son, aunt


def test_a_guardian_with_several_dependents_chooses_first(client_request, family):
    guardian, son, aunt = family
    client_request.login(guardian)
    client_request.get("/cases/new", expected_status=302)
    assert client_request.response.location.startswith("/acting-for?next=/cases/new")
    page = client_request.get("/acting-for")
    names = [h.get_text(strip=True) for h in page.select(".card h2")]
    assert names == sorted([son.name, aunt.name])
    client_request.post("/acting-for?next=/cases/new", {"resident_id": aunt.id})
    assert client_request.response.location == "/cases/new"
    page = client_request.get("/cases/new")
    banner = page.find(class_="acting-banner")
    assert aunt.name in banner.get_text() and banner.find("a")["href"] == "/acting-for"
    client_request.post("/cases/new", _form())
    case = db.session.scalars(select(Case)).one()
    event = db.session.scalars(select(CaseEvent)).one()
    assert case.resident_id == aunt.id
    assert (event.actor_id, event.on_behalf_of_id) == (guardian.id, aunt.id)
    audit = db.session.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.actor_id, audit.on_behalf_of_id) == (
        "guardian.act_for",
        guardian.id,
        aunt.id,
    )


def test_one_dependent_needs_no_choice_and_no_change_link(client_request):
    son = create_resident(name="王小明")
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, son)
    db.session.commit()
    client_request.login(guardian)
    page = client_request.get("/")
    banner = page.find(class_="acting-banner")
    assert son.name in banner.get_text() and banner.find("a") is None


def test_choosing_someone_not_granted_is_refused(client_request, family):
    guardian, *_ = family
    stranger = create_resident()
    db.session.commit()
    client_request.login(guardian)
    client_request.post("/acting-for", {"resident_id": stranger.id}, expected_status=404)


def test_a_view_only_grant_reads_but_cannot_act(client_request):
    son = create_resident()
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, son, scope=GuardianScope.VIEW)
    db.session.commit()
    client_request.login(guardian)
    client_request.get("/cases/new")
    client_request.post("/cases/new", _form(), expected_status=403)
    assert db.session.scalar(select(Case)) is None


def test_an_expired_grant_gives_nothing(client_request):
    son = create_resident()
    guardian = create_user(Role.GUARDIAN)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    create_guardianship(guardian, son, expires_on=yesterday)
    db.session.commit()
    client_request.login(guardian)
    client_request.get("/cases/new", expected_status=404)
    page = client_request.get("/acting-for")
    assert not page.select(".card")


def test_a_resident_sees_who_may_act_for_them(client_request):
    user, resident = create_resident_user()
    mother = create_user(Role.GUARDIAN, name="王妈妈")
    old_agent = create_user(Role.GUARDIAN, name="赵代理")
    create_guardianship(mother, resident)
    create_guardianship(
        old_agent,
        resident,
        kind=GuardianKind.AGENT,
        valid_from=date(2020, 1, 1),
        expires_on=date(2021, 1, 1),
    )
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get("/acting-for-me")
    cards = [c.get_text(" ", strip=True) for c in page.select(".card")]
    assert "王妈妈" in cards[0] and "Parent" in cards[0] and "No end date" in cards[0]
    assert "赵代理" in cards[1] and "No longer valid" in cards[1]


@pytest.mark.parametrize(
    ("role", "url"), [(Role.GUARDIAN, "/acting-for-me"), (Role.RESIDENT, "/acting-for")]
)
def test_each_page_is_for_its_own_role(client_request, role, url):
    if role == Role.RESIDENT:
        user, _ = create_resident_user()
    else:
        user = create_user(role)
    db.session.commit()
    client_request.login(user)
    client_request.get(url, expected_status=404)
