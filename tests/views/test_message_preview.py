"""The staff preview of every message: both languages, the voice wording, the SMS parts."""

import pytest

from portal.extensions import db
from portal.models import Role
from portal.services.outbound.messages import TEMPLATES
from tests.factories import create_area, create_user


@pytest.fixture
def staff(app):
    user = create_user(Role.VILLAGE_WORKER, area_id=create_area().id)
    db.session.commit()
    return user


def test_every_message_is_shown_in_both_languages_with_its_parts(client_request, staff):
    client_request.login(staff)
    client_request.set_locale("en")
    page = client_request.get("/admin/messages")
    sections = page.select("main section")
    assert len(sections) == len(TEMPLATES)
    for section in sections:
        assert [h.get_text(strip=True) for h in section.select("h3")] == ["Chinese", "English"]
        assert section.find("h2").get_text(strip=True), "every message has a name"
    ack = page.find(id="message-case_ack").parent
    text = ack.get_text(" ", strip=True)
    assert "问需：已收到您的投诉，编号 261100042" in text
    assert "Wenxu: we have received your complaint, reference 261100042" in text
    assert "UCS-2" in text and "GSM-7" in text and "1 part" in text


def test_the_sign_in_call_reads_the_code_digit_by_digit(client_request, staff):
    client_request.login(staff)
    client_request.set_locale("en")
    section = client_request.get("/admin/messages").find(id="message-sign_in_code").parent
    text = section.get_text(" ", strip=True)
    assert "The voice call says:" in text and "4, 8, 2, 9, 1, 5" in text


def test_residents_cannot_see_the_preview(client_request, app):
    client_request.login(create_user(Role.RESIDENT))
    client_request.get("/admin/messages", expected_status=404)


def test_a_rating_request_says_reply_by_text_and_leaves_the_keys_to_the_call(app):
    from portal.services.outbound.messages import SAMPLE_PARAMS, render

    for template in ("case_resolved", "delivery_rating_request"):
        params = SAMPLE_PARAMS[template]
        assert "Reply 1 satisfied, 2 basically satisfied, 3 dissatisfied." in render(
            template, params, "en", "sms"
        )
        assert "请回复 1 满意" in render(template, params, "zh_CN", "sms")
        spoken = render(template, params, "en", "voice")
        assert spoken.startswith("This is Wenxu.") and "Reply" not in spoken
