"""The phone PIN in settings: set, changed, checked, never shown back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.services.accounts.phone_pin import PinCheck, check_pin
from tests.factories import create_guardianship, create_resident, create_resident_user, create_user
from tests.html import error_summary, field_error


@pytest.fixture
def resident(client_request):
    user, resident = create_resident_user()
    db.session.commit()
    client_request.login(user)
    client_request.set_locale("en")
    return resident


def _right(resident, pin: str) -> bool:
    db.session.refresh(resident)
    outcome, _who = check_pin(db.session, [resident], pin, datetime.now(UTC))
    db.session.rollback()
    return outcome is PinCheck.RIGHT


def test_the_settings_page_links_to_the_phone_pin(client_request, resident):
    page = client_request.get("/settings")

    link = page.find("a", string="Phone PIN for the status line")
    assert link["href"] == "/settings/phone-pin"


def test_a_resident_sets_a_pin_which_is_stored_hashed(client_request, resident):
    page = client_request.get("/settings/phone-pin")
    assert page.find(id="pin")["type"] == "password"
    assert page.find(id="pin")["inputmode"] == "numeric"

    client_request.post("/settings/phone-pin", {"pin": "4826", "confirm": "4826"})

    db.session.refresh(resident)
    assert resident.phone_pin_hash.startswith("$argon2") and "4826" not in resident.phone_pin_hash
    assert _right(resident, "4826") and not _right(resident, "4827")
    page = client_request.get("/settings")
    assert "Your phone PIN is saved" in page.get_text()


def test_changing_the_pin_replaces_the_old_one_and_unlocks_it(client_request, resident):
    client_request.post("/settings/phone-pin", {"pin": "4826", "confirm": "4826"})
    resident.pin_failures = 3
    db.session.commit()

    page = client_request.get("/settings/phone-pin")
    assert "You already have a phone PIN" in page.get_text()
    assert "4826" not in str(page)
    client_request.post("/settings/phone-pin", {"pin": "7391", "confirm": "7391"})

    assert _right(resident, "7391") and not _right(resident, "4826")
    db.session.refresh(resident)
    assert (resident.pin_failures, resident.pin_locked_until) == (0, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"pin": "", "confirm": ""}, "pin", "Enter 4 digits, like 4826"),
        ({"pin": "48a6", "confirm": "48a6"}, "pin", "Enter 4 digits, like 4826"),
        ({"pin": "48261", "confirm": "48261"}, "pin", "Enter 4 digits, like 4826"),
        ({"pin": "1234", "confirm": "1234"}, "pin", "harder to guess"),
        ({"pin": "7777", "confirm": "7777"}, "pin", "harder to guess"),
        ({"pin": "4826", "confirm": "4862"}, "confirm", "The two PINs are different"),
    ],
)
def test_errors_are_shown_next_to_the_field_and_nothing_is_saved(
    client_request, resident, data, field, message
):
    page = client_request.post("/settings/phone-pin", data, expected_status=200)

    assert message in field_error(page, field)
    assert any(message in text for text in error_summary(page))
    assert page.find(id=field)["aria-invalid"] == "true"
    assert page.title.get_text().startswith("Error: ")
    db.session.refresh(resident)
    assert resident.phone_pin_hash is None


def test_a_guardian_sets_the_pin_for_the_resident(client_request):
    resident = create_resident()
    guardian = create_user(role="guardian")
    create_guardianship(guardian, resident)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")

    page = client_request.get("/settings/phone-pin")
    assert "You are acting for" in page.get_text()
    client_request.post("/settings/phone-pin", {"pin": "5082", "confirm": "5082"})

    assert _right(resident, "5082")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/settings/phone-pin")

    assert response.status_code == 302 and "/sign-in" in response.location
