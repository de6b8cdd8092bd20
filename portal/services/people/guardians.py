"""Guardians and agents (管家式服务): who may act for whom, and how far.

A guardianship has a scope: `view` only reads; `cases` also raises and follows requests (cases
and needs); `full` does everything the resident can, including agreeing to a plan and rating.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from portal.models import GuardianScope, Guardianship, Resident, User
from portal.models.base import AnySession

#: What each scope allows, by area of action ("view" is reading anything).
SCOPE_ALLOWS: dict[GuardianScope, frozenset[str]] = {
    GuardianScope.VIEW: frozenset({"view"}),
    GuardianScope.CASES: frozenset({"view", "cases"}),
    GuardianScope.FULL: frozenset({"view", "cases", "plan"}),
}


def valid_guardianships(session: AnySession, user: User, today: date) -> list[Guardianship]:
    """The grants `user` holds today, with their residents, in a stable order."""
    return list(
        session.scalars(
            select(Guardianship)
            .join(Resident, Guardianship.resident_id == Resident.id)
            .where(
                Guardianship.guardian_user_id == user.id,
                Guardianship.revoked_at.is_(None),
                Guardianship.valid_from <= today,
                or_(Guardianship.expires_on.is_(None), Guardianship.expires_on >= today),
            )
            .order_by(Resident.name, Resident.id)
        )
    )


def guardians_of(
    session: AnySession, resident: Resident, today: date
) -> list[tuple[Guardianship, User]]:
    """Everyone who holds or held a grant for `resident`: valid ones first, newest first."""
    rows = session.execute(
        select(Guardianship, User)
        .join(User, Guardianship.guardian_user_id == User.id)
        .where(Guardianship.resident_id == resident.id)
        .order_by(Guardianship.valid_from.desc(), Guardianship.id.desc())
    ).all()
    pairs = [(grant, user) for grant, user in rows]
    return sorted(pairs, key=lambda pair: not pair[0].is_valid_on(today))


def allows(grant: Guardianship, area: str) -> bool:
    return area in SCOPE_ALLOWS[grant.scope]
