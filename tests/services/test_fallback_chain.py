"""The fallback chain: voice → SMS → guardians → a call-back task, each step once."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Channel, MessageChannel, Notification, NotificationStatus, Role
from portal.models.notification import CallBack
from portal.services.outbound.fallback import fall_back
from portal.services.outbound.notifications import notify_resident, queue_message
from tests.factories import create_guardianship, create_resident, create_user

pytestmark = pytest.mark.usefixtures("app")
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


def _resident(**kw):
    kw.setdefault("disability_category", 4)
    return create_resident(quiet_hours_start=time(0), quiet_hours_end=time(0), **kw)


def _notify(resident, key="case:1:case_ack"):
    rows = notify_resident(
        db.session,
        resident,
        template="case_merged",
        params={"reference": "261100043", "other": "261100042"},
        dedupe_key=key,
        now=NOW,
    )
    db.session.commit()
    return rows


def _fail(row):
    row = db.session.get(Notification, row.id)
    row.status = NotificationStatus.FAILED
    fall_back(db.session, row, reason="test", now=NOW)
    fall_back(db.session, row, reason="test again", now=NOW)  # a late duplicate callback
    db.session.commit()


def _rows(**where):
    db.session.expire_all()
    query = select(Notification).filter_by(**where).order_by(Notification.id)
    return db.session.scalars(query).all()


def test_the_chain_runs_voice_sms_guardian_call_back_each_once():
    resident = _resident(channel=Channel.VOICE, name="张秀英")
    guardian = create_user(Role.GUARDIAN, language="en")
    create_guardianship(guardian, resident)
    expired = create_user(Role.GUARDIAN)
    create_guardianship(expired, resident, valid_from=date(2020, 1, 1), expires_on=date(2021, 1, 1))
    [call] = _notify(resident)
    assert call.channel == MessageChannel.VOICE

    _fail(call)
    [sms] = _rows(fallback_of_id=call.id)
    assert (sms.channel, sms.to_phone, sms.user_id) == (MessageChannel.SMS, resident.phone, None)
    assert sms.dedupe_key == "case:1:case_ack:fb:sms"

    _fail(sms)
    [copy] = _rows(fallback_of_id=sms.id)  # the expired guardian gets nothing
    assert (copy.user_id, copy.to_phone, copy.language) == (guardian.id, guardian.phone, "en")
    assert copy.template == "guardian_copy" and copy.params["name"] == "张秀英"
    assert "261100043" in copy.params["text"] and "Wenxu" in copy.params["text"]
    assert db.session.scalars(select(CallBack)).all() == []

    _fail(copy)
    [task] = db.session.scalars(select(CallBack)).all()
    assert (task.resident_id, task.reason, task.notification_id) == (
        resident.id,
        "unreachable",
        copy.id,
    )
    assert len(_rows()) == 3  # call, its SMS, one guardian copy: nothing twice


def test_without_a_guardian_a_failed_sms_becomes_a_call_back_task():
    [sms] = _notify(_resident(channel=Channel.SMS))
    _fail(sms)
    [task] = db.session.scalars(select(CallBack)).all()
    assert task.dedupe_key == "case:1:case_ack:fb:call_back"
    assert _rows(fallback_of_id=sms.id) == []


def test_a_both_plan_does_not_text_twice_when_the_call_fails():
    resident = _resident(channel=Channel.BOTH)
    call, sms = _notify(resident)
    _fail(call)
    assert _rows(fallback_of_id=call.id) == []  # the planned SMS stands in
    assert db.session.scalars(select(CallBack)).all() == []
    _fail(sms)
    assert len(db.session.scalars(select(CallBack)).all()) == 1


def test_staff_messages_and_sign_in_codes_have_no_chain():
    staff = create_user(Role.COUNTY_STAFF)
    to_staff = queue_message(
        db.session,
        dedupe_key="staff:1",
        user_id=staff.id,
        channel=MessageChannel.SMS,
        to_phone=staff.phone,
        template="staff_follow_up",
        params={"reference": "261100042"},
        created_at=NOW,
    )
    resident = _resident()
    code = queue_message(
        db.session,
        dedupe_key="code:1",
        resident_id=resident.id,
        channel=MessageChannel.VOICE,
        to_phone=resident.phone,
        template="sign_in_code",
        params={"code": "••••••"},
        created_at=NOW,
    )
    db.session.commit()
    _fail(to_staff)
    _fail(code)
    assert len(_rows()) == 2
    assert db.session.scalars(select(CallBack)).all() == []
