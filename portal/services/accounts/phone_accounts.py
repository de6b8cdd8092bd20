"""Who answers from a resident's phone: their account, a guardian's on a family phone, or a new one.

A text or a key press carries only a phone number; ratings and plan agreements need the account
that gives them (services/inbound/phone_ratings.py, services/plans/plan_workflow.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.models import Resident, Role, User
from portal.models.base import AnySession
from portal.services.people.guardians import valid_guardianships
from portal.services.sla.sla import local_zone


def resident_account(session: AnySession, resident: Resident) -> User | None:
    """The resident's own active user account, if they have one."""
    return session.scalar(
        select(User).where(
            User.resident_id == resident.id, User.role == Role.RESIDENT, User.active.is_(True)
        )
    )


def phone_account(session: AnySession, resident: Resident, now: datetime) -> User | None:
    """The account that answers (rates, agrees) from the resident's phone, if there is one.

    Their own account; else, when the number is a guardian's or agent's (a family phone), that
    person's account while their grant is valid: the answer is then given as guardian.
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


def open_phone_account(session: AnySession, resident: Resident, now: datetime) -> User | None:
    """Open an account for a resident who answers by phone and has none (never a password).

    Many residents only ever use SMS and calls; an account is what a rating or an agreement is
    given by, and it lets them sign in later with a code sent to the same phone. None when the
    number already belongs to someone else who may not answer for them.
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
