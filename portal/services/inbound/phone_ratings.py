"""Ratings given on the phone: one key (a voice call) or one digit (a text message).

A resident without a browser answers a rating request by pressing 1, 2 or 3 on the call that
read it, or by texting the digit back. The answer goes through the same services as the web
form (`case_actions.rate`, `ratings.rate`), so "dissatisfied" reopens a case or opens a
follow-up exactly as it does there; only `Rating.channel` says how it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.models import Case, Delivery, Notification, Rating, Resident, Satisfaction, User
from portal.models.base import AnySession
from portal.services.accounts.phone_accounts import open_phone_account, phone_account
from portal.services.cases import case_actions, ratings
from portal.services.cases.workflow import ActionRefused
from portal.services.plans.plans import delivery_of

#: The templates that ask for a rating: a resolved case, and a delivered service.
CASE_REQUEST = "case_resolved"
DELIVERY_REQUEST = "delivery_rating_request"
#: A digit that comes later than this after the question is not taken as its answer.
RATING_WINDOW = timedelta(days=7)
#: Keys and digits as the messages word them: 1 satisfied, 2 basically, 3 dissatisfied.
LEVELS = {"1": Satisfaction.SATISFIED, "2": Satisfaction.BASIC, "3": Satisfaction.DISSATISFIED}
#: How many recent requests to look through for one still open.
_LOOKBACK = 20


@dataclass(frozen=True)
class PendingRating:
    """What a digit from the resident would rate now, and the account that gives it.

    `rater` is None for a resident who has no account yet: answering makes one (`rate_by_phone`).
    """

    notification_id: int
    rater: User | None
    case: Case | None = None
    delivery: Delivery | None = None


def pending_rating(session: AnySession, resident: Resident, now: datetime) -> PendingRating | None:
    """The newest rating request sent to `resident` within `RATING_WINDOW` not yet answered."""
    rater = phone_account(session, resident, now)
    requests = session.scalars(
        select(Notification)
        .where(
            Notification.resident_id == resident.id,
            Notification.template.in_((CASE_REQUEST, DELIVERY_REQUEST)),
            Notification.created_at >= now - RATING_WINDOW,
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(_LOOKBACK)
    )
    for request in requests:
        pending = _still_open(session, resident, request, rater, now)
        if pending is not None:
            return pending
    return None


def pending_for(session: AnySession, request: Notification, now: datetime) -> PendingRating | None:
    """What `request` itself asks to rate, while it may still be rated (a call's own menu)."""
    resident = session.get(Resident, request.resident_id) if request.resident_id else None
    if resident is None or request.created_at < now - RATING_WINDOW:
        return None
    return _still_open(session, resident, request, phone_account(session, resident, now), now)


def _still_open(
    session: AnySession,
    resident: Resident,
    request: Notification,
    rater: User | None,
    now: datetime,
) -> PendingRating | None:
    if request.template == CASE_REQUEST and request.case_id is not None:
        case = session.get(Case, request.case_id)
        if case is not None and case_actions.RATE in case_actions.allowed_actions(
            session, case, now
        ):
            return PendingRating(request.id, rater, case=case)
        return None
    delivery_id = (request.params or {}).get("delivery_id")
    if request.template == DELIVERY_REQUEST and isinstance(delivery_id, int):
        delivery = delivery_of(session, resident.id, delivery_id)
        if (
            delivery is not None
            and ratings.delivery_rating(session, resident.id, delivery_id) is None
        ):
            return PendingRating(request.id, rater, delivery=delivery)
    return None


def rate_by_phone(
    session: AnySession,
    resident: Resident,
    pending: PendingRating,
    digit: str,
    *,
    channel: str,
    now: datetime,
) -> Rating | None:
    """Rate `pending` with `digit` ("1", "2" or "3"); None for any other digit, or too late.

    `channel` is "sms" or "voice". Flushes; the caller commits.
    """
    level = LEVELS.get(digit.strip())
    rater = pending.rater or open_phone_account(session, resident, now)
    if level is None or rater is None:
        return None
    try:
        if pending.case is not None:
            rating = case_actions.rate(
                session, pending.case, actor=rater, level=level, comment=None, now=now
            )
        elif pending.delivery is not None:
            rating = _rate_delivery(session, resident, rater, pending.delivery, level, now)
        else:
            return None
    except (ActionRefused, ratings.RatingLockedError):
        return None  # rated meanwhile (on the web, or by a second text)
    rating.channel = channel
    session.flush()
    return rating


def _rate_delivery(
    session: AnySession,
    resident: Resident,
    rater: User,
    delivery: Delivery,
    level: Satisfaction,
    now: datetime,
) -> Rating:
    language = resident.language
    with force_locale(language):
        subject = _(
            "%(item)s, delivered on %(day)s",
            item=delivery.plan_item.need_item.name(language),
            day=delivery.delivered_on.isoformat(),
        )
        description = _(
            "Dissatisfied with: %(subject)s. Comment: %(comment)s",
            subject=subject,
            comment=_("none"),
        )
    rating, _case = ratings.rate(
        session,
        resident=resident,
        given_by=rater,
        level=level,
        comment=None,
        now=now,
        existing=ratings.delivery_rating(session, resident.id, delivery.id),
        delivery=delivery,
        follow_up_description=description,
        language=language,
    )
    return rating
