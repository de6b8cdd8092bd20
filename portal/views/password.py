"""Changing one's own password (staff, residents and guardians who have one).

The current password, then the new one twice, by the rules staff accounts follow. A change ends
the account's other sessions (on other phones and computers) and keeps this one signed in.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from portal.auth import hash_password, verify_password
from portal.extensions import db, limiter
from portal.forms import BaseForm
from portal.models import User
from portal.services.accounts.own_password import change_password, refuse_password_change
from portal.services.accounts.staff_accounts import password_problem
from portal.views.settings import bp


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password"))]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Enter a new password"))]
    )
    confirm = PasswordField(
        _l("Type the new password again"),
        validators=[
            DataRequired(_l("Type the new password again")),
            EqualTo(
                "new_password",
                _l("The two new passwords are different. Type the same password twice"),
            ),
        ],
    )

    def __init__(self, phone: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.phone = phone

    def validate_new_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.phone)
        if problem is not None:
            raise ValidationError(problem)


def _account_key() -> str:
    """Guesses at the current password are limited per account, wherever they come from."""
    return f"account:{getattr(current_user, 'id', '')}"


@bp.route("/settings/password", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_account_key)
@login_required
def password() -> ResponseReturnValue:
    """Change one's own password; the other sessions of the account end."""
    user: User = current_user._get_current_object()
    title = _("Change your password")
    if user.password_hash is None:
        return render_template("settings/password.html", form=None, title=title)
    form = ChangePasswordForm(user.phone)
    if form.is_submitted():
        valid = form.validate()
        now = datetime.now(UTC)
        typed = form.current_password.data
        current_ok = bool(typed) and verify_password(user, typed or "")
        if typed and not current_ok:
            form.current_password.errors.append(_("The current password is not right"))
            refuse_password_change(db.session, user, ip_address=request.remote_addr, now=now)
            db.session.commit()
        elif valid and verify_password(user, form.new_password.data or ""):
            form.new_password.errors.append(
                _("Choose a new password, different from your current password")
            )
        elif valid and current_ok:
            new_hash = hash_password(form.new_password.data or "")
            change_password(
                db.session, user, password_hash=new_hash, ip_address=request.remote_addr, now=now
            )
            db.session.commit()
            login_user(user)  # this session carries the new session version; others end
            flash(
                _("Your password is changed. You are signed out on your other devices."),
                "success",
            )
            return redirect(url_for("settings.password"))
    return render_template("settings/password.html", form=form, title=title)
