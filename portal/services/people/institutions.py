"""Service institutions (机构量服) as county staff see them: work done, ratings, precision.

The precision score is the one the domain sets for an institution's performance:
(items sampled − imprecise) ÷ items sampled × 2 points, from the supervision checks of the items
it delivered (`SupervisionItem.institution_id`, written by the supervisors' checklist).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, func, select

from portal.models import Delivery, Institution, Rating, Role, Satisfaction, User
from portal.models.base import AnySession
from portal.models.supervision import SupervisionItem
from portal.services.reference.area_tree import in_subtree

#: The points a fully precise institution scores.
FULL_SCORE = 2


@dataclass(frozen=True)
class InstitutionSummary:
    institution: Institution
    deliveries: int
    satisfied: int
    basic: int
    dissatisfied: int
    sampled: int
    imprecise: int

    @property
    def score(self) -> Decimal | None:
        """The precision score to two places; None while nothing has been sampled."""
        return precision_score(self.sampled, self.imprecise)


def precision_score(sampled: int, imprecise: int) -> Decimal | None:
    """(sampled − imprecise) ÷ sampled × 2, rounded half up to two places; None for no sample."""
    if sampled == 0:
        return None
    score = Decimal(sampled - imprecise) / Decimal(sampled) * FULL_SCORE
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def institutions_for(session: AnySession, user: User) -> Select[Institution]:
    """Institutions based in the user's area subtree (every one for administrators)."""
    query = select(Institution).order_by(Institution.name_zh, Institution.id)
    if user.role == Role.ADMIN:
        return query
    if user.area_id is None:
        return query.where(Institution.id.is_(None))
    return query.where(in_subtree(session, Institution.area_id, user.area_id))


def summaries(session: AnySession, user: User) -> list[InstitutionSummary]:
    """Each institution in scope with its deliveries, their ratings and its precision."""
    institutions = list(session.scalars(institutions_for(session, user)))
    ids = [institution.id for institution in institutions]
    if not ids:
        return []
    deliveries = {
        institution_id: count
        for institution_id, count in session.execute(
            select(Delivery.institution_id, func.count())
            .where(Delivery.institution_id.in_(ids))
            .group_by(Delivery.institution_id)
        )
    }
    ratings: dict[tuple[int, str], int] = {
        (institution_id, str(level)): count
        for institution_id, level, count in session.execute(
            select(Delivery.institution_id, Rating.level, func.count())
            .join(Delivery, Rating.delivery_id == Delivery.id)
            .where(Delivery.institution_id.in_(ids))
            .group_by(Delivery.institution_id, Rating.level)
        )
        if institution_id is not None
    }
    checks = {
        institution_id: (sampled, imprecise or 0)
        for institution_id, sampled, imprecise in session.execute(
            select(
                SupervisionItem.institution_id,
                func.count(),
                func.sum(case((SupervisionItem.imprecise, 1), else_=0)),
            )
            .where(SupervisionItem.institution_id.in_(ids))
            .group_by(SupervisionItem.institution_id)
        )
    }
    return [
        InstitutionSummary(
            institution=institution,
            deliveries=deliveries.get(institution.id, 0),
            satisfied=ratings.get((institution.id, Satisfaction.SATISFIED.value), 0),
            basic=ratings.get((institution.id, Satisfaction.BASIC.value), 0),
            dissatisfied=ratings.get((institution.id, Satisfaction.DISSATISFIED.value), 0),
            sampled=checks.get(institution.id, (0, 0))[0],
            imprecise=checks.get(institution.id, (0, 0))[1],
        )
        for institution in institutions
    ]
