"""Query-count guards for the resident pages: the count does not grow with the data.

Each page is fetched as its resident with 2 and with 30 of everything it lists (cases, needs,
plan items with deliveries and ratings, messages, events of a case), and must run the same
number of statements both times: a query inside a loop shows as a difference. The count
includes the sign-in user load (the session's user is loaded on every request).

Counts are taken in the steady state of a worker: after one request has loaded the reference
data held per process (catalogue, area tree), and with the session emptied first, so that
nothing a test created is answered from the identity map instead of the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from portal.extensions import db
from portal.models import (
    CaseStatus,
    CaseType,
    EventKind,
    GivenAs,
    ItemStatus,
    Notification,
    NotificationStatus,
    Plan,
    PlanStatus,
    Rating,
    Role,
    Satisfaction,
    User,
)
from portal.services.cases.cases import append_event
from tests.factories import create_case, create_resident_user, create_user
from tests.html import ClientRequest, _forget_cached_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item, need_item
from tests.query_count import Queries, count_queries

#: The most statements the home page may run, the sign-in user load included.
HOME_QUERIES = 4


@dataclass
class World:
    login: str
    case_id: int
    delivery_id: int


def _world(size: int) -> World:
    """A resident with `size` of each thing the resident pages list."""
    now = datetime.now(UTC)
    user, resident = create_resident_user()
    staff = create_user(Role.VILLAGE_WORKER)
    plan = create_plan(resident, status=PlanStatus.ACTIVE)
    deliveries = []
    for index in range(size):
        status = ItemStatus.DELIVERED if index % 3 else ItemStatus.NOT_DELIVERED
        item = create_plan_item(plan, status=status)
        deliveries.append(create_delivery(item))
    for delivery in deliveries[::2]:  # half rated, half waiting for a rating
        db.session.add(
            Rating(
                resident_id=resident.id,
                delivery_id=delivery.id,
                level=Satisfaction.SATISFIED,
                given_as=GivenAs.RESIDENT,
                given_by_id=user.id,
                created_at=now,
            )
        )
    cases = []
    for index in range(size):
        case = create_case(resident)
        case.status = [CaseStatus.NEW, CaseStatus.WAITING, CaseStatus.RESOLVED][index % 3]
        cases.append(case)
        create_case(resident, case_type=CaseType.NEED, need_item=need_item())
    for index in range(size):
        append_event(
            db.session,
            cases[0],
            EventKind.PUBLIC_REPLY if index % 2 else EventKind.RESIDENT_REPLY,
            now=now,
            actor=staff if index % 2 else user,
            body=f"reply {index}",
        )
    db.session.flush()
    db.session.execute(
        update(Notification)
        .where(Notification.resident_id == resident.id)
        .values(status=NotificationStatus.SENT)
    )
    db.session.commit()
    return World(user.get_id(), cases[0].id, deliveries[0].id)


RESIDENT_PAGES = {
    "home": "/",
    "plan": "/plan",
    "cases": "/cases",
    "case": "/cases/{case_id}",
    "record": "/record",
    "needs": "/needs",
    "plan rating": "/plan/rating",
    "delivery rating": "/plan/deliveries/{delivery_id}/rating",
    "settings": "/settings",
    "services": "/services",
    "needs catalogue": "/needs/catalogue",
}


def _count(client: FlaskClient, url: str) -> Queries:
    assert client.get(url).status_code == 200  # warm: reference data loaded for the process
    db.session.expunge_all()
    _forget_cached_user()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return queries


def _counts(client_request: ClientRequest, size: int) -> dict[str, Queries]:
    world = _world(size)
    client_request.login(_user(world.login))
    urls = {
        page: url.format(case_id=world.case_id, delivery_id=world.delivery_id)
        for page, url in RESIDENT_PAGES.items()
    }
    return {page: _count(client_request.client, url) for page, url in urls.items()}


def _user(login: str) -> User:
    user = db.session.get(User, int(login.partition(":")[0]))
    assert user is not None
    return user


@pytest.fixture
def counts_at_two_and_thirty(
    client_request: ClientRequest,
) -> tuple[dict[str, Queries], dict[str, Queries]]:
    small = _counts(client_request, 2)
    large = _counts(client_request, 30)
    return small, large


def test_no_resident_page_queries_more_with_more_data(counts_at_two_and_thirty):
    small, large = counts_at_two_and_thirty
    grown = {
        page: f"{small[page].count} → {large[page].count}\n{large[page]}"
        for page in RESIDENT_PAGES
        if small[page].count != large[page].count
    }
    assert not grown, "\n\n".join(f"{page}: {text}" for page, text in grown.items())


def test_the_home_page_runs_at_most_four_queries(counts_at_two_and_thirty):
    _, large = counts_at_two_and_thirty
    assert large["home"].count <= HOME_QUERIES, str(large["home"])


def test_the_home_page_lists_what_it_counts(client_request: ClientRequest):
    """The guard's world really fills the page: deliveries to rate, open cases, messages."""
    world = _world(4)
    client_request.login(_user(world.login))
    client_request.set_locale("en")
    page = client_request.get("/")
    text = page.get_text(" ")
    assert text.count("How was this service") == 2
    assert "Staff are waiting for your answer" in text
    assert "has 4 services" in text
    assert len(page.find("h2", string="Latest messages").find_next("ul").select("li")) == 3


def test_a_delivery_rated_on_an_earlier_plan_is_not_asked_again(client_request: ClientRequest):
    """Deliveries of older plans still wait for a rating; rated ones do not come back."""
    world = _world(2)
    db.session.execute(update(Plan).values(is_current=False, year=datetime.now(UTC).year - 1))
    db.session.commit()
    client_request.login(_user(world.login))
    client_request.set_locale("en")
    text = client_request.get("/").get_text(" ")
    assert text.count("How was this service") == 1  # of 2 deliveries, 1 is rated
    assert "You have no plan for this year yet" in text
