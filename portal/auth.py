"""Sign-in plumbing: password hashing, the user loader, and permission decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from portal.extensions import db, login_manager
from portal.models import STAFF_ROLES, Role, User

F = TypeVar("F", bound=Callable[..., Any])
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; spends the same effort when there is no such user."""
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        user = _user_of(token)
        if user is None:
            # An ended session (signed out, password changed, account stopped): forget it, so
            # the answer does not renew a cookie that still names the account.
            session.clear()
        return user


def _user_of(token: str) -> User | None:
    """The account a session's token ("id:version") signs in, if the session is still valid.

    Signing out, changing the password and staff changes bump `session_version`, which ends
    every session made before: the session is a signed cookie, so this is how it ends.
    """
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # The resident row comes in the same query: nearly every resident page reads it next.
    user = db.session.get(User, int(user_id), options=[joinedload(User.resident)])
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def staff_required(view: F) -> F:
    """Only staff accounts (any staff role) may use the view; anyone else gets 404.

    404, not 403: the staff console does not admit to residents that a page exists.
    """
    return roles_required(*STAFF_ROLES)(view)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only the given staff roles may use the view (administrators always may); others 404."""
    allowed = frozenset(roles) | {Role.ADMIN}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(404)
            return view(*args, **kwargs)

        wrapped.staff_only = allowed <= STAFF_ROLES  # type: ignore[attr-defined]
        wrapped.roles = allowed  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def resident_required(view: F) -> F:
    """Residents and guardians: the people the portal side is for."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in (Role.RESIDENT, Role.GUARDIAN):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
