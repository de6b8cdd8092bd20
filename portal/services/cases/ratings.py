"""Satisfaction ratings given by residents and guardians, on deliveries and on whole plans.

A rating can be changed for `CHANGE_WINDOW` after it was first given. "Dissatisfied" opens a
follow-up case by itself, once per rating: the case's first internal event carries the rating's
id, so changing the level back and forth never opens a second one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.models import (
    Case,
    CaseEvent,
    CaseType,
    Delivery,
    EventKind,
    GivenAs,
    NeedItem,
    Plan,
    Rating,
    Resident,
    Role,
    Satisfaction,
    User,
)
from portal.models.base import AnySession
from portal.services.cases.cases import append_event, file_case

CHANGE_WINDOW = timedelta(days=7)


class RatingLockedError(ValueError):
    """The rating is older than the change window and can no longer be changed."""


def delivery_rating(session: AnySession, resident_id: int, delivery_id: int) -> Rating | None:
    """The resident's rating of one delivered service, if given."""
    return session.scalar(
        select(Rating).where(Rating.resident_id == resident_id, Rating.delivery_id == delivery_id)
    )


def delivery_ratings(
    session: AnySession, resident_id: int, delivery_ids: Collection[int]
) -> dict[int, Rating]:
    """The resident's ratings of these deliveries, by delivery id, in one query."""
    if not delivery_ids:
        return {}
    rows = session.scalars(
        select(Rating).where(
            Rating.resident_id == resident_id, Rating.delivery_id.in_(list(delivery_ids))
        )
    )
    return {rating.delivery_id: rating for rating in rows if rating.delivery_id is not None}


def plan_rating(session: AnySession, plan: Plan) -> Rating | None:
    """The rating of the whole plan for the plan's year: one a year, whatever the version."""
    return session.scalar(
        select(Rating)
        .join(Plan, Rating.plan_id == Plan.id)
        .where(Plan.resident_id == plan.resident_id, Plan.year == plan.year)
        .order_by(Rating.id)
        .limit(1)
    )


def can_change(rating: Rating | None, now: datetime) -> bool:
    """Whether a rating may be given or changed now."""
    return rating is None or now < rating.created_at + CHANGE_WINDOW


def given_as(user: User, resident: Resident) -> GivenAs:
    """Who gave a rating: the resident themselves, or a guardian or agent for them."""
    if user.role == Role.RESIDENT and user.resident_id == resident.id:
        return GivenAs.RESIDENT
    if user.role == Role.GUARDIAN:
        return GivenAs.GUARDIAN
    raise ValueError("only a resident or their guardian may give a rating")


def rate(
    session: AnySession,
    *,
    resident: Resident,
    given_by: User,
    level: Satisfaction,
    comment: str | None,
    now: datetime,
    existing: Rating | None,
    delivery: Delivery | None = None,
    plan: Plan | None = None,
    follow_up_description: str,
    language: str = "zh_CN",
) -> tuple[Rating, Case | None]:
    """Give or change a rating of one delivery or one plan; returns it and any follow-up case.

    `existing` is the rating already given for the same thing (from `delivery_rating` or
    `plan_rating`); it is updated inside the change window, and `RatingLockedError` is raised
    after it. `follow_up_description` is the text of the follow-up case a "dissatisfied"
    rating opens (the caller words it in the resident's language).
    """
    if (delivery is None) == (plan is None):
        raise ValueError("rate exactly one delivery or one plan")
    if not can_change(existing, now):
        raise RatingLockedError("rating_locked")
    if existing is None:
        rating = Rating(
            resident_id=resident.id,
            delivery_id=delivery.id if delivery else None,
            plan_id=plan.id if plan else None,
            created_at=now,
        )
        session.add(rating)
    else:
        rating = existing
        rating.updated_at = now
    rating.level = level
    rating.comment = comment or None
    rating.given_by_id = given_by.id
    rating.given_as = given_as(given_by, resident)
    rating.channel = "web"
    session.flush()
    case = None
    if level == Satisfaction.DISSATISFIED and follow_up_case(session, rating) is None:
        case = _open_follow_up(
            session,
            rating,
            resident=resident,
            given_by=given_by,
            delivery=delivery,
            description=follow_up_description,
            now=now,
            language=language,
        )
    return rating, case


def _open_follow_up(
    session: AnySession,
    rating: Rating,
    *,
    resident: Resident,
    given_by: User,
    delivery: Delivery | None,
    description: str,
    now: datetime,
    language: str,
) -> Case:
    """File the follow-up case a "dissatisfied" rating opens, its event naming the rating."""
    need_item: NeedItem | None = delivery.plan_item.need_item if delivery else None
    case = file_case(
        session,
        resident=resident,
        filed_by=given_by,
        case_type=CaseType.FOLLOW_UP,
        description=description,
        need_item=need_item,
        now=now,
        language=language,
    )
    append_event(
        session,
        case,
        EventKind.RATED,
        now=now,
        actor=given_by,
        public=False,
        on_behalf_of=resident if given_by.resident_id != resident.id else None,
        data={"rating_id": rating.id},
    )
    return case


def follow_up_case(session: AnySession, rating: Rating) -> Case | None:
    """The follow-up case a "dissatisfied" rating has already opened, if any."""
    return session.scalar(
        select(Case)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            Case.type == CaseType.FOLLOW_UP,
            Case.resident_id == rating.resident_id,
            CaseEvent.kind == EventKind.RATED,
            CaseEvent.data["rating_id"].as_integer() == rating.id,
        )
        .limit(1)
    )
