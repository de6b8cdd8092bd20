"""Signing in with phone and password, and signing out."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, ValidationError

from portal.auth import verify_password
from portal.extensions import db, limiter
from portal.forms import strip_text
from portal.models import User
from portal.services.phones import PhoneError, validate_phone
from portal.views.safety import safe_next

bp = Blueprint("auth", __name__)


def _phone(form: FlaskForm, field: StringField) -> None:
    try:
        field.e164 = validate_phone(field.data or "")
    except PhoneError as error:
        raise ValidationError(error.message) from None


class SignInForm(FlaskForm):
    phone = StringField(
        _l("Mobile phone number"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your mobile phone number")), _phone],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


def _phone_key() -> str:
    return "phone:" + (request.form.get("phone") or "").strip()[-11:]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_phone_key)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.phone == form.phone.e164))
        if verify_password(user, form.password.data or "") and user and user.active:
            user.last_sign_in_at = datetime.now(UTC)
            db.session.commit()
            login_user(user)
            target = url_for("admin.queue") if user.is_staff else url_for("home.index")
            return redirect(
                safe_next(request.args.get("next")) if request.args.get("next") else target
            )
        form.password.errors.append(_("The phone number or password is not right"))
    return render_template("auth/sign_in.html", form=form, title=_("Sign in"))


@bp.post("/sign-out")
@login_required
def sign_out() -> ResponseReturnValue:
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("home.index"))
