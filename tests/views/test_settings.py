"""Settings (issue 3, point 10) and the display preferences every page applies, without JS."""

from datetime import time

import pytest

from portal.extensions import db
from portal.models import Channel, Role
from portal.services.people.settings import ClockError, DisplayPrefs, parse_clock
from tests.factories import (
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.html import error_summary, field_error

VALID = {
    "language": "en",
    "channel": "voice",
    "quiet_hours_start": "22:30",
    "quiet_hours_end": "07:15",
}


@pytest.fixture
def resident_user(client_request):
    # The model's default quiet hours (the factory's residents have none).
    user, resident = create_resident_user(quiet_hours_start=time(21, 0), quiet_hours_end=time(8, 0))
    db.session.commit()
    client_request.login(user)
    return user, resident


def _html_classes(page):
    return page.html.get("class") or []


# --- The settings page ---------------------------------------------------------------------


def test_the_page_shows_the_saved_settings(client_request, resident_user):
    _, resident = resident_user
    resident.channel = Channel.BOTH
    resident.high_contrast = True
    db.session.commit()
    client_request.set_locale("en")
    page = client_request.get("/settings")
    form = page.find("main").find("form")
    assert form.has_attr("novalidate")
    checked = {i["name"]: i["value"] for i in form.find_all("input", checked=True)}
    assert checked == {"language": "zh_CN", "channel": "both", "high_contrast": "y"}
    assert page.find(id="quiet_hours_start")["type"] == "time"
    assert page.find(id="quiet_hours_start")["value"] == "21:00"
    assert page.find(id="quiet_hours_end")["value"] == "08:00"
    for fieldset in form.find_all("fieldset"):
        assert fieldset.find("legend").get_text(strip=True)
    voice = page.find("input", value="voice")
    hint = page.find(id=voice["aria-describedby"]).get_text()
    assert "We call you and read the message slowly" in hint
    assert "same if you want no quiet hours" in page.find(id="quiet_hours_end-hint").get_text()
    assert page.find("label", attrs={"for": "language-0"})["lang"] == "zh-CN"
    assert "high-contrast" in _html_classes(page)


def test_saving_every_field(client_request, resident_user):
    user, resident = resident_user
    data = dict(VALID, large_text="y", high_contrast="y", read_aloud="y")
    client_request.post("/settings", data)
    assert client_request.response.location == "/settings"
    db.session.refresh(resident)
    db.session.refresh(user)
    assert resident.language == "en" and user.language == "en"
    assert resident.channel == Channel.VOICE
    assert (resident.quiet_hours_start, resident.quiet_hours_end) == (time(22, 30), time(7, 15))
    assert resident.large_text and resident.high_contrast and resident.read_aloud
    cookies = client_request.response.headers.getlist("Set-Cookie")
    assert any(c.startswith("wenxu_lang=en;") for c in cookies)
    assert any(c.startswith("wenxu_display=large-text.high-contrast.read-aloud;") for c in cookies)
    page = client_request.get("/settings")
    assert page.find(class_="banner", role="alert").get_text(strip=True) == (
        "Your settings are saved."
    )
    assert page.html["lang"] == "en"
    assert set(_html_classes(page)) == {"large-text", "high-contrast", "read-aloud"}
    assert page.find(attrs={"data-read-aloud": "start"}).has_attr("hidden")


def test_unticked_boxes_turn_display_preferences_off(client_request, resident_user):
    _, resident = resident_user
    resident.large_text = resident.high_contrast = resident.read_aloud = True
    db.session.commit()
    client_request.post("/settings", dict(VALID, channel="none"))
    db.session.refresh(resident)
    assert resident.channel == Channel.NONE
    assert not (resident.large_text or resident.high_contrast or resident.read_aloud)
    page = client_request.get("/")
    assert _html_classes(page) == []
    assert page.find(attrs={"data-read-aloud": True}) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("21:00", time(21, 0)), ("9:05", time(9, 5)), ("23:59:00", time(23, 59)), ("08：00", time(8))],
)
def test_times_are_read_as_hours_and_minutes(typed, expected):
    assert parse_clock(typed) == expected


@pytest.mark.parametrize("typed", ["", "24:00", "12:60", "noon", "9pm", "12", "<b>1</b>"])
def test_bad_times_are_refused(typed):
    with pytest.raises(ClockError):
        parse_clock(typed)


def test_same_start_and_end_means_no_quiet_hours(client_request, resident_user):
    _, resident = resident_user
    client_request.post(
        "/settings", dict(VALID, quiet_hours_start="00:00", quiet_hours_end="00:00")
    )
    db.session.refresh(resident)
    assert resident.quiet_hours_start == resident.quiet_hours_end == time(0, 0)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("quiet_hours_start", "25:00", "Enter when quiet hours start as hours and minutes"),
        ("quiet_hours_start", "", "Enter when quiet hours start, like 21:00"),
        ("quiet_hours_end", "7 o'clock", "Enter when quiet hours end as hours and minutes"),
    ],
)
def test_a_bad_time_gets_a_message_and_keeps_what_was_typed(
    client_request, resident_user, field, typed, message
):
    _, resident = resident_user
    client_request.set_locale("en")
    page = client_request.post(
        "/settings", dict(VALID, large_text="y", **{field: typed}), expected_status=200
    )
    assert message in field_error(page, field)
    assert page.title.get_text().startswith("Error: ")
    assert page.find(id=field)["value"] == typed
    assert page.find("input", value="voice").has_attr("checked")
    assert page.find(id="large_text").has_attr("checked")
    db.session.refresh(resident)
    assert resident.channel == Channel.SMS and not resident.large_text  # nothing half-saved


def test_no_channel_chosen_is_an_error_and_keeps_the_other_values(client_request, resident_user):
    _, resident = resident_user
    client_request.set_locale("en")
    data = {k: v for k, v in VALID.items() if k != "channel"}
    page = client_request.post("/settings", dict(data, read_aloud="y"), expected_status=200)
    assert error_summary(page) == ["Choose how we should contact you"]
    assert page.find(class_="error-summary").find("a")["href"] == "#channel-0"
    assert "Choose how we should contact you" in field_error(page, "channel")
    assert page.find(id="quiet_hours_start")["value"] == "22:30"
    assert page.find("input", attrs={"name": "language", "value": "en"}).has_attr("checked")
    assert page.find(id="read_aloud").has_attr("checked")
    assert not page.find_all("input", attrs={"name": "channel", "checked": True})
    db.session.refresh(resident)
    assert resident.quiet_hours_start == time(21, 0)


def test_an_unknown_channel_or_language_is_refused(client_request, resident_user):
    client_request.set_locale("en")
    page = client_request.post(
        "/settings", dict(VALID, channel="pigeon", language="fr"), expected_status=200
    )
    assert error_summary(page) == ["Choose a language", "Choose how we should contact you"]


def test_an_empty_post_shows_every_problem(client_request, resident_user):
    page = client_request.post("/settings", {}, expected_status=200)
    assert page.title.get_text().startswith("错误：")
    links = [a["href"] for a in page.find(class_="error-summary").find_all("a")]
    assert links == ["#language-0", "#channel-0", "#quiet_hours_start", "#quiet_hours_end"]
    for href in links:
        assert page.find(id=href[1:]) is not None


def test_guardian_edits_the_dependents_settings(client_request):
    dependent = create_resident(disability_category=5)
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.set_locale("en")
    page = client_request.get("/settings")
    assert dependent.name in page.find(class_="acting-for").get_text()
    client_request.post("/settings", dict(VALID, channel="both", large_text="y"))
    db.session.refresh(dependent)
    db.session.refresh(guardian)
    assert dependent.channel == Channel.BOTH and dependent.large_text
    assert dependent.quiet_hours_start == time(22, 30)
    assert guardian.language == "en"


def test_staff_cannot_open_settings(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    client_request.get("/settings", expected_status=403)
    client_request.post("/settings", VALID, expected_status=403)


def test_anonymous_visitors_are_sent_to_sign_in(client_request):
    client_request.get("/settings", expected_status=302)
    assert client_request.response.location.startswith("/sign-in")


def test_settings_is_in_the_resident_menu(client_request, resident_user):
    client_request.set_locale("en")
    page = client_request.get("/settings")
    current = page.find("nav").find("a", attrs={"aria-current": "page"})
    assert current["href"] == "/settings"


# --- The "Larger text" toggle and the display cookie ----------------------------------------


def _toggle(page):
    return page.find("form", action="/display/large-text").find("button")


def test_large_text_toggle_round_trip_for_a_visitor(client_request):
    client_request.set_locale("en")
    page = client_request.get("/")
    button = _toggle(page)
    assert button.get_text(strip=True) == "Larger text"
    assert button["aria-pressed"] == "false"
    assert "large-text" not in _html_classes(page)

    client_request.post("/display/large-text", {"next": "/sign-in"})
    assert client_request.response.location == "/sign-in"
    assert client_request.client.get_cookie("wenxu_display").value == "large-text"
    page = client_request.get("/sign-in")
    assert _toggle(page)["aria-pressed"] == "true"
    assert "large-text" in _html_classes(page)
    assert (
        page.find("form", action="/display/large-text").find("input", attrs={"name": "next"})[
            "value"
        ]
        == "/sign-in"
    )

    client_request.post("/display/large-text", {"next": "/"})
    page = client_request.get("/")
    assert _toggle(page)["aria-pressed"] == "false"
    assert "large-text" not in _html_classes(page)


def test_the_toggle_never_sends_anyone_off_site(client_request):
    client_request.post("/display/large-text", {"next": "https://evil.example/"})
    assert client_request.response.location == "/"


def test_the_toggle_keeps_the_other_cookie_preferences(client_request):
    client_request.client.set_cookie("wenxu_display", "high-contrast.read-aloud")
    client_request.post("/display/large-text", {"next": "/"})
    value = client_request.client.get_cookie("wenxu_display").value
    assert DisplayPrefs.from_cookie(value) == DisplayPrefs(True, True, True)


def test_the_toggle_flips_the_residents_setting(client_request, resident_user):
    _, resident = resident_user
    client_request.post("/display/large-text", {"next": "/settings"})
    db.session.refresh(resident)
    assert resident.large_text
    page = client_request.get("/settings")
    assert _toggle(page)["aria-pressed"] == "true"
    assert page.find(id="large_text").has_attr("checked")
    client_request.post("/display/large-text", {"next": "/settings"})
    db.session.refresh(resident)
    assert not resident.large_text


def test_for_residents_their_settings_outweigh_the_cookie(client_request, resident_user):
    client_request.client.set_cookie("wenxu_display", "large-text.high-contrast")
    page = client_request.get("/")
    assert _html_classes(page) == []


def test_staff_use_the_cookie(client_request):
    staff = create_user(Role.VILLAGE_WORKER)
    db.session.commit()
    client_request.login(staff)
    client_request.post("/display/large-text", {"next": "/admin/"})
    assert client_request.response.location == "/admin/"
    page = client_request.get("/admin/")
    assert "large-text" in _html_classes(page)
    assert _toggle(page)["aria-pressed"] == "true"


def test_error_pages_carry_the_display_classes(client_request):
    client_request.client.set_cookie("wenxu_display", "high-contrast")
    page = client_request.get("/no-such-page", expected_status=404)
    assert _html_classes(page) == ["high-contrast"]


@pytest.mark.parametrize(
    ("cookie", "prefs"),
    [
        (None, DisplayPrefs()),
        ("", DisplayPrefs()),
        ("large-text", DisplayPrefs(large_text=True)),
        ("read-aloud.nonsense.high-contrast", DisplayPrefs(False, True, True)),
    ],
)
def test_display_cookie_values(cookie, prefs):
    assert DisplayPrefs.from_cookie(cookie) == prefs
    assert DisplayPrefs.from_cookie(prefs.to_cookie()) == prefs


def test_a_guardians_toggle_changes_their_own_screen_only(client_request):
    dependent = create_resident()
    guardian = create_user(Role.GUARDIAN)
    create_guardianship(guardian, dependent)
    db.session.commit()
    client_request.login(guardian)
    client_request.post("/display/large-text", {"next": "/"})
    db.session.refresh(dependent)
    assert not dependent.large_text
    assert "large-text" in _html_classes(client_request.get("/"))
