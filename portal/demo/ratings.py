"""Satisfaction ratings in the residents' own words: given by the resident or their guardian."""

from __future__ import annotations

from datetime import datetime

from portal.demo.case_texts import RATING_COMMENTS
from portal.demo.context import DemoContext
from portal.demo.surveys import age_on
from portal.models import Channel, GivenAs, Rating, Resident, Satisfaction

_LEVELS = (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.DISSATISFIED)
_WEIGHTS = (70, 22, 8)
_CHANNELS = {Channel.SMS: "sms", Channel.VOICE: "voice", Channel.BOTH: "voice"}


def can_rate(ctx: DemoContext, resident: Resident) -> bool:
    """Residents who get no messages and have no account are asked at the next visit instead."""
    return resident.channel != Channel.NONE or resident.id in ctx.accounts


def rate(
    ctx: DemoContext,
    resident: Resident,
    at: datetime,
    *,
    level: Satisfaction | None = None,
    cover: str | None = None,
    **subject: int,
) -> Rating:
    """Add a rating of one subject (`delivery_id=`, `plan_id=` or `case_id=`).

    With `cover`, the first three ratings of that kind take each level in turn, so every
    level appears however small the demo; later ones follow realistic weights.
    """
    if level is None:
        level = ctx.cycle(cover, _LEVELS, _WEIGHTS) if cover else ctx.pick(_LEVELS, _WEIGHTS)
    guardian = ctx.guardians.get(resident.id)
    age = age_on(resident, ctx.today)
    by_guardian = (
        guardian is not None or resident.disability_category == 5 or (age is not None and age < 14)
    )
    account = guardian if guardian is not None else ctx.accounts.get(resident.id)
    rating = Rating(
        resident_id=resident.id,
        level=level,
        comment=ctx.pick(RATING_COMMENTS[level.value]),
        given_by_id=account.id if account else None,
        given_as=GivenAs.GUARDIAN if by_guardian else GivenAs.RESIDENT,
        channel="web" if account else _CHANNELS.get(resident.channel, "sms"),
        created_at=at,
        **subject,
    )
    ctx.session.add(rating)
    return rating
