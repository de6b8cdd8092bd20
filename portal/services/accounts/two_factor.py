"""The second factor for county staff, supervisors and administrators: TOTP (RFC 6238).

The secret is stored encrypted with the field cipher; `encrypt`/`decrypt` are passed in so this
module needs no application context. A code is accepted for the current 30-second step or one
step either side (`valid_window=1`), and never for a step at or before the last one accepted,
so an overheard or replayed code does not work twice. The "last step" is moved forward by a
conditional UPDATE, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.models import Role, User
from portal.models.base import AnySession

#: Roles that must enter a code from an authenticator app after their password or SMS code.
TWO_FACTOR_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR, Role.ADMIN})
ISSUER = "Wenxu"
VALID_WINDOW = 1


def needs_second_factor(user: User) -> bool:
    return user.role in TWO_FACTOR_ROLES


def is_set_up(user: User) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def ensure_secret(session: AnySession, user: User, *, encrypt: Callable[[str], bytes]) -> None:
    """Give the user an unconfirmed secret if they have none (the same one on every reload)."""
    if user.totp_secret is None:
        user.totp_secret = encrypt(pyotp.random_base32()).decode("ascii")
        user.totp_confirmed_at = None
        user.totp_last_step = None
        session.flush()


def secret_of(user: User, *, decrypt: Callable[[bytes], str]) -> str:
    assert user.totp_secret is not None
    return decrypt(user.totp_secret.encode("ascii"))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read aloud and to type: `ABCD EFGH …`."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    # The phone, not the name: it is what the person signs in with.
    return pyotp.TOTP(secret).provisioning_uri(name=user.phone, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify(
    session: AnySession,
    user: User,
    code: str,
    *,
    now: datetime,
    decrypt: Callable[[bytes], str],
) -> bool:
    """Whether `code` is right for now and newer than any code accepted before; uses it up."""
    if user.totp_secret is None:
        return False
    step = _matching_step(secret_of(user, decrypt=decrypt), code, now)
    if step is None:
        return False
    result = session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def confirm(
    session: AnySession,
    user: User,
    code: str,
    *,
    now: datetime,
    decrypt: Callable[[bytes], str],
) -> bool:
    """Finish setting up: the first right code confirms the secret."""
    if not verify(session, user, code, now=now, decrypt=decrypt):
        return False
    user.totp_confirmed_at = now
    session.flush()
    return True


def reset(session: AnySession, user: User) -> None:
    """Forget the secret: the next sign-in sets up a new one."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.flush()
