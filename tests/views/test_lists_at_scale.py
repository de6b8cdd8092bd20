"""Staff lists whose cost follows the page, not the data: one level of areas at a time,
counts capped at 10,000, keyset pages, and query counts that do not grow with the rows."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import AreaLevel, Role
from portal.services.people import access
from portal.services.reporting import capped_counts, resident_list
from tests.factories import create_area, create_case, create_resident, create_user
from tests.query_count import count_queries


@pytest.fixture
def county():
    county = create_area("511321000000", AreaLevel.COUNTY, name_zh="仪陇县")
    towns = [
        create_area(f"5113211{t:02d}000", AreaLevel.TOWNSHIP, parent_id=county.id, name_zh=f"镇{t}")
        for t in (1, 2)
    ]
    villages = [
        create_area(
            f"5113211{t:02d}2{v:02d}", AreaLevel.VILLAGE, parent_id=town.id, name_zh=f"村{t}{v}"
        )
        for t, town in enumerate(towns, 1)
        for v in (1, 2)
    ]
    officer = create_user(Role.COUNTY_STAFF, area_id=county.id)
    db.session.commit()
    return {"county": county, "towns": towns, "villages": villages, "officer": officer}


def options(page, name: str) -> list[str]:
    return [
        o.get_text(strip=True) for o in page.find("select", attrs={"name": name}).find_all("option")
    ]


def test_the_area_filter_lists_one_level_at_a_time(client_request, county):
    client_request.login(county["officer"])
    page = client_request.get("/admin/")
    assert options(page, "area") == ["全部", "镇1", "镇2"]
    page = client_request.get(f"/admin/?area={county['towns'][0].id}")
    assert options(page, "area") == ["全部", "镇1", "村11", "村12"]
    assert page.find("optgroup")["label"] == "镇1内"


def test_an_area_outside_the_scope_is_ignored(client_request, county):
    elsewhere = create_area("511322000000", AreaLevel.COUNTY, name_zh="别县")
    db.session.commit()
    client_request.login(county["officer"])
    page = client_request.get(f"/admin/?area={elsewhere.id}")
    assert options(page, "area") == ["全部", "镇1", "镇2"]


def test_counts_beyond_the_cap_say_more_than(client_request, county, monkeypatch):
    monkeypatch.setattr(capped_counts, "COUNT_CAP", 3)
    resident = create_resident(county["villages"][0])
    for _ in range(5):
        create_case(resident)
    db.session.commit()
    client_request.login(county["officer"])
    client_request.set_locale("en")
    page = client_request.get("/admin/")
    text = page.find("main").get_text(" ", strip=True)
    assert "More than 3 cases match" in text
    assert "On track: more than 3" in text


def test_residents_beyond_the_cap_say_more_than(client_request, county, monkeypatch):
    monkeypatch.setattr(capped_counts, "COUNT_CAP", 3)
    for _ in range(4):
        create_resident(county["villages"][0])
    db.session.commit()
    client_request.login(county["officer"])
    client_request.set_locale("en")
    text = client_request.get("/admin/residents").find("main").get_text(" ", strip=True)
    assert "More than 3 residents match" in text
    monkeypatch.setattr(capped_counts, "COUNT_CAP", 4)
    text = client_request.get("/admin/residents").find("main").get_text(" ", strip=True)
    assert "4 residents match" in text
    assert "More than" not in text


def test_the_residents_list_pages_by_name_after_the_last_one_shown(
    client_request, county, monkeypatch
):
    monkeypatch.setattr(resident_list, "PAGE_SIZE", 2)
    for name in ("丁", "乙", "丙", "甲", "戊"):
        create_resident(county["villages"][1], name=name)
    db.session.commit()
    client_request.login(county["officer"])
    seen: list[str] = []
    url: str | None = "/admin/residents"
    while url:
        page = client_request.get(url)
        seen += [row.find("a").get_text(strip=True) for row in page.select("tbody tr")]
        link = page.find("a", rel="next")
        url = link["href"] if link else None
    assert seen == sorted(["丁", "乙", "丙", "甲", "戊"]) or len(seen) == 5
    assert len(set(seen)) == 5


def _fill(county, cases: int) -> None:
    for i in range(cases):
        resident = create_resident(county["villages"][i % 4])
        create_case(resident)
    db.session.commit()


@pytest.mark.parametrize("url", ["/admin/", "/admin/residents"])
def test_list_queries_do_not_grow_with_the_rows(client_request, county, url):
    client_request.login(county["officer"])
    _fill(county, 5)
    client_request.get(url)  # the area tree is loaded once per process
    with count_queries() as few:
        client_request.get(url)
    _fill(county, 40)
    client_request.get(url)
    with count_queries() as many:
        client_request.get(url)
    assert many.count == few.count, f"{few}\n---\n{many}"


def test_the_case_page_queries_do_not_grow_with_staff_or_history(client_request, county):
    officer = county["officer"]
    resident = create_resident(county["villages"][0])
    case = create_case(resident)
    db.session.commit()
    client_request.login(officer)
    client_request.get(f"/admin/cases/{case.id}")
    with count_queries() as few:
        client_request.get(f"/admin/cases/{case.id}")
    for village in county["villages"]:
        for _ in range(5):
            create_user(Role.VILLAGE_WORKER, area_id=village.id)
    for town in county["towns"]:
        create_user(Role.TOWNSHIP_OFFICER, area_id=town.id)
    db.session.commit()
    client_request.get(f"/admin/cases/{case.id}")
    with count_queries() as many:
        client_request.get(f"/admin/cases/{case.id}")
    assert many.count == few.count, f"{few}\n---\n{many}"


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_the_outbox_shows_the_scope_s_messages_whichever_way_they_are_found(
    client_request, county, monkeypatch, share
):
    # share 1.0: every scope counts as small, so PostgreSQL reads the scope's residents first.
    monkeypatch.setattr(access, "SMALL_SCOPE_SHARE", share)
    mine = create_case(create_resident(county["villages"][0]))
    theirs = create_case(create_resident(county["villages"][2]))
    officer = create_user(Role.TOWNSHIP_OFFICER, area_id=county["towns"][0].id)
    db.session.commit()
    client_request.login(officer)
    text = client_request.get("/admin/outbox").get_text()
    assert mine.reference in text
    assert theirs.reference not in text
