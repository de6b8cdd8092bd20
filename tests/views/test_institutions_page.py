"""/admin/institutions: deliveries, residents' ratings and the precision score, by scope."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AreaLevel, Institution, PlanStatus, Rating, Role, Satisfaction
from portal.models.supervision import SupervisionItem, SupervisionRound, SupervisionSample
from portal.services.people.institutions import precision_score
from tests.factories import create_area, create_resident, create_user
from tests.plan_factories import create_delivery, create_plan, create_plan_item


@pytest.mark.parametrize(
    ("sampled", "imprecise", "score"),
    [
        (0, 0, None),
        (10, 0, Decimal("2.00")),
        (10, 1, Decimal("1.80")),
        (3, 1, Decimal("1.33")),
        (3, 3, Decimal("0.00")),
    ],
)
def test_precision_score_is_sampled_minus_imprecise_over_sampled_times_two(
    sampled, imprecise, score
):
    assert precision_score(sampled, imprecise) == score


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY)
    village = create_area("511321101201", AreaLevel.VILLAGE)
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    idle = Institution(name_zh="助残中心", name_en="Care centre", area_id=county.id)
    far = Institution(name_zh="远方中心", name_en="Far centre", area_id=elsewhere.id)
    db.session.add_all([home, idle, far])
    db.session.flush()
    resident = create_resident(village, institution_id=home.id)
    plan = create_plan(resident, status=PlanStatus.ACTIVE)
    items = [create_plan_item(plan, institution_id=home.id) for _ in range(3)]
    levels = [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.DISSATISFIED]
    for item, level in zip(items, levels, strict=True):
        delivery = create_delivery(item, institution_id=home.id)
        db.session.add(
            Rating(
                resident_id=resident.id, delivery_id=delivery.id, level=level, given_as="resident"
            )
        )
    round_ = SupervisionRound(
        area_id=county.id, month=plan.created_at.date().replace(day=1), seed="s", sample_size=1
    )
    db.session.add(round_)
    db.session.flush()
    sample = SupervisionSample(round_id=round_.id, resident_id=resident.id)
    db.session.add(sample)
    db.session.flush()
    for item, imprecise in zip(items, [False, False, True], strict=True):
        db.session.add(
            SupervisionItem(
                sample_id=sample.id,
                plan_item_id=item.id,
                institution_id=home.id,
                imprecise=imprecise,
            )
        )
    people = {
        "county": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id),
        "village": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
    }
    db.session.commit()
    return people


def card(page, name: str) -> str:
    return page.find("h2", string=name).find_parent("li").get_text(" ", strip=True)


@pytest.mark.parametrize("who", ["county", "supervisor"])
def test_institutions_in_scope_with_ratings_and_precision(client_request, world, who):
    client_request.login(world[who])
    client_request.set_locale("en")
    page = client_request.get("/admin/institutions")
    text = card(page, "Rehab centre")
    assert "Deliveries recorded 3" in text
    assert "Satisfied: 2" in text and "Basically satisfied: 0" in text
    assert "Dissatisfied: 1" in text
    assert "1.33 of 2 points" in text
    assert "Items sampled 3" in text and "Imprecise items 1" in text
    assert "No items sampled yet" in card(page, "Care centre")
    assert "Far centre" not in page.get_text()
    assert page.find("nav", class_="site-nav").find("a", href="/admin/institutions")


@pytest.mark.parametrize("who", ["village", "institution"])
def test_village_workers_and_institutions_do_not_see_the_page(client_request, world, who):
    client_request.login(world[who])
    client_request.get("/admin/institutions", expected_status=404)
