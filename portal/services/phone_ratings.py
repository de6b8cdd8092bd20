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

from portal.models import Case, Delivery, Notification, Rating, Resident, Role, Satisfaction, User
from portal.models.base import AnySession
from portal.services import case_actions, ratings
from portal.services.guardians import valid_guardianships
from portal.services.plans import delivery_of
from portal.services.sla import local_zone
from portal.services.workflow import ActionRefused

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


def resident_account(session: AnySession, resident: Resident) -> User | None:
    """The resident's own active user account, if they have one."""
    return session.scalar(
        select(User).where(
            User.resident_id == resident.id, User.role == Role.RESIDENT, User.active.is_(True)
        )
    )


def phone_rater(session: AnySession, resident: Resident, now: datetime) -> User | None:
    """The account a rating from the resident's phone is given by, if there is one.

    Their own account; else, when the number is a guardian's or agent's (a family phone), that
    person's account while their grant is valid: the rating is then given as guardian.
    """
    own = resident_account(session, resident)
    if own is not None or not resident.phone:
        return own
    holder = session.scalar(select(User).where(User.phone == resident.phone, User.active.is_(True)))
    if holder is None:
        return None
    today = now.astimezone(local_zone()).date()
    grants = valid_guardianships(session, holder, today)
    return holder if any(g.resident_id == resident.id for g in grants) else None


def _account_for(session: AnySession, resident: Resident, now: datetime) -> User | None:
    """Open an account for a resident who answers by phone and has none (never a password).

    Many residents only ever use SMS and calls; an account is what a rating is given by, and it
    lets them sign in later with a code sent to the same phone. None when the number already
    belongs to someone else who may not rate for them.
    """
    if not resident.phone or session.scalar(select(User.id).where(User.phone == resident.phone)):
        return None
    account = User(
        phone=resident.phone,
        name=resident.name,
        role=Role.RESIDENT,
        resident_id=resident.id,
        language=resident.language,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def pending_rating(session: AnySession, resident: Resident, now: datetime) -> PendingRating | None:
    """The newest rating request sent to `resident` within `RATING_WINDOW` not yet answered."""
    rater = phone_rater(session, resident, now)
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
    return _still_open(session, resident, request, phone_rater(session, resident, now), now)


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
    rater = pending.rater or _account_for(session, resident, now)
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
