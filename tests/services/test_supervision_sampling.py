"""Supervision samples: reproducible from the seed, skipping recent ones, one round a month;
and precision with its falsification veto."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Institution, Resident, Role
from portal.services.reporting import supervision as service
from tests.factories import create_area, create_resident, create_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item
from tests.summary_helpers import refresh_summaries

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def township(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    town = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=town.id)
    for _ in range(12):
        create_resident(village)
    create_resident(village, deceased_on=date(2026, 1, 5))
    create_resident(create_area("511321102201", AreaLevel.VILLAGE))  # another township
    db.session.commit()
    return town


def draw(town, month=NOVEMBER, seed="seed-1", size=5):
    return service.draw_round(
        db.session, town, month=month, seed=seed, size=size, actor_id=None, now=NOW
    )


def sampled(round_) -> list[int]:
    return [s.resident_id for s in round_.samples]


def test_the_same_seed_draws_the_same_households(township):
    eligible = service.eligible_ids(db.session, township, NOVEMBER)
    assert len(eligible) == 12  # the deceased and the other township's resident are left out
    first = service.sample_ids(eligible, "abc", 5)
    assert service.sample_ids(eligible, "abc", 5) == first
    assert len(set(first)) == 5 and set(first) <= set(eligible)
    assert service.sample_ids(eligible, "another", 5) != first
    assert service.sample_ids(eligible, "abc", 50) == sorted(eligible)


def test_a_stored_round_can_be_drawn_again_from_its_seed(township):
    round_, drawn = draw(township)
    assert drawn and len(round_.samples) == 5
    again = service.sample_ids(
        service.eligible_ids(db.session, township, round_.month), round_.seed, round_.sample_size
    )
    assert again == sampled(round_)


def test_one_round_per_township_and_month(township):
    first, _ = draw(township)
    second, drawn = draw(township, seed="a-different-seed")
    assert not drawn and second.id == first.id and sampled(second) == sampled(first)
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervision.draw"))
    assert len(list(audits)) == 1


def test_households_sampled_in_the_last_six_months_are_skipped(township):
    april, _ = draw(township, month=date(2026, 4, 1))
    may, _ = draw(township, month=date(2026, 5, 1))
    assert not set(sampled(april)) & set(sampled(may))  # April is a month before May
    november = service.eligible_ids(db.session, township, NOVEMBER)
    assert not set(november) & set(sampled(may))  # May to October: the six months before
    assert set(sampled(april)) <= set(november)  # seven months back: may be sampled again
    december = service.eligible_ids(db.session, township, date(2026, 12, 1))
    assert set(sampled(may)) <= set(december)
    round_, _ = draw(township, size=30)
    assert set(sampled(round_)) == set(november)  # fewer eligible than the size: all of them


def check(items: dict[int, str | None], falsification: bool = False) -> service.Check:
    return service.Check(
        record_consistent=True,
        plan_consistent=False,
        archive_consistent=True,
        falsification_found=falsification,
        note=None,
        items={item_id: service.ItemCheck(problem) for item_id, problem in items.items()},
    )


def precision_of(user, year):
    """Precision as the page reads it: from the summaries, refreshed first."""
    refresh_summaries(NOW, commit=False)
    return service.precision(db.session, user, year)


def test_precision_by_township_county_and_institution_with_the_veto(township):
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=township.id)
    db.session.add(home)
    db.session.flush()
    supervisor = create_user(Role.SUPERVISOR, area_id=township.parent_id)
    round_, _ = draw(township, size=2)
    first, second = round_.samples
    items = []
    for sample in (first, second):
        plan = create_plan(db.session.get(Resident, sample.resident_id))
        items.append([create_plan_item(plan) for _ in range(2)])
    create_delivery(items[0][0], institution_id=home.id)
    service.record_check(
        db.session,
        first,
        check({items[0][0].id: None, items[0][1].id: "missed"}),
        actor_id=supervisor.id,
        now=NOW,
    )
    service.record_check(
        db.session,
        second,
        check({items[1][0].id: None, items[1][1].id: None}),
        actor_id=supervisor.id,
        now=NOW,
    )
    report = precision_of(supervisor, 2026)
    [(town, figures)] = report.townships
    assert (town.id, figures.checked, figures.imprecise, figures.rate) == (township.id, 4, 1, 0.75)
    assert not figures.vetoed
    [(county, rolled)] = report.counties
    assert county.id == township.parent_id and rolled.rate == 0.75
    [(institution, scored)] = report.institutions
    assert institution.id == home.id and (scored.rate, scored.score) == (1.0, 2.0)
    assert precision_of(supervisor, 2025).townships == []

    service.record_check(
        db.session,
        second,
        check({items[1][0].id: None, items[1][1].id: None}, True),
        actor_id=supervisor.id,
        now=NOW,
    )
    report = precision_of(supervisor, 2026)
    assert report.townships[0][1].vetoed and report.counties[0][1].vetoed
    found = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervision.falsification")
    ).all()
    assert [(a.resident_id, a.actor_id) for a in found] == [(second.resident_id, supervisor.id)]


@pytest.mark.parametrize(
    ("checked", "imprecise", "rate"), [(0, 0, None), (10, 0, 1.0), (10, 3, 0.7), (4, 4, 0.0)]
)
def test_precision_formula(checked, imprecise, rate):
    figures = service.Precision(checked=checked, imprecise=imprecise)
    assert figures.rate == rate
    assert figures.score == (None if rate is None else rate * 2)
