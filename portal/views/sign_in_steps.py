"""What the sign-in pages share: their blueprint (`auth`), the pending sign-in's session key,
how a typed code is cleaned, and the last step of every way in (`complete_sign_in`).

The code and password pages (`auth`) and the second factor's pages (`two_factor`) both add
routes to `bp`; `portal.views.register_views` imports both before registering it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user

from portal.extensions import db
from portal.models import User
from portal.services.accounts.sign_in import SIGNED_IN, audit_sign_in
from portal.views.safety import safe_next

bp: Blueprint = Blueprint("auth", __name__)
#: The session key of a pending sign-in: an opaque token, never the number (see sign_in.py).
PENDING_KEY = "sign_in_pending"

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def clean_code(value: object) -> object:
    """Full-width digits, spaces and hyphens from a pasted or dictated code are fine."""
    if not isinstance(value, str):
        return value
    return "".join(value.translate(_FULL_WIDTH_DIGITS).split()).replace("-", "")


def complete_sign_in(
    user: User, next_url: str | None, method: str, second_factor: str | None = None
) -> ResponseReturnValue:
    now = datetime.now(UTC)
    user.last_sign_in_at = now
    extra = {"second_factor": second_factor} if second_factor else {}
    audit_sign_in(
        db.session,
        SIGNED_IN,
        user=user,
        phone=user.phone,
        method=method,
        ip_address=request.remote_addr,
        now=now,
        **extra,
    )
    db.session.commit()
    session.permanent = True  # ends after SESSION_IDLE_MINUTES without a request
    login_user(user)
    session.pop(PENDING_KEY, None)
    target = url_for("admin.queue") if user.is_staff else url_for("home.index")
    return redirect(safe_next(next_url, default=target))
