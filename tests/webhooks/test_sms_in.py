"""POST /webhooks/twilio/sms: what a resident's text does, and what we text back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Case,
    CaseChannel,
    CaseType,
    InboundMessage,
    Notification,
    Rating,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.services.cases.staff_actions import resolve
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.twilio_webhooks import signed_post

PATH = "/webhooks/twilio/sms"
PHONE = "+8613912345678"
_sids = iter(range(1, 10_000))


def text(client, body: str, *, sid: str | None = None, from_phone: str = PHONE):
    params = {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "From": from_phone,
        "To": "+8610000000000",
        "Body": body,
    }
    return signed_post(client, PATH, params)


def reply(response) -> str:
    """The text of the TwiML <Message>, or "" when the webhook answered with none."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    if "<Message>" not in body:
        return ""
    return body.split("<Message>", 1)[1].split("</Message>", 1)[0]


def in_language(language: str, msgid: str, **params: str) -> str:
    """`msgid` as the catalogue words it in `language` (Chinese once the lead merges it)."""
    with force_locale(language):
        return gettext(msgid, **params)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def resident(app) -> Resident:
    _user, row = create_resident_user(create_area(), phone=PHONE, language="en")
    db.session.commit()
    return row


@pytest.fixture
def resolved_case(resident) -> Case:
    """A case staff resolved just now: the resident was asked to rate it."""
    staff = create_user(Role.VILLAGE_WORKER, area_id=resident.area_id)
    case = create_case(resident)
    resolve(db.session, case, actor=staff, text="The car has gone.", now=datetime.now(UTC))
    db.session.commit()
    return case


def test_a_digit_rates_the_resolved_case_once(client, resolved_case):
    sid = "SM" + "7" * 32
    answer = reply(text(client, "１", sid=sid))  # a full-width digit from a Chinese keyboard
    assert answer == "Wenxu: thank you. We have recorded your rating: Satisfied."
    assert reply(text(client, "１", sid=sid)) == answer
    ratings = db.session.scalars(select(Rating)).all()
    assert [(r.case_id, r.level, r.channel) for r in ratings] == [
        (resolved_case.id, Satisfaction.SATISFIED, "sms")
    ]
    second = reply(text(client, "3"))
    assert second.startswith("Wenxu: thank you, but nothing is waiting for your rating now.")
    assert count(Rating) == 1


def _resolved_for(resident: Resident) -> Case:
    staff = create_user(Role.VILLAGE_WORKER, area_id=resident.area_id)
    case = create_case(resident)
    resolve(db.session, case, actor=staff, text="Done.", now=datetime.now(UTC))
    db.session.commit()
    return case


def test_a_resident_without_an_account_rates_by_text_and_gets_one(client, app):
    resident = create_resident(create_area(), phone=PHONE, language="en")
    db.session.commit()
    case = _resolved_for(resident)
    answer = reply(text(client, "3"))
    assert answer.startswith("Wenxu: thank you. We have recorded your rating")
    [rating] = db.session.scalars(select(Rating)).all()
    assert (rating.case_id, rating.level, rating.given_as.value) == (
        case.id,
        Satisfaction.DISSATISFIED,
        "resident",
    )
    account = db.session.get(User, rating.given_by_id)
    assert account.resident_id == resident.id and account.password_hash is None
    assert account.phone == PHONE and account.role == Role.RESIDENT
    db.session.refresh(case)
    assert case.reopen_count == 1  # "dissatisfied" reopens it, as on the web


def test_a_digit_from_a_guardians_phone_is_a_rating_given_as_guardian(client, app):
    guardian = create_user(Role.GUARDIAN, phone=PHONE, language="en")
    resident = create_resident(create_area(), phone=PHONE, language="en")
    create_guardianship(guardian, resident)
    db.session.commit()
    _resolved_for(resident)
    reply(text(client, "1"))
    [rating] = db.session.scalars(select(Rating)).all()
    assert rating.given_by_id == guardian.id and rating.given_as.value == "guardian"
    assert count(User) == 2  # the guardian and the staff member: nobody new


def test_a_digit_out_of_range_explains_the_scale(client, resolved_case):
    answer = reply(text(client, "5"))
    assert answer == (
        "Wenxu: to rate, reply 1 if you are satisfied, 2 if basically satisfied, "
        "or 3 if dissatisfied."
    )
    assert count(Rating) == 0


def test_a_digit_with_nothing_to_rate_gets_a_polite_reply(client, resident):
    answer = reply(text(client, "2"))
    assert answer == (
        "Wenxu: thank you, but nothing is waiting for your rating now. To tell us something, "
        "write it in words, or call 12385."
    )
    assert count(Rating) == 0 and count(Case) == 0
    assert db.session.scalar(select(InboundMessage.outcome)) == "nothing_to_rate"


@pytest.mark.parametrize("word", ["STOP", " stop ", "退订", "TD", "ｔｄ", "退订。", "Ｓｔｏｐ"])
def test_stop_words_opt_out_and_the_reply_still_goes(client, resident, word):
    answer = reply(text(client, word))
    assert answer.startswith("Wenxu: you will get no more texts or calls from us.")
    assert "订阅 or START" in answer
    db.session.refresh(resident)
    assert resident.opted_out_at is not None
    assert count(Case) == 0


@pytest.mark.parametrize("word", ["START", "订阅", " Start "])
def test_start_words_opt_back_in(client, resident, word):
    reply(text(client, "退订"))
    answer = reply(text(client, word))
    assert answer == (
        "Wenxu: you will get our texts and calls again. To stop them, reply 退订 or STOP."
    )
    db.session.refresh(resident)
    assert resident.opted_out_at is None


def test_chinese_resident_gets_the_reply_in_chinese(client, app):
    create_resident(phone=PHONE, language="zh_CN")
    db.session.commit()
    answer = reply(text(client, "退订"))
    assert answer == in_language(
        "zh_CN",
        "Wenxu: you will get no more texts or calls from us. To get them again, "
        "reply 订阅 or START. Hotline %(hotline)s.",
        hotline="12385",
    )


def test_a_shared_phone_opts_out_every_resident_on_it(client, resident):
    other = create_resident(phone=PHONE)
    db.session.commit()
    reply(text(client, "STOP"))
    assert (
        db.session.scalar(
            select(func.count()).select_from(Resident).where(Resident.opted_out_at.is_not(None))
        )
        == 2
    )
    assert other.id != resident.id


def test_free_text_becomes_one_case_even_when_posted_twice(client, resident):
    sid = "SM" + "1" * 32
    words = "楼下的坡道坏了，轮椅上不去，请帮忙。"
    first = text(client, words, sid=sid)
    second = text(client, words, sid=sid)
    assert reply(first) == reply(second) == ""  # the case's acknowledgement answers instead
    cases = db.session.scalars(select(Case)).all()
    assert len(cases) == 1
    case = cases[0]
    assert (case.resident_id, case.channel, case.type) == (
        resident.id,
        CaseChannel.SMS,
        CaseType.CONSULTATION,
    )
    assert case.description == words and case.language == "en"
    acks = db.session.scalars(select(Notification).where(Notification.template == "case_ack"))
    assert [n.case_id for n in acks] == [case.id]
    assert count(InboundMessage) == 1


def test_an_unknown_number_gets_the_hotline_in_chinese_then_english(client, app):
    answer = reply(text(client, "你好", from_phone="+8613700000000"))
    wording = (
        "Wenxu: we do not know this phone number. Please call %(hotline)s and we will help you."
    )
    assert answer.split("\n") == [
        in_language("zh_CN", wording, hotline="12385"),
        "Wenxu: we do not know this phone number. Please call 12385 and we will help you.",
    ]
    assert count(Case) == 0
    assert db.session.scalar(select(InboundMessage.outcome)) == "unknown_number"


def test_an_empty_text_asks_for_words(client, resident):
    answer = reply(text(client, "  "))
    assert answer.startswith("Wenxu: your text had no words in it.")
    assert count(Case) == 0


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_an_unsigned_or_wrongly_signed_text_is_refused_and_changes_nothing(
    client, resident, signature
):
    params = {"MessageSid": "SM" + "9" * 32, "From": PHONE, "To": "+8610000000000", "Body": "STOP"}
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post(PATH, data=params, headers=headers)
    assert response.status_code == 403
    db.session.refresh(resident)
    assert resident.opted_out_at is None
    assert count(InboundMessage) == 0
