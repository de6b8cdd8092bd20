"""The services directory (菜单式服务): open to all; contacts for the resident's own area."""

import pytest

from portal.extensions import db
from portal.models import AreaLevel, Role
from portal.services.plans.directory import DOMAINS, contact_points
from tests.factories import (
    create_area,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)


def _areas(phone="0817-5550001", name="Xingfu Town"):
    county = create_area(level=AreaLevel.COUNTY, name_en="Nanbu County")
    township = create_area(
        level=AreaLevel.TOWNSHIP,
        name_en=name,
        parent_id=county.id,
        service_phone=phone,
        service_address="幸福镇人民路1号",
    )
    village = create_area(name_en=f"{name} Village", parent_id=township.id)
    return county, township, village


def test_anyone_sees_the_twelve_domains_and_the_hotline(client_request):
    client_request.set_locale("en")
    page = client_request.get("/services")
    main = page.find("main")
    sections = main.find_all("section", class_="service-domain")
    assert len(sections) == len(DOMAINS) == 12
    headings = [s.find("h2").get_text(strip=True) for s in sections]
    assert headings[0] == "Rehabilitation and medical care"
    assert "Your disability certificate" in headings
    for section in sections:
        assert "Who can get it" in section.get_text() and "How to get it" in section.get_text()
    assert main.find("a", href="tel:12385")
    # Items are listed without links: a visitor signs in to ask for one.
    details = main.find("details")
    assert details.find("summary").get_text(strip=True).startswith("See")
    assert "Provide wheelchair" in main.get_text()
    assert main.find("a", href=lambda h: h and h.startswith("/needs")) is None
    assert main.find("a", href="/sign-in")
    assert main.find(class_="card") is None  # no area contacts without signing in


def test_the_directory_is_in_chinese_by_default(client_request):
    page = client_request.get("/services")
    assert page.html["lang"] == "zh-CN"
    assert "配备轮椅" in page.find("main").get_text()


def test_a_resident_sees_their_own_village_and_township_contacts(client_request):
    _, township, village = _areas()
    _, other_township, _ = _areas(phone="0817-5559999", name="Other Town")
    user, _ = create_resident_user(village)
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    page = client_request.get("/services")
    contacts = page.find("section", class_="contacts")
    text = contacts.get_text(" ", strip=True)
    assert "Xingfu Town Village" in text and "Xingfu Town" in text
    assert contacts.find("a", href="tel:0817-5550001")
    assert contacts.find(lang="zh-CN").get_text() == "幸福镇人民路1号"
    assert "0817-5559999" not in page.get_text() and "Other Town" not in page.get_text()
    # The county has no contact details on record: not listed.
    assert "Nanbu County" not in text
    ask = page.find("a", href="/needs/catalogue#domain-acc")
    assert ask.get_text(strip=True) == "Ask for a service: Making your home easier to use"
    assert page.find("a", class_="button", href="/needs/catalogue")


def test_a_guardian_sees_the_contacts_of_the_resident_they_act_for(client_request):
    _, township, village = _areas(phone="0817-5552222")
    dependent = create_resident(village)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get("/services")
    assert page.find("a", href="tel:0817-5552222")
    assert dependent.name in page.find(class_="acting-for").get_text()


def test_staff_see_the_general_directory(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    page = client_request.get("/services")
    assert page.find("section", class_="contacts").find(class_="card") is None


@pytest.mark.parametrize("county_phone", [None, "0817-5558000"])
def test_contact_points_walk_up_the_tree(app, county_phone):
    county, township, village = _areas()
    county.service_phone = county_phone
    expected = [village, township] + ([county] if county_phone else [])
    assert contact_points(village) == expected
    assert contact_points(None) == []
