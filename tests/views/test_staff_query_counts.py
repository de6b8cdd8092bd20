"""Query-count guards for the staff pages not guarded elsewhere: the count does not grow with
the data, so an N+1 (a lazy load in a template loop, a query per row) cannot come back.

Each page is fetched by a staff member who may see it, with 3 and then with 40 of what it
lists (tests/staff_pages_world.py grows them), and must run the same number of statements both
times. Counts are taken in a worker's steady state: after one request has loaded the reference
data held per process (area tree, catalogue), and with every row in the session expired, so
nothing a test created or an earlier request loaded is answered from the identity map.

The queue, residents list and case page are guarded in test_lists_at_scale.py, the resident
pages in test_resident_query_counts.py, the reporting pages in test_reporting_summaries.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import CalendarDay, SlaPolicy
from tests import staff_pages_world as w
from tests.html import ClientRequest
from tests.query_count import Queries, count_queries

FEW, MANY = 3, 40

Grow = Callable[[w.World, int], object]

#: page: (who reads it, its URL, what grows on it).
PAGES: dict[str, tuple[str, str, Grow]] = {
    "outbox, village": ("village_worker", "/admin/outbox", w.grow_messages),
    "outbox, county": ("county_staff", "/admin/outbox", w.grow_messages),
    "outbox, administrator": ("admin", "/admin/outbox", w.grow_messages),
    "audit log, administrator": ("admin", "/admin/audit", w.grow_audit_events),
    "audit log, supervisor": ("supervisor", "/admin/audit", w.grow_audit_events),
    "staff list": ("admin", "/admin/staff", w.grow_staff),
    "staff account": ("admin", "/admin/staff/{village_worker}", w.grow_staff),
    "new staff account": ("admin", "/admin/staff/new", w.grow_staff),
    "resident overview": ("county_staff", "/admin/residents/{resident_id}", w.grow_guardians),
    "service card": ("county_staff", "/admin/residents/{resident_id}/card", w.grow_plan),
    "plan, county": ("county_staff", "/admin/residents/{resident_id}/plan", w.grow_plan),
    "plan, village": ("village_worker", "/admin/residents/{resident_id}/plan", w.grow_plan),
    "plan draft, village": (
        "village_worker",
        "/admin/residents/{resident_id}/plan",
        w.grow_draft_plan,
    ),
    "call-backs": ("township_officer", "/admin/call-backs", w.grow_call_backs),
    "institutions": ("county_staff", "/admin/institutions", w.grow_institutions),
    "imports": ("county_staff", "/admin/imports", w.grow_import_runs),
    "survey export": ("county_staff", "/admin/imports/export-csv?year={year}", w.grow_surveyed),
    "import run": ("county_staff", "/admin/imports/{import_run_id}", w.grow_import_errors),
    "api keys": ("admin", "/admin/api-keys", w.grow_api_keys),
    "new api key": ("admin", "/admin/api-keys/new", w.grow_api_keys),
    "calendar": ("admin", "/admin/calendar", w.grow_calendar),
    "sla policies": ("admin", "/admin/sla-policies", w.grow_cases),
    "sla policy": ("admin", "/admin/sla-policies/{policy_id}", w.grow_cases),
    "message preview": ("village_worker", "/admin/messages", w.grow_messages),
    "deliveries": (
        "village_worker",
        "/admin/plan-items/{item_id}/deliveries/new",
        w.grow_deliveries,
    ),
    "survey": ("village_worker", "/admin/residents/{resident_id}/survey/{year}", w.grow_visitors),
    "open311 requests": ("admin", "/open311/v2/requests.json?api_key={key}", w.grow_cases),
}

#: Pages that list nothing that grows (reference data, fixed samples): the guard checks that
#: they do not read the data grown beside them either.
UNLISTED = {"sla policies", "sla policy", "message preview"}


@pytest.fixture
def world(app) -> Iterator[w.World]:
    world = w.build_world()
    db.session.commit()
    yield world
    # The calendar is reference data, kept between tests: take back the days the test added.
    db.session.rollback()
    db.session.execute(delete(CalendarDay).where(CalendarDay.name == "测试假日"))
    db.session.commit()


def _url(template: str, world: w.World) -> str:
    return template.format(
        resident_id=world.resident_id,
        import_run_id=world.import_run_id,
        item_id=world.item_id,
        year=w.YEAR,
        key=world.key_secret,
        policy_id=db.session.scalar(select(SlaPolicy.id).order_by(SlaPolicy.id).limit(1)),
        **world.users,
    )


def _count(client_request: ClientRequest, url: str) -> tuple[Queries, int]:
    """The statements of one request in the steady state, and the size of its answer."""
    client_request.get(url)  # warm: the area tree and catalogue are loaded once per process
    assert client_request.response is not None
    client_request.response.get_data()  # a download is streamed: read it to its end
    db.session.expire_all()
    with count_queries() as queries:
        client_request.get(url)
        size = len(client_request.response.get_data())
    return queries, size


@pytest.mark.parametrize("page", PAGES)
def test_staff_page_queries_do_not_grow_with_the_rows(client_request, world, page):
    who, template, grow = PAGES[page]
    url = _url(template, world)
    client_request.login(world.user(who))
    counts: list[tuple[Queries, int]] = []
    for rows in (FEW, MANY - FEW):
        grow(world, rows)
        db.session.commit()
        counts.append(_count(client_request, url))
    (few, few_size), (many, many_size) = counts
    if page not in UNLISTED:  # the rows grown are really on the page
        assert many_size > few_size, f"{page}: the page does not show the rows grown"
    assert many.count == few.count, f"{FEW} rows:\n{few}\n\n{MANY} rows:\n{many}"
