"""Signing in (a one-time code, or a password), and signing out."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Regexp, ValidationError

from portal.auth import verify_password
from portal.extensions import db, limiter
from portal.forms import BaseForm, strip_text
from portal.models import User
from portal.phones import PhoneError, mask_phone, validate_phone
from portal.services.accounts.sign_in import (
    SIGN_IN_FAILED,
    CodeCheck,
    audit_sign_in,
    check_code,
    pending_phone,
    pending_token,
    seconds_until_resend,
    send_code,
)
from portal.services.accounts.two_factor import needs_second_factor
from portal.services.people.crypto import cipher
from portal.views import two_factor
from portal.views.sign_in_steps import PENDING_KEY, bp, clean_code, complete_sign_in


def _phone(form: FlaskForm, field: StringField) -> None:
    try:
        field.e164 = validate_phone(field.data or "")
    except PhoneError as error:
        raise ValidationError(error.message) from None


class PhoneForm(BaseForm):
    phone = StringField(
        _l("Mobile phone number"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your mobile phone number")), _phone],
    )


class PasswordForm(PhoneForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        filters=[clean_code],
        validators=[
            DataRequired(_l("Enter the code we sent you")),
            Regexp(r"^\d{6}$", message=_l("Enter the 6 digits of the code")),
        ],
    )


CHECK_MESSAGES = {
    CodeCheck.WRONG: _l("That code is not right. Check it and try again."),
    CodeCheck.EXPIRED: _l("This code has run out. Ask for a new code."),
    CodeCheck.TOO_MANY_TRIES: _l("Too many wrong codes. Ask for a new code."),
    CodeCheck.NO_CODE: _l("Ask for a new code."),
}


def phone_limit_key(typed: str) -> str:
    """One rate-limit bucket per number however it is written (`138 0000 0001`, `+86…`,
    full-width digits): the normalised E.164 form, else the digits typed."""
    try:
        return "phone:" + validate_phone(typed)
    except PhoneError:
        return "phone:" + "".join(ch for ch in typed if ch.isdigit())[-20:]


def _form_phone() -> str:
    return phone_limit_key(request.form.get("phone") or "")


def _pending_phone() -> str | None:
    """The number whose sign-in waits for a code in this session, if any."""
    return pending_phone(session.get(PENDING_KEY), decrypt=cipher().decrypt)


def _session_phone() -> str:
    return "phone:" + (_pending_phone() or "")


def _account(e164: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == e164))


def _user_by_phone(e164: str) -> User | None:
    user = _account(e164)
    return user if user is not None and user.active else None


def _audit_failure(e164: str, method: str, reason: str) -> None:
    """A refused password or code, about the account of that number if there is one."""
    account = _account(e164)
    if account is None:
        reason = "no_account"
    elif not account.active:
        reason = "inactive"
    audit_sign_in(
        db.session,
        SIGN_IN_FAILED,
        user=account,
        phone=e164,
        method=method,
        ip_address=request.remote_addr,
        now=datetime.now(UTC),
        reason=reason,
    )


def _signed_in(user: User, method: str) -> ResponseReturnValue:
    """The password or code was right: sign in, or first ask for the second factor."""
    session.pop(PENDING_KEY, None)
    if needs_second_factor(user):
        return two_factor.begin_second_factor(user, request.args.get("next"), method)
    return complete_sign_in(user, request.args.get("next"), method)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("3 per minute; 10 per hour", methods=["POST"], key_func=_form_phone)
def sign_in() -> ResponseReturnValue:
    """Step 1: the phone number; a code goes to it (the same answer for unknown numbers)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = PhoneForm()
    if form.validate_on_submit():
        now = datetime.now(UTC)
        user = _user_by_phone(form.phone.e164)
        if user is not None and seconds_until_resend(db.session, user, now) == 0:
            send_code(db.session, user, now=now, digest=cipher().lookup)
            db.session.commit()
        session[PENDING_KEY] = pending_token(form.phone.e164, encrypt=cipher().encrypt)
        return redirect(url_for("auth.enter_code", next=request.args.get("next")))
    return render_template("auth/sign_in.html", form=form, title=_("Sign in"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_session_phone)
def enter_code() -> ResponseReturnValue:
    """Step 2: the code from the text message or the voice call."""
    phone = _pending_phone()
    if not phone:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.sign_in"))
    now = datetime.now(UTC)
    user = _user_by_phone(phone)
    form = CodeForm()
    if form.validate_on_submit():
        result = (
            check_code(db.session, user, form.code.data, now=now, digest=cipher().lookup)
            if user is not None
            else CodeCheck.WRONG
        )
        signed_in = result is CodeCheck.OK and user is not None
        if not signed_in:
            _audit_failure(phone, "code", result.value)
        db.session.commit()  # a try counts, and a right code is used, whatever comes next
        if signed_in and user is not None:
            return _signed_in(user, "code")
        form.code.errors.append(str(CHECK_MESSAGES[result]))
    wait = seconds_until_resend(db.session, user, now) if user is not None else 0
    return render_template(
        "auth/code.html",
        form=form,
        title=_("Enter your code"),
        phone=mask_phone(phone),
        wait=wait,
    )


@bp.post("/sign-in/code/new")
@limiter.limit("10 per minute")
@limiter.limit("3 per minute; 10 per hour", key_func=_session_phone)
def new_code() -> ResponseReturnValue:
    """Ask for another code: allowed 60 seconds after the last one."""
    phone = _pending_phone()
    if not phone:
        return redirect(url_for("auth.sign_in"))
    now = datetime.now(UTC)
    user = _user_by_phone(phone)
    wait = seconds_until_resend(db.session, user, now) if user is not None else 0
    if wait:
        flash(
            ngettext(
                "You can ask for a new code in %(num)d second.",
                "You can ask for a new code in %(num)d seconds.",
                wait,
            ),
            "info",
        )
    else:
        if user is not None:
            send_code(db.session, user, now=now, digest=cipher().lookup)
            db.session.commit()
        flash(_("We have sent you a new code."), "success")
    return redirect(url_for("auth.enter_code"))


@bp.route("/sign-in/password", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_form_phone)
def sign_in_password() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = PasswordForm()
    if form.validate_on_submit():
        user = _user_by_phone(form.phone.e164)
        if verify_password(user, form.password.data or "") and user is not None:
            return _signed_in(user, "password")
        _audit_failure(form.phone.e164, "password", "wrong_password")
        db.session.commit()
        form.password.errors.append(_("The phone number or password is not right"))
    return render_template("auth/password.html", form=form, title=_("Sign in with a password"))


@bp.post("/sign-out")
@login_required
def sign_out() -> ResponseReturnValue:
    """Sign out, and end the session on the server too: a copy of the session cookie (taken
    from this browser before) no longer signs anyone in.

    The session is a signed cookie, so ending it means bumping the account's session version,
    which ends the account's other sessions as well (the message says so).
    """
    return _end_every_session()


@bp.post("/sign-out/everywhere")
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    """The settings page's "Sign out of every device": what signing out does, said plainly."""
    return _end_every_session()


def _end_every_session() -> ResponseReturnValue:
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    flash(_("You have signed out on every device."), "success")
    return redirect(url_for("home.index"))
