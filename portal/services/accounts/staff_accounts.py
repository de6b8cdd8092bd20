"""Staff accounts: create, re-scope, deactivate and reactivate, reset the second factor.

Every change writes an `AuditEvent` (`staff.create`, `staff.update`, `staff.deactivate`,
`staff.reactivate`, `staff.reset_two_factor`) with what changed, never a password. Functions
flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, func, select

from portal.models import STAFF_ROLES, Area, AreaLevel, AuditEvent, Institution, Role, User
from portal.models.base import AnySession
from portal.services.accounts import two_factor
from portal.services.reference.area_tree import in_subtree

#: Roles whose scope is an area, and the levels their area may be.
AREA_LEVELS: dict[Role, frozenset[AreaLevel]] = {
    Role.VILLAGE_WORKER: frozenset({AreaLevel.VILLAGE}),
    Role.TOWNSHIP_OFFICER: frozenset({AreaLevel.TOWNSHIP}),
    Role.COUNTY_STAFF: frozenset({AreaLevel.COUNTY, AreaLevel.CITY, AreaLevel.PROVINCE}),
    Role.SUPERVISOR: frozenset({AreaLevel.COUNTY, AreaLevel.CITY, AreaLevel.PROVINCE}),
}
#: The order roles are offered in.
STAFF_ROLE_ORDER = (
    Role.VILLAGE_WORKER,
    Role.TOWNSHIP_OFFICER,
    Role.COUNTY_STAFF,
    Role.SUPERVISOR,
    Role.INSTITUTION,
    Role.ADMIN,
)
MIN_PASSWORD = 12
MAX_PASSWORD = 128
#: A few passwords people choose although they are long enough (checked without case).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "passwordpassword",
        "password1234",
        "password12345",
        "wenxu-demo",
        "wenxudemo123",
        "administrator",
        "administrator1",
        "iloveyou1234",
        "qwerty123456",
        "1qaz2wsx3edc",
        "woaini1314520",
        "aa123456789012",
    }
)


class ScopeError(ValueError):
    """A role and scope that do not fit; `field` says which form field to show it beside."""

    def __init__(self, field: str, message: LazyString) -> None:
        super().__init__(field)
        self.field = field
        self.message = message


def password_problem(password: str, phone_e164: str | None) -> LazyString | None:
    """Why the password is too weak, or None: length first, then guessable content."""
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(num)d characters", num=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("Use %(num)d characters or fewer", num=MAX_PASSWORD)
    if len(set(password)) < 5:
        return _l("Use more different characters: this password is easy to guess")
    if password.lower() in COMMON_PASSWORDS:
        return _l("This password is too common: choose another")
    if phone_e164 and phone_e164.removeprefix("+86")[-8:] in password:
        return _l("Do not use the phone number in the password")
    return None


def check_scope(
    session: AnySession, role: Role, area_id: int | None, institution_id: int | None
) -> tuple[int | None, int | None]:
    """The (area_id, institution_id) to store for `role`, or `ScopeError`."""
    if role not in STAFF_ROLES:
        raise ScopeError("role", _l("Choose a staff role"))
    if role is Role.INSTITUTION:
        institution = session.get(Institution, institution_id) if institution_id else None
        if institution is None or not institution.active:
            raise ScopeError("institution", _l("Choose the institution this account works for"))
        return institution.area_id, institution.id
    if role is Role.ADMIN:
        # Administrators see everything; an area, if given, is only where they work.
        area = session.get(Area, area_id) if area_id else None
        return (area.id if area else None), None
    area = session.get(Area, area_id) if area_id else None
    if area is None or area.valid_to is not None:
        raise ScopeError("area", _l("Choose the area this account works in"))
    if area.level not in AREA_LEVELS[role]:
        raise ScopeError("area", AREA_MESSAGES[role])
    return area.id, None


AREA_MESSAGES: dict[Role, LazyString] = {
    Role.VILLAGE_WORKER: _l("A village worker works in a village: choose a village"),
    Role.TOWNSHIP_OFFICER: _l("A township officer works in a township: choose a township"),
    Role.COUNTY_STAFF: _l("County staff work in a county: choose a county"),
    Role.SUPERVISOR: _l("A supervisor works in a county: choose a county"),
}


def phone_taken(session: AnySession, phone_e164: str) -> bool:
    return session.scalar(select(func.count()).where(User.phone == phone_e164)) != 0


@dataclass(frozen=True)
class Actor:
    """Who made a change and from where, for the audit log."""

    user_id: int
    ip_address: str | None


def _audit(
    session: AnySession, actor: Actor, action: str, user: User, data: dict[str, Any], now: datetime
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            action=action,
            object_type="user",
            object_id=user.id,
            ip_address=actor.ip_address,
            data=data,
            created_at=now,
        )
    )
    session.flush()


def _scope_data(user: User) -> dict[str, Any]:
    return {"role": str(user.role), "area_id": user.area_id, "institution_id": user.institution_id}


def create_staff(
    session: AnySession,
    *,
    name: str,
    phone: str,
    role: Role,
    area_id: int | None,
    institution_id: int | None,
    password_hash: str,
    language: str,
    actor: Actor,
    now: datetime,
) -> User:
    area_id, institution_id = check_scope(session, role, area_id, institution_id)
    user = User(
        name=name,
        phone=phone,
        role=role,
        area_id=area_id,
        institution_id=institution_id,
        password_hash=password_hash,
        language=language,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "staff.create", user, {"name": name, **_scope_data(user)}, now)
    return user


def update_scope(
    session: AnySession,
    user: User,
    *,
    role: Role,
    area_id: int | None,
    institution_id: int | None,
    actor: Actor,
    now: datetime,
) -> bool:
    """Change role and scope; returns whether anything changed.

    A role change signs the person out everywhere, so a new second factor or a narrower
    scope applies from their next sign-in.
    """
    area_id, institution_id = check_scope(session, role, area_id, institution_id)
    before = _scope_data(user)
    user.role, user.area_id, user.institution_id = role, area_id, institution_id
    after = _scope_data(user)
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if not changed:
        return False
    if "role" in changed:
        user.session_version += 1
    _audit(session, actor, "staff.update", user, {"changed": changed}, now)
    return True


def deactivate(session: AnySession, user: User, *, actor: Actor, now: datetime) -> None:
    """Stop the account: it cannot sign in, and its open sessions end at their next request."""
    if not user.active:
        return
    user.active = False
    user.deactivated_at = now
    user.session_version += 1
    _audit(session, actor, "staff.deactivate", user, {}, now)


def reactivate(session: AnySession, user: User, *, actor: Actor, now: datetime) -> None:
    if user.active:
        return
    user.active = True
    user.deactivated_at = None
    _audit(session, actor, "staff.reactivate", user, {}, now)


def reset_second_factor(session: AnySession, user: User, *, actor: Actor, now: datetime) -> None:
    """Forget the authenticator secret and sign the person out: they set it up again."""
    had = user.totp_secret is not None
    two_factor.reset(session, user)
    user.session_version += 1
    _audit(session, actor, "staff.reset_two_factor", user, {"had_secret": had}, now)


def staff_list(session: AnySession, role: Role | None, area_id: int | None) -> Select[User]:
    """Staff accounts, filtered by role and by area subtree (through the account's area)."""
    query = select(User).where(User.role.in_(STAFF_ROLES))
    if role is not None:
        query = query.where(User.role == role)
    if area_id is not None:
        query = query.where(in_subtree(session, User.area_id, area_id))
    return query
