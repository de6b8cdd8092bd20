"""Text messages that residents send us: a rating digit, 退订/订阅, or words that become a case.

Each message is recorded once per provider reference (Twilio's MessageSid) with what it did,
so a webhook Twilio calls twice changes nothing the second time and answers the same way:
the reply is worded from the stored record, never from what the second call would do.

A number shared by several residents (a family phone) speaks for all of them when it opts out
or back in, since it is the phone that stops receiving; a digit rates whichever of them has a
rating waiting; words are filed for the earliest registered of them, and staff can see on the
case which number sent it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.models import CaseChannel, CaseType, InboundMessage, Resident
from portal.models.base import AnySession
from portal.services.cases.cases import file_case
from portal.services.inbound.phone_ratings import LEVELS, pending_rating, rate_by_phone
from portal.services.plans.plan_workflow import agree_from_phone
from portal.services.reference.labels import SATISFACTION

# What a text did (InboundMessage.outcome).
RATED = "rated"
NOTHING_TO_RATE = "nothing_to_rate"
NOT_A_RATING = "not_a_rating"  # a digit other than 1-3 while a rating waits
OPTED_OUT = "opted_out"
OPTED_IN = "opted_in"
CASE = "case"
UNKNOWN_NUMBER = "unknown_number"
IGNORED = "ignored"  # no words at all (a picture, an empty text)
PLAN_AGREED = "plan_agreed"
NOTHING_TO_AGREE = "nothing_to_agree"

#: Our keywords and Twilio's own (Advanced Opt-Out defaults), so our record agrees with the
#: carrier's: after any of these Twilio itself stops delivering to the number.
OPT_OUT_WORDS = frozenset({"退订", "td", "stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
OPT_IN_WORDS = frozenset({"订阅", "start", "unstop", "yes"})
#: A reply that agrees to the plan waiting for the resident's agreement.
PLAN_AGREE_WORDS = frozenset({"同意", "agree", "y"})
#: Punctuation residents add around a keyword ("退订。", "STOP!").
_TRIM = " \t\r\n.,!?;:'\"。，！？；：、…~"

KIND_SMS = "sms"


def keyword(body: str) -> str:
    """`body` as a keyword: full-width letters and digits made ASCII, trimmed, lower case."""
    return unicodedata.normalize("NFKC", body).strip(_TRIM).casefold()


def recorded(session: AnySession, message_sid: str) -> InboundMessage | None:
    """The text already recorded under `message_sid`, if any."""
    return session.scalar(select(InboundMessage).where(InboundMessage.provider_ref == message_sid))


def receive_sms(
    session: AnySession, *, message_sid: str, from_phone: str, body: str, now: datetime
) -> InboundMessage:
    """Record and act on one text, once per `message_sid` (a repeat returns the first record).

    The record is flushed before anything else, so a concurrent duplicate fails on the unique
    provider reference and rolls back whole (the caller re-reads with `recorded`). Flushes;
    the caller commits.
    """
    existing = recorded(session, message_sid)
    if existing is not None:
        return existing
    inbound = InboundMessage(
        provider_ref=message_sid,
        kind=KIND_SMS,
        from_phone=from_phone[:20],  # Twilio sends E.164 (at most 16 characters)
        body=body,
        outcome=IGNORED,
        created_at=now,
    )
    session.add(inbound)
    session.flush()
    residents = residents_with_phone(session, from_phone)
    if not residents:
        inbound.outcome = UNKNOWN_NUMBER
    else:
        inbound.resident_id = residents[0].id
        _act(session, inbound, residents, now)
    session.flush()
    return inbound


def residents_with_phone(session: AnySession, phone: str) -> list[Resident]:
    """Living residents whose phone is `phone`, earliest registered first."""
    if not phone:
        return []
    return list(
        session.scalars(
            select(Resident)
            .where(Resident.phone == phone, Resident.deceased_on.is_(None))
            .order_by(Resident.id)
        )
    )


def _act(
    session: AnySession, inbound: InboundMessage, residents: list[Resident], now: datetime
) -> None:
    word = keyword(inbound.body or "")
    if word in OPT_OUT_WORDS:
        for resident in residents:
            resident.opted_out_at = resident.opted_out_at or now
        inbound.outcome = OPTED_OUT
    elif word in OPT_IN_WORDS:
        for resident in residents:
            resident.opted_out_at = None
        inbound.outcome = OPTED_IN
    elif word in PLAN_AGREE_WORDS:
        _agree(session, inbound, residents, now)
    elif len(word) == 1 and word in "0123456789":
        _rate(session, inbound, residents, word, now)
    elif word:
        resident = residents[0]
        case = file_case(
            session,
            resident=resident,
            filed_by=None,
            # A question or a request in the resident's own words: staff answer consultations
            # first (two working days) and re-type the case if it is more than that.
            case_type=CaseType.CONSULTATION,
            description=(inbound.body or "").strip(),
            now=now,
            channel=CaseChannel.SMS,
            language=resident.language,
        )
        inbound.case_id = case.id
        inbound.outcome = CASE


def _agree(
    session: AnySession, inbound: InboundMessage, residents: list[Resident], now: datetime
) -> None:
    for resident in residents:
        if agree_from_phone(session, resident, method="sms", now=now) is not None:
            inbound.resident_id = resident.id
            inbound.outcome = PLAN_AGREED
            return
    inbound.outcome = NOTHING_TO_AGREE


def _rate(
    session: AnySession,
    inbound: InboundMessage,
    residents: list[Resident],
    digit: str,
    now: datetime,
) -> None:
    for resident in residents:
        pending = pending_rating(session, resident, now)
        if pending is None:
            continue
        inbound.resident_id = resident.id
        if digit not in LEVELS:
            inbound.outcome = NOT_A_RATING
            return
        if rate_by_phone(session, resident, pending, digit, channel="sms", now=now) is not None:
            inbound.outcome = RATED
            return
    inbound.outcome = NOTHING_TO_RATE


def reply_text(session: AnySession, inbound: InboundMessage, *, hotline: str) -> str | None:
    """What we text back, in the resident's language; None when the outbox answers instead.

    A text that became a case gets the case's own acknowledgement through the outbox, like any
    case. An unknown number has no language on record: Chinese first, then English.
    """
    if inbound.outcome == CASE:
        return None
    if inbound.outcome == UNKNOWN_NUMBER:
        return "\n".join(_reply(inbound, language, hotline) for language in ("zh_CN", "en"))
    resident = session.get(Resident, inbound.resident_id) if inbound.resident_id else None
    return _reply(inbound, resident.language if resident else "zh_CN", hotline)


def _reply(inbound: InboundMessage, language: str, hotline: str) -> str:
    with force_locale(language):
        outcome = inbound.outcome
        if outcome == RATED:
            level = LEVELS[keyword(inbound.body or "")]
            return _(
                "Wenxu: thank you. We have recorded your rating: %(level)s.",
                level=SATISFACTION[level],
            )
        if outcome == NOT_A_RATING:
            return _(
                "Wenxu: to rate, reply 1 if you are satisfied, 2 if basically satisfied, "
                "or 3 if dissatisfied."
            )
        if outcome == NOTHING_TO_RATE:
            return _(
                "Wenxu: thank you, but nothing is waiting for your rating now. To tell us "
                "something, write it in words, or call %(hotline)s.",
                hotline=hotline,
            )
        if outcome == PLAN_AGREED:
            return _(
                "Wenxu: thank you. We have recorded that you agree to your service plan. "
                "The township will approve it next."
            )
        if outcome == NOTHING_TO_AGREE:
            return _(
                "Wenxu: no plan is waiting for your agreement now. To tell us something, "
                "write it in words, or call %(hotline)s.",
                hotline=hotline,
            )
        if outcome == OPTED_OUT:
            return _(
                "Wenxu: you will get no more texts or calls from us. To get them again, "
                "reply 订阅 or START. Hotline %(hotline)s.",
                hotline=hotline,
            )
        if outcome == OPTED_IN:
            return _(
                "Wenxu: you will get our texts and calls again. To stop them, reply 退订 or STOP."
            )
        if outcome == UNKNOWN_NUMBER:
            return _(
                "Wenxu: we do not know this phone number. Please call %(hotline)s and we will "
                "help you.",
                hotline=hotline,
            )
        return _(
            "Wenxu: your text had no words in it. Please write what you need, or call %(hotline)s.",
            hotline=hotline,
        )
