"""Agreeing to a plan by phone: a text 同意 / AGREE / Y, or 1 on the call that asks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    InboundMessage,
    MessageChannel,
    Notification,
    NotificationStatus,
    PlanStatus,
    Resident,
    Role,
    User,
)
from portal.services.outbound.messages import render
from tests.factories import create_area, create_resident, create_resident_user
from tests.plan_factories import create_plan, create_plan_item
from tests.twilio_webhooks import signed_post

PHONE = "+8613912340001"
_sids = iter(range(1, 10_000))


def text(client, body: str):
    params = {
        "MessageSid": f"SMplan{next(_sids):028d}",
        "From": PHONE,
        "To": "+8610000000000",
        "Body": body,
    }
    response = signed_post(client, "/webhooks/twilio/sms", params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def plan(app):
    _user, resident = create_resident_user(create_area(), phone=PHONE, language="en")
    row = create_plan(resident, status=PlanStatus.AWAITING_AGREEMENT)
    create_plan_item(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("word", ["同意", "AGREE", "y", "Ｙ。"])
def test_a_text_agrees_to_the_plan_waiting(client, plan, word):
    reply = text(client, word)
    assert "We have recorded that you agree to your service plan" in reply
    db.session.refresh(plan)
    assert (plan.status, plan.agreement_method) == (PlanStatus.AWAITING_APPROVAL, "sms")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == plan.id)) == (
        "plan.agree"
    )


def test_agree_with_no_plan_waiting_changes_nothing(client, plan):
    plan.status = PlanStatus.ACTIVE
    db.session.commit()
    reply = text(client, "同意")
    assert "no plan is waiting for your agreement" in reply
    inbound = db.session.scalar(select(InboundMessage))
    assert inbound.outcome == "nothing_to_agree" and inbound.case_id is None


def test_a_resident_without_an_account_gets_one_when_agreeing_by_text(client, app):
    resident = create_resident(create_area(), phone=PHONE, language="en")
    plan = create_plan(resident, status=PlanStatus.AWAITING_AGREEMENT)
    db.session.commit()
    text(client, "agree")
    db.session.refresh(plan)
    agreed_by = db.session.get(User, plan.agreed_by_id)
    assert agreed_by.role == Role.RESIDENT and agreed_by.resident_id == resident.id


def _call(plan) -> Notification:
    resident = plan_resident(plan)
    params = {"year": str(plan.year), "plan_id": plan.id}
    row = Notification(
        dedupe_key=f"plan-call:{plan.id}",
        resident_id=resident.id,
        channel=MessageChannel.VOICE,
        to_phone=resident.phone,
        template="plan_awaiting_agreement",
        params=params,
        language="en",
        status=NotificationStatus.SENT,
        body=render("plan_awaiting_agreement", params, "en", "voice"),
        created_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def plan_resident(plan) -> Resident:
    return db.session.get(Resident, plan.resident_id)


def test_the_call_offers_1_to_agree_and_1_agrees(client, plan):
    call = _call(plan)
    said = signed_post(client, f"/webhooks/twilio/voice/out/{call.id}", {}).get_data(as_text=True)
    assert "Press 1 to agree to the plan." in said
    response = signed_post(
        client,
        f"/webhooks/twilio/voice/out/{call.id}/keys",
        {"Digits": "1", "CallSid": "CA1"},
        query="attempt=0",
    )
    assert "You have agreed to the plan" in response.get_data(as_text=True)
    db.session.refresh(plan)
    assert (plan.status, plan.agreement_method) == (PlanStatus.AWAITING_APPROVAL, "voice")


def test_once_agreed_the_call_no_longer_offers_it(client, plan):
    call = _call(plan)
    plan.status = PlanStatus.AWAITING_APPROVAL
    db.session.commit()
    said = signed_post(client, f"/webhooks/twilio/voice/out/{call.id}", {}).get_data(as_text=True)
    assert "Press 1 to agree" not in said
