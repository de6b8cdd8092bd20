"""Coverage figures on a small fixture: eligibility by category, level and age; covered by a
delivery this year; needs answered with a delivery; ratings by level."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.models import AreaLevel, GivenAs, NeedsAnswer, NeedsRecord, Rating, Satisfaction
from portal.services.reference.reference_data import seed_coverage_targets
from portal.services.reporting import coverage
from portal.services.reporting.coverage import Period
from tests.factories import create_area, create_resident
from tests.plan_factories import create_delivery, create_plan, create_plan_item, need_item
from tests.summary_helpers import refresh_summaries

YEAR = Period.of_year(2026)
NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)


def compute(session, scope, period):
    """The figures as the pages read them: from the summaries, refreshed first."""
    refresh_summaries(NOW, commit=False)
    return coverage.compute(session, scope, period)


@pytest.fixture
def county(app):
    seed_coverage_targets(db.session)
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong")
    return county


def deliver(resident, code: str, on: date = date(2026, 3, 1)):
    item = create_plan_item(create_plan(resident, year=on.year), code=code)
    return create_delivery(item, delivered_on=on)


def by_code(figures):
    return {t.target.code: t for t in figures.targets}


def test_coverage_counts_the_eligible_and_those_with_a_delivery_this_year(county):
    east = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="East")
    west = create_area("511321102000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="West")
    blind = [create_resident(east, disability_category=1) for _ in range(3)]
    create_resident(west, disability_category=1)
    create_resident(east, disability_category=1, deceased_on=date(2025, 12, 1))  # not counted
    deliver(blind[0], "REHAB.VIS.OM")
    deliver(blind[1], "REHAB.VIS.OM", on=date(2025, 6, 1))  # last year: not covered
    level_one = create_resident(west, disability_category=4, disability_level=1)
    create_resident(west, disability_category=4, disability_level=2)  # not eligible
    deliver(level_one, "ACC.WHEELCHAIR")
    child = create_resident(east, disability_category=5, birth_date=date(2015, 5, 1))  # 11
    create_resident(east, disability_category=5, birth_date=date(2019, 1, 1))  # 7 on 31 Dec
    create_resident(east, disability_category=5, birth_date=date(2011, 12, 31))  # 15
    create_resident(east, disability_category=5)  # no birth date: age unknown
    deliver(child, "EDU.AID")

    figures = by_code(compute(db.session, county, YEAR))

    om = figures["blind-om"]
    assert (om.total.part, om.total.whole) == (1, 4)
    assert [(a.name_en, s.part, s.whole) for a, s in om.by_area] == [("East", 1, 3), ("West", 0, 1)]
    assert om.met is False
    wheelchair = figures["wheelchair-level-1"]
    assert (wheelchair.total.part, wheelchair.total.whole, wheelchair.met) == (1, 1, True)
    school = figures["schooling-7-14"]
    assert (school.total.part, school.total.whole) == (1, 2)
    assert figures["psychosocial-medication"].met is None  # nobody eligible
    east_only = by_code(compute(db.session, east, YEAR))["blind-om"]
    assert (east_only.total.part, east_only.total.whole) == (1, 3)


def test_needs_answered_with_a_delivery_and_ratings_by_level(county):
    town = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    resident = create_resident(town)
    record = NeedsRecord(resident_id=resident.id, year=2026, surveyed_on=date(2026, 2, 1))
    wheelchair, om, other = need_item("ACC.WHEELCHAIR"), need_item("REHAB.VIS.OM"), need_item()
    record.answers = [
        NeedsAnswer(need_item_id=wheelchair.id, needed=True),
        NeedsAnswer(need_item_id=om.id, needed=True),
        NeedsAnswer(need_item_id=other.id, needed=False),  # not a need
    ]
    db.session.add(record)
    delivery = deliver(resident, "ACC.WHEELCHAIR")
    for level in (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.DISSATISFIED):
        db.session.add(
            Rating(
                resident_id=resident.id,
                delivery_id=delivery.id,
                level=level,
                given_as=GivenAs.RESIDENT,
                created_at=datetime(2026, 4, 1, tzinfo=UTC),
            )
        )
    db.session.flush()

    figures = compute(db.session, county, YEAR)
    total, [(area, share)] = figures.correspondence
    assert (total.part, total.whole, total.rate) == (1, 2, 0.5)
    assert (area.id, share.part, share.whole) == (town.id, 1, 2)
    ratings, [(_, in_town)] = figures.satisfaction
    assert ratings.total == 3 and in_town.counts[Satisfaction.BASIC] == 1
    assert (ratings.satisfied.part, ratings.satisfied.whole) == (2, 3)
    march = compute(db.session, county, Period.of_quarter(2026, 1))
    assert march.satisfaction[0].total == 0  # rated in April: after the first quarter


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q4", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2025Q2", date(2025, 1, 1), date(2025, 6, 30)),
    ],
)
def test_quarters_run_from_new_year_to_the_quarter_end(text, start, end):
    period = Period.parse_quarter(text)
    assert period is not None and (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["", "2026Q5", "Q4", "2026-Q4", "20260"])
def test_a_quarter_not_written_like_2026q4_is_refused(text):
    assert Period.parse_quarter(text) is None
