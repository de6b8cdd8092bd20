"""The second sign-in step for county staff, supervisors and administrators.

After a right password (or SMS code) such a person is not signed in yet: the session holds a
pending sign-in (user id, session version, when, how the first step was passed) for 5 minutes,
and these pages ask for the 6-digit code from their authenticator app, or set the app up the
first time. A wrong code is audited.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from portal.extensions import db, limiter
from portal.forms import BaseForm
from portal.models import AuditEvent, User
from portal.services.accounts import two_factor
from portal.services.accounts.sign_in import TWO_FACTOR_FAILED, audit_sign_in
from portal.services.people.crypto import cipher
from portal.views.sign_in_steps import bp, clean_code, complete_sign_in

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60
WRONG_CODE = _l("That code is not right. Check the time on your phone and try the newest code.")


class AppCodeForm(BaseForm):
    code = StringField(
        _l("Code from your app"),
        filters=[clean_code],
        validators=[
            DataRequired(_l("Enter the 6-digit code your authenticator app shows")),
            Regexp(r"^\d{6}$", message=_l("Enter the 6 digits of the code")),
        ],
    )


def begin_second_factor(user: User, next_url: str | None, method: str) -> ResponseReturnValue:
    """Remember a pending sign-in and ask for the code (or to set up the app)."""
    session[PENDING_KEY] = {
        "user_id": user.id,
        "version": user.session_version,
        "started": time.time(),
        "next": next_url,
        "method": method,
    }
    if two_factor.is_set_up(user):
        return redirect(url_for("auth.two_factor"))
    return redirect(url_for("auth.two_factor_set_up"))


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


def _pending_user() -> User | None:
    """The user whose sign-in waits for a code, if the wait is still valid."""
    pending = _pending()
    if pending is None:
        return None
    if time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(pending.get("user_id", 0)))
    if user is None or not user.active or user.session_version != pending.get("version"):
        return None
    return user


def _start_again() -> ResponseReturnValue:
    had_pending = session.pop(PENDING_KEY, None) is not None
    if had_pending:
        flash(_("Your sign-in took more than 5 minutes. Please sign in again."), "info")
    return redirect(url_for("auth.sign_in_password"))


def _pending_key() -> str:
    pending = _pending() or {}
    return "two-factor:" + str(pending.get("user_id", ""))


def _first_method() -> str:
    return str((_pending() or {}).get("method") or "password")


def _finish(user: User) -> ResponseReturnValue:
    method = _first_method()
    pending = session.pop(PENDING_KEY, None) or {}
    return complete_sign_in(user, pending.get("next"), method, second_factor="app")


def _wrong_code(user: User, now: datetime) -> None:
    """Undo what the refused check may have changed, and audit the refusal."""
    db.session.rollback()
    audit_sign_in(
        db.session,
        TWO_FACTOR_FAILED,
        user=user,
        phone=user.phone,
        method=_first_method(),
        ip_address=request.remote_addr,
        now=now,
        reason="wrong",
    )
    db.session.commit()


@bp.route("/sign-in/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def two_factor_code() -> ResponseReturnValue:
    """Step 2 for staff with a second factor: the code from the authenticator app."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not two_factor.is_set_up(user):
        return redirect(url_for("auth.two_factor_set_up"))
    form = AppCodeForm()
    if form.validate_on_submit():
        now = datetime.now(UTC)
        if two_factor.verify(db.session, user, form.code.data, now=now, decrypt=cipher().decrypt):
            return _finish(user)
        _wrong_code(user, now)
        form.code.errors.append(str(WRONG_CODE))
    return render_template(
        "auth/two_factor.html", form=form, title=_("Enter the code from your app")
    )


@bp.route("/sign-in/two-factor/set-up", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def two_factor_set_up() -> ResponseReturnValue:
    """The first time: add the secret to an authenticator app and confirm with one code."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if two_factor.is_set_up(user):
        return redirect(url_for("auth.two_factor"))
    two_factor.ensure_secret(db.session, user, encrypt=cipher().encrypt)
    db.session.commit()
    form = AppCodeForm()
    if form.validate_on_submit():
        now = datetime.now(UTC)
        if two_factor.confirm(db.session, user, form.code.data, now=now, decrypt=cipher().decrypt):
            db.session.add(
                AuditEvent(
                    actor_id=user.id,
                    action="staff.two_factor_set_up",
                    object_type="user",
                    object_id=user.id,
                    ip_address=request.remote_addr,
                    data={},
                    created_at=now,
                )
            )
            return _finish(user)
        _wrong_code(user, now)
        form.code.errors.append(str(WRONG_CODE))
    secret = two_factor.secret_of(user, decrypt=cipher().decrypt)
    return render_template(
        "auth/two_factor_set_up.html",
        form=form,
        title=_("Set up your authenticator app"),
        secret=two_factor.grouped(secret),
        uri=two_factor.provisioning_uri(user, secret),
    )
