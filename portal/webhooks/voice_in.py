"""The status line: a resident calls the service number, hears their cases, leaves a message.

The caller's number finds the resident, and a 4-digit PIN set in settings confirms it is them
(a caller ID alone can be faked). Then the line reads each open case and any plan waiting for
their agreement (`portal.services.inbound.status_line`), and offers to record a message, which
becomes a
case with the recording's address on it, once per call however often Twilio posts it.

A call has no session: after the PIN, the action URLs carry a token signed with the app's
secret naming the resident and the call, so no later step can be reached for anyone else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from twilio.twiml.voice_response import Gather, VoiceResponse

from portal.extensions import db
from portal.models import Case, CaseChannel, CaseType, InboundMessage, Resident
from portal.phones import PhoneError, validate_phone
from portal.services.accounts.phone_accounts import resident_account
from portal.services.accounts.phone_pin import LOCK_FOR, PinCheck, check_pin, is_locked
from portal.services.cases.cases import file_case
from portal.services.inbound.status_line import spoken_date, status_sentences
from portal.webhooks import bp
from portal.webhooks.speech import say, twiml

#: PIN tries in one call; the lock after repeated misses lives in `phone_pin`.
TRIES_PER_CALL = 3
RECORD_SECONDS = 120
LEAVE_MESSAGE, HEAR_AGAIN = "1", "9"
#: A call lasts minutes: a token older than this is not honoured.
TOKEN_SECONDS = 60 * 60


@bp.post("/voice/in")
def voice_in() -> ResponseReturnValue:
    """Greet a caller we know and ask for their PIN; tell anyone else how to get one."""
    residents = _callers()
    if not residents:
        return twiml(_how_to_set_a_pin())
    return twiml(_ask_for_pin(VoiceResponse(), residents[0].language, attempt=1))


@bp.post("/voice/in/pin")
def voice_in_pin() -> ResponseReturnValue:
    """Check the PIN typed (none after the timeout): right, wrong (try again) or locked."""
    residents = _callers()
    if not residents:
        return twiml(_how_to_set_a_pin())
    now = datetime.now(UTC)
    language = residents[0].language
    attempt = request.args.get("attempt", 1, type=int)
    digits = request.form.get("Digits", "")
    if all(is_locked(resident, now) for resident in residents):
        return twiml(_locked(language))
    if not digits:
        outcome, resident = PinCheck.WRONG, None
    else:
        outcome, resident = check_pin(db.session, residents, digits, now)
        db.session.commit()
    if outcome is PinCheck.LOCKED:
        return twiml(_locked(language))
    if resident is not None:
        return twiml(_status(resident))
    response = VoiceResponse()
    if attempt >= TRIES_PER_CALL:
        with force_locale(language):
            text = _(
                "Sorry, that PIN is not right. For help, please call %(hotline)s. Goodbye.",
                hotline=current_app.config["HOTLINE_NUMBER"],
            )
        say(response, text, language)
        response.hangup()
        return twiml(response)
    with force_locale(language):
        text = _("That PIN is not right.") if digits else _("We did not hear a PIN.")
    say(response, text, language)
    return twiml(_ask_for_pin(response, language, attempt=attempt + 1))


@bp.post("/voice/in/menu")
def voice_in_menu() -> ResponseReturnValue:
    """After the report: 1 records a message, 9 reads the report again."""
    resident = _signed_in_caller()
    if resident is None:
        return twiml(_how_to_set_a_pin())
    key = request.form.get("Digits", "")
    if key == HEAR_AGAIN:
        return twiml(_status(resident))
    if key != LEAVE_MESSAGE:
        return twiml(_goodbye(VoiceResponse(), resident.language))
    language = resident.language
    response = VoiceResponse()
    with force_locale(language):
        text = _(
            "After the tone, say your message. You have up to 2 minutes. "
            "Press the hash key when you have finished."
        )
    say(response, text, language)
    response.record(
        max_length=RECORD_SECONDS,
        finish_on_key="#",
        play_beep=True,
        action=_url("webhooks.voice_in_recording", t=_token(resident)),
    )
    # Twilio moves on to here only when nothing was recorded.
    with force_locale(language):
        say(response, _("We did not hear a message."), language)
    return twiml(_goodbye(response, language))


@bp.post("/voice/in/recording")
def voice_in_recording() -> ResponseReturnValue:
    """The recorded message becomes a case, once per call (Twilio may post it twice)."""
    resident = _signed_in_caller()
    recording = request.form.get("RecordingUrl", "")
    if resident is None or not recording:
        return twiml(_how_to_set_a_pin())
    case = _case_for_call(resident, request.form["CallSid"], recording)
    language = resident.language
    response = VoiceResponse()
    with force_locale(language):
        text = _(
            "Thank you. Your message is recorded with reference %(reference)s. "
            "We will answer by %(due)s.",
            reference=case.reference,
            due=spoken_date(case.resolve_due_at or case.created_at, language),
        )
    say(response, text, language)
    return twiml(_goodbye(response, language))


def _case_for_call(resident: Resident, call_sid: str, recording: str) -> Case:
    known = _case_of_call(call_sid)
    if known is not None:
        return known
    now = datetime.now(UTC)
    with force_locale(resident.language):
        description = _("Voice message (recording)")
    case = file_case(
        db.session,
        resident=resident,
        filed_by=resident_account(db.session, resident),
        case_type=CaseType.HELP,
        description=description,
        now=now,
        channel=CaseChannel.VOICE,
        language=resident.language,
    )
    case.recording_url = recording
    db.session.add(
        InboundMessage(
            provider_ref=call_sid,
            kind="call",
            from_phone=resident.phone or "",
            recording_url=recording,
            resident_id=resident.id,
            case_id=case.id,
            outcome="case",
            created_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same recording posted twice at once: the other one won
        db.session.rollback()
        known = _case_of_call(call_sid)
        if known is None:
            raise
        return known
    return case


def _case_of_call(call_sid: str) -> Case | None:
    return db.session.scalar(
        select(Case)
        .join(InboundMessage, InboundMessage.case_id == Case.id)
        .where(InboundMessage.provider_ref == call_sid)
    )


def _callers() -> list[Resident]:
    """The living residents with a PIN whose phone is the caller's number."""
    try:
        phone = validate_phone(request.form.get("From", ""))
    except PhoneError:
        return []
    return list(
        db.session.scalars(
            select(Resident)
            .where(
                Resident.phone == phone,
                Resident.phone_pin_hash.is_not(None),
                Resident.deceased_on.is_(None),
            )
            .order_by(Resident.id)
        )
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="voice-in-call")


def _token(resident: Resident) -> str:
    return _serializer().dumps([resident.id, request.form.get("CallSid", "")])


def _signed_in_caller() -> Resident | None:
    """The resident whose PIN was entered earlier in this same call, if the token says so."""
    try:
        resident_id, call_sid = _serializer().loads(
            request.args.get("t", ""), max_age=TOKEN_SECONDS
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not call_sid or call_sid != request.form.get("CallSid"):
        return None
    return db.session.get(Resident, resident_id)


def _url(endpoint: str, **query: Any) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **query)


def _ask_for_pin(response: VoiceResponse, language: str, *, attempt: int) -> VoiceResponse:
    gather = Gather(
        num_digits=4,
        timeout=10,
        action=_url("webhooks.voice_in_pin", attempt=attempt),
        action_on_empty_result=True,
    )
    with force_locale(language):
        text = (
            _("This is Wenxu. Please enter your 4-digit phone PIN.")
            if attempt == 1
            else _("Please enter your 4-digit phone PIN again.")
        )
    say(gather, text, language)
    response.append(gather)
    return response


def _status(resident: Resident) -> VoiceResponse:
    """The report, then the menu; silence after the menu ends the call."""
    language = resident.language
    response = VoiceResponse()
    for sentence in status_sentences(db.session, resident):
        say(response, sentence, language)
    gather = Gather(
        num_digits=1, timeout=8, action=_url("webhooks.voice_in_menu", t=_token(resident))
    )
    with force_locale(language):
        say(gather, _("Press 1 to leave a message. Press 9 to hear this again."), language)
    response.append(gather)
    return _goodbye(response, language)


def _goodbye(response: VoiceResponse, language: str) -> VoiceResponse:
    with force_locale(language):
        say(response, _("Thank you for calling Wenxu. Goodbye."), language)
    response.hangup()
    return response


def _locked(language: str) -> VoiceResponse:
    response = VoiceResponse()
    with force_locale(language):
        text = _(
            "Your phone PIN is locked for %(minutes)d minutes after too many wrong tries. "
            "Please try again later, or call %(hotline)s.",
            minutes=LOCK_FOR.seconds // 60,
            hotline=current_app.config["HOTLINE_NUMBER"],
        )
    say(response, text, language)
    response.hangup()
    return response


def _how_to_set_a_pin() -> VoiceResponse:
    """For a number we do not know, or a resident without a PIN: how to start, in both languages."""
    response = VoiceResponse()
    for language in ("zh_CN", "en"):
        with force_locale(language):
            text = _(
                "This is Wenxu. To hear your cases on this line, sign in to Wenxu and set a "
                "phone PIN in your settings. For help, please call %(hotline)s. Goodbye.",
                hotline=current_app.config["HOTLINE_NUMBER"],
            )
        say(response, text, language)
    response.hangup()
    return response
