"""The call that reads a stored message aloud and takes answers on the keypad.

Twilio fetches `/voice/out/<id>` once the call is answered (the provider placed the call with
that URL). A person hears the message slowly in their language, then a menu: 9 repeats it,
1/2/3 rate what the message asked them to rate, 0 asks for a worker to call back. An answering
machine hears the message once and the call ends. Silence or a wrong key brings the menu back
at most twice (the count rides in the action URL's query string, since a call has no session);
then the call says goodbye and the same message follows as a text, once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.twiml.voice_response import Gather, VoiceResponse

from portal.extensions import db
from portal.models import (
    Notification,
    Resident,
    Satisfaction,
)
from portal.services.inbound.phone_ratings import PendingRating, pending_for, rate_by_phone
from portal.services.outbound.call_backs import ASKED, request_call_back
from portal.services.outbound.notifications import text_copy
from portal.services.plans.plan_lookup import plan_awaiting_agreement
from portal.services.plans.plan_workflow import agree_from_phone
from portal.webhooks import bp
from portal.webhooks.speech import say, twiml

#: How many times the menu comes back after silence or a wrong key before the call ends.
MAX_REPROMPTS = 2
REPEAT, CALL_BACK = "9", "0"
RATING_KEYS = ("1", "2", "3")
#: On a call asking the resident to agree to their plan, 1 agrees.
AGREE_KEY = "1"
PLAN_TEMPLATE = "plan_awaiting_agreement"


@bp.post("/voice/out/<int:notification_id>")
def voice_out(notification_id: int) -> ResponseReturnValue:
    """Read the message; a person then gets the menu, a machine only the message."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not notification.body:
        return twiml(_unknown_message())
    response = VoiceResponse()
    say(response, notification.body, notification.language)
    if request.form.get("AnsweredBy", "").startswith("machine"):
        response.hangup()
        return twiml(response)
    _menu(response, notification, _pending(notification), attempt=0)
    return twiml(response)


@bp.post("/voice/out/<int:notification_id>/keys")
def voice_out_keys(notification_id: int) -> ResponseReturnValue:
    """One key from the menu (or none: Twilio posts an empty `Digits` after the timeout)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not notification.body:
        return twiml(_unknown_message())
    now = datetime.now(UTC)
    key = request.form.get("Digits", "")
    attempt = request.args.get("attempt", 0, type=int)
    pending = _pending(notification)
    resident = db.session.get(Resident, notification.resident_id or 0)
    response = VoiceResponse()
    language = notification.language
    if key == REPEAT:
        say(response, notification.body, language)
        _menu(response, notification, pending, attempt=0)
    elif key == AGREE_KEY and _asks_agreement(notification) and resident is not None:
        _agree(response, resident, language, now)
    elif key in RATING_KEYS and pending is not None and resident is not None:
        _rate(response, resident, pending, key, language, now)
    elif key == CALL_BACK and resident is not None:
        _call_back(response, notification, resident, now)
    elif attempt < MAX_REPROMPTS:
        with force_locale(language):
            sorry = _("Sorry, that key does nothing here.") if key else _("We did not hear a key.")
        say(response, sorry, language)
        _menu(response, notification, pending, attempt=attempt + 1)
    else:
        _goodbye_with_text(response, notification, now)
    return twiml(response)


def _pending(notification: Notification) -> PendingRating | None:
    return pending_for(db.session, notification, datetime.now(UTC))


def _menu(
    response: VoiceResponse,
    notification: Notification,
    pending: PendingRating | None,
    *,
    attempt: int,
) -> None:
    """The keys on offer, inside a Gather that posts the key (or its absence) back to us."""
    action = current_app.config["PUBLIC_BASE_URL"] + url_for(
        "webhooks.voice_out_keys", notification_id=notification.id, attempt=attempt
    )
    gather = Gather(num_digits=1, timeout=8, action=action, action_on_empty_result=True)
    language = notification.language
    with force_locale(language):
        if pending is not None:
            say(
                gather,
                _(
                    "How satisfied are you? Press 1 for satisfied, 2 for basically "
                    "satisfied, 3 for dissatisfied."
                ),
                language,
            )
        if _asks_agreement(notification):
            say(gather, _("Press 1 to agree to the plan."), language)
        say(gather, _("Press 9 to hear the message again."), language)
        if notification.resident_id is not None:
            say(gather, _("Press 0 if you want a worker to call you back."), language)
    response.append(gather)


def _asks_agreement(notification: Notification) -> bool:
    """A plan agreement call whose plan still waits for the resident's agreement."""
    if notification.template != PLAN_TEMPLATE or notification.resident_id is None:
        return False
    plan = plan_awaiting_agreement(db.session, notification.resident_id)
    return plan is not None and plan.id == (notification.params or {}).get("plan_id")


def _agree(response: VoiceResponse, resident: Resident, language: str, now: datetime) -> None:
    plan = agree_from_phone(db.session, resident, method="voice", now=now)
    db.session.commit()
    with force_locale(language):
        if plan is None:
            text = _("We could not record your agreement. A worker will contact you. Goodbye.")
        else:
            text = _(
                "Thank you. You have agreed to the plan. The township will approve it next. "
                "Goodbye."
            )
    say(response, text, language)
    response.hangup()


def _rate(
    response: VoiceResponse,
    resident: Resident,
    pending: PendingRating,
    key: str,
    language: str,
    now: datetime,
) -> None:
    rating = rate_by_phone(db.session, resident, pending, key, channel="voice", now=now)
    db.session.commit()
    with force_locale(language):
        if rating is None:
            text = _("This has already been rated. Thank you.")
        elif rating.level is Satisfaction.DISSATISFIED:
            text = _(
                "Thank you for your rating. We are sorry. A worker will contact you about it. "
                "Goodbye."
            )
        else:
            text = _("Thank you for your rating. Goodbye.")
    say(response, text, language)
    response.hangup()


def _call_back(
    response: VoiceResponse, notification: Notification, resident: Resident, now: datetime
) -> None:
    request_call_back(
        db.session,
        resident,
        reason=ASKED,
        dedupe_key=f"asked:{notification.id}",
        notification=notification,
        now=now,
    )
    db.session.commit()
    with force_locale(notification.language):
        text = _("A worker will call you back as soon as they can. Goodbye.")
    say(response, text, notification.language)
    response.hangup()


def _goodbye_with_text(response: VoiceResponse, notification: Notification, now: datetime) -> None:
    """No answer after the re-prompts: say goodbye, and send a resident the message as a text."""
    with force_locale(notification.language):
        if notification.resident_id is None:
            text = _("Goodbye.")
        else:
            _text_summary(notification, now)
            text = _("We will send you this message as a text message too. Goodbye.")
    say(response, text, notification.language)
    response.hangup()


def _text_summary(notification: Notification, now: datetime) -> None:
    """Queue the message as an SMS, keyed so that reaching this step again sends nothing more."""
    text_copy(
        db.session, notification, dedupe_key=f"{notification.dedupe_key}:voice-summary", now=now
    )
    db.session.commit()


def _unknown_message() -> VoiceResponse:
    """A call about a message we no longer have: apologise in both languages and end it."""
    response = VoiceResponse()
    hotline = current_app.config["HOTLINE_NUMBER"]
    for language in ("zh_CN", "en"):
        with force_locale(language):
            text = _(
                "Sorry, we cannot find this message. Please call %(hotline)s. Goodbye.",
                hotline=hotline,
            )
        say(response, text, language)
    response.hangup()
    return response
