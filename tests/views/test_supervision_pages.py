"""/admin/supervision: who may draw and check, the checklist with its errors, and the veto."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AreaLevel, AuditEvent, Institution, Role, SupervisionSample
from tests.factories import create_area, create_resident, create_user
from tests.plan_factories import create_plan, create_plan_item
from tests.summary_helpers import refresh_summaries


@pytest.fixture
def world(app):
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong")
    town = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id, name_en="East")
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=town.id)
    residents = [create_resident(village, name=f"王{n}") for n in range(3)]
    for resident in residents:
        create_plan_item(create_plan(resident), code="ACC.WHEELCHAIR")
    elsewhere = create_area("511322000000", AreaLevel.COUNTY)
    home = Institution(name_zh="康复中心", name_en="Rehab centre", area_id=county.id)
    db.session.add(home)
    db.session.flush()
    users = {
        "county": create_user(Role.COUNTY_STAFF, area_id=county.id),
        "supervisor": create_user(Role.SUPERVISOR, area_id=county.id),
        "admin": create_user(Role.ADMIN),
        "township": create_user(Role.TOWNSHIP_OFFICER, area_id=town.id),
        "village": create_user(Role.VILLAGE_WORKER, area_id=village.id),
        "institution": create_user(Role.INSTITUTION, institution_id=home.id),
        "outsider": create_user(Role.SUPERVISOR, area_id=elsewhere.id),
    }
    db.session.commit()
    return {"town": town, "users": users, "residents": residents}


def as_user(client_request, world, who):
    client_request.login(world["users"][who])
    client_request.set_locale("en")


def draw(client_request, world) -> int:
    client_request.post("/admin/supervision/rounds", {"township": world["town"].id})
    location = client_request.response.headers["Location"]
    return int(location.rsplit("/", 1)[1])


@pytest.mark.parametrize("who", ["county", "supervisor", "admin"])
def test_supervisors_county_staff_and_admins_draw_the_sample_once_a_month(
    client_request, world, who
):
    as_user(client_request, world, who)
    page = client_request.get("/admin/supervision")
    assert page.find("option", string="East") is not None
    round_id = draw(client_request, world)
    page = client_request.get(f"/admin/supervision/rounds/{round_id}")
    assert "This month's sample is drawn." in page.get_text()
    names = [row.th.get_text(strip=True) for row in page.select("tbody tr")]
    assert sorted(names) == ["王0", "王1", "王2"]  # fewer residents than the sample size
    assert draw(client_request, world) == round_id
    page = client_request.get(f"/admin/supervision/rounds/{round_id}")
    assert "already drawn" in page.get_text()
    rounds = client_request.get("/admin/supervision")
    assert rounds.find("a", string="East")["href"] == f"/admin/supervision/rounds/{round_id}"


@pytest.mark.parametrize("who", ["township", "village", "institution"])
def test_other_staff_may_neither_draw_nor_check(client_request, world, who):
    as_user(client_request, world, "county")
    round_id = draw(client_request, world)
    sample = db.session.scalars(select(SupervisionSample)).first()
    as_user(client_request, world, who)
    client_request.get("/admin/supervision", expected_status=404)
    client_request.post(
        "/admin/supervision/rounds", {"township": world["town"].id}, expected_status=404
    )
    url = f"/admin/supervision/rounds/{round_id}/samples/{sample.id}"
    client_request.get(url, expected_status=404)
    client_request.post(url, {"check-record": "yes"}, expected_status=404)
    client_request.get("/admin/supervision/precision", expected_status=404)


def test_a_supervisor_elsewhere_cannot_draw_here_or_open_the_sample(client_request, world):
    as_user(client_request, world, "county")
    round_id = draw(client_request, world)
    sample = db.session.scalars(select(SupervisionSample)).first()
    as_user(client_request, world, "outsider")
    page = client_request.post(
        "/admin/supervision/rounds", {"township": world["town"].id}, expected_status=400
    )
    assert "Choose the township to sample" in page.get_text()
    client_request.get(f"/admin/supervision/rounds/{round_id}", expected_status=404)
    url = f"/admin/supervision/rounds/{round_id}/samples/{sample.id}"
    client_request.get(url, expected_status=404)
    client_request.post(url, {"record": "yes"}, expected_status=404)


def test_the_checklist_shows_errors_then_saves_and_a_falsification_vetoes_the_township(
    client_request, world
):
    as_user(client_request, world, "supervisor")
    round_id = draw(client_request, world)
    sample = db.session.scalars(select(SupervisionSample)).first()
    item = sample_item_id(sample)
    url = f"/admin/supervision/rounds/{round_id}/samples/{sample.id}"
    page = client_request.get(url)
    assert page.find("legend", string=lambda s: s and "Provide wheelchair" in s) is not None

    page = client_request.post(url, {"note": "<b>x</b>"}, expected_status=400)
    assert page.title.get_text().startswith("Error:")
    summary = page.select_one(".error-summary").get_text()
    for message in (
        "Say whether the record matches the person's situation",
        "Say whether the plan matches what was delivered",
        "Say whether the platform matches the paper archive",
        "Say whether this item is precise",
        "Write in plain words",
    ):
        assert message in summary

    data = {
        "record": "yes",
        "plan": "no",
        "archive": "yes",
        f"item_{item}": "over_ticked",
        f"item_{item}_note": "没有送达",
        "falsification": "y",
    }
    client_request.post(url, data)
    page = client_request.get(f"/admin/supervision/rounds/{round_id}")
    assert "the township's precision score is vetoed" in page.get_text()
    page = client_request.get(url)
    assert page.find("input", attrs={"name": f"item_{item}", "value": "over_ticked"}).has_attr(
        "checked"
    )
    refresh_summaries()  # what the scheduler does every interval
    page = client_request.get("/admin/supervision/precision")
    row = page.find("th", string="East").parent
    assert "Vetoed: falsification found" in row.get_text()
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"supervision.draw", "supervision.check", "supervision.falsification"} <= actions
    assert "supervision_sample.view" in actions


def test_precision_page_shows_the_score_by_area(client_request, world):
    as_user(client_request, world, "county")
    round_id = draw(client_request, world)
    samples = db.session.scalars(select(SupervisionSample)).all()
    for n, sample in enumerate(samples):
        verdict = "missed" if n == 0 else "precise"
        client_request.post(
            f"/admin/supervision/rounds/{round_id}/samples/{sample.id}",
            {
                "record": "yes",
                "plan": "yes",
                "archive": "yes",
                f"item_{sample_item_id(sample)}": verdict,
            },
        )
    refresh_summaries()  # what the scheduler does every interval
    page = client_request.get("/admin/supervision/precision")
    cells = [td.get_text(strip=True) for td in page.find("th", string="East").parent.find_all("td")]
    assert cells == ["3", "1", "66.7%"]
    assert page.find("th", string="Yilong") is not None


def sample_item_id(sample: SupervisionSample) -> int:
    from portal.services.reporting.supervision import current_items

    [item] = current_items(db.session, sample.resident_id)
    return item.id
