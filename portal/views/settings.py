"""Settings (language, contact channel, quiet hours, how pages look) and the display
preferences every page applies: large text, high contrast and read-aloud.

Residents and guardians keep display preferences on the resident being acted for; anyone else
(visitors, staff) keeps them in the `wenxu_display` cookie, which the header's "Larger text"
button flips for everyone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    Flask,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import BooleanField, Field, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, ValidationError

from portal.auth import resident_required
from portal.extensions import db
from portal.forms import BaseForm, strip_text
from portal.i18n import LOCALE_COOKIE
from portal.models import Channel, Resident, Role
from portal.services.accounts.phone_pin import is_guessable, is_pin, set_pin
from portal.services.people.settings import (
    LANGUAGES,
    ClockError,
    DisplayPrefs,
    format_clock,
    parse_clock,
    set_large_text,
    update_settings,
)
from portal.services.reference.labels import CHANNELS
from portal.views.acting import acting_for
from portal.views.safety import safe_next

bp = Blueprint("settings", __name__)

DISPLAY_COOKIE = "wenxu_display"
ONE_YEAR = 365 * 24 * 3600
CHANNEL_CHOICE = _l("Choose how we should contact you")
LANGUAGE_CHOICE = _l("Choose a language")


class ClockTime:
    """A time of day written HH:MM, as `<input type="time">` sends it (or a person types it)."""

    def __init__(self, message: object) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        try:
            parse_clock(field.data or "")
        except ClockError:
            raise ValidationError(self.message) from None


class SettingsForm(BaseForm):
    # Language names are written in their own language (the template marks each with `lang`).
    language = RadioField(
        _l("Language"),
        choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")],
        validate_choice=False,
        validators=[DataRequired(LANGUAGE_CHOICE), AnyOf(LANGUAGES, LANGUAGE_CHOICE)],
    )
    channel = RadioField(
        _l("How should we contact you?"),
        choices=[SelectChoice(c.value, CHANNELS[c.value]) for c in Channel],
        validate_choice=False,
        validators=[
            DataRequired(CHANNEL_CHOICE),
            AnyOf([c.value for c in Channel], CHANNEL_CHOICE),
        ],
    )
    quiet_hours_start = StringField(
        _l("Quiet hours start at"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter when quiet hours start, like 21:00")),
            ClockTime(_l("Enter when quiet hours start as hours and minutes, like 21:00")),
        ],
    )
    quiet_hours_end = StringField(
        _l("Quiet hours end at"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter when quiet hours end, like 08:00")),
            ClockTime(_l("Enter when quiet hours end as hours and minutes, like 08:00")),
        ],
    )
    large_text = BooleanField(_l("Larger text"))
    high_contrast = BooleanField(_l("High contrast"))
    read_aloud = BooleanField(_l("Read pages aloud"))


def _saved_values(resident: Resident) -> dict[str, object]:
    return {
        "language": resident.language,
        "channel": resident.channel.value,
        "quiet_hours_start": format_clock(resident.quiet_hours_start),
        "quiet_hours_end": format_clock(resident.quiet_hours_end),
        "large_text": resident.large_text,
        "high_contrast": resident.high_contrast,
        "read_aloud": resident.read_aloud,
    }


@bp.route("/settings", methods=["GET", "POST"])
@resident_required
def edit() -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    # A POST is read from what was sent only, so an empty one shows errors, not the saved values.
    form = (
        SettingsForm() if request.method == "POST" else SettingsForm(data=_saved_values(resident))
    )
    if form.validate_on_submit():
        prefs = update_settings(
            db.session,
            resident,
            user=current_user,
            language=form.language.data,
            channel=Channel(form.channel.data),
            quiet_hours_start=parse_clock(form.quiet_hours_start.data),
            quiet_hours_end=parse_clock(form.quiet_hours_end.data),
            large_text=form.large_text.data,
            high_contrast=form.high_contrast.data,
            read_aloud=form.read_aloud.data,
            now=now,
        )
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        response = redirect(url_for("settings.edit"))
        _set_cookie(response, LOCALE_COOKIE, form.language.data)
        _set_cookie(response, DISPLAY_COOKIE, prefs.to_cookie())
        return response
    return render_template("settings/edit.html", form=form, title=_("Settings"), resident=resident)


PIN_FORMAT = _l("Enter 4 digits, like 4826")


class FourDigits:
    """A phone PIN: four digits, not one anyone would try first (1111, 1234, 4321)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not is_pin(field.data or ""):
            raise ValidationError(PIN_FORMAT)
        if is_guessable(field.data):
            raise ValidationError(
                _l("Choose digits that are harder to guess than a row or a repeat, like 4826")
            )


class PhonePinForm(BaseForm):
    pin = PasswordField(
        _l("New phone PIN"),
        filters=[strip_text],
        validators=[DataRequired(PIN_FORMAT), FourDigits()],
    )
    confirm = PasswordField(
        _l("Type the same PIN again"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Type the same PIN again")),
            EqualTo("pin", _l("The two PINs are different. Type the same 4 digits twice")),
        ],
    )


@bp.route("/settings/phone-pin", methods=["GET", "POST"])
@resident_required
def phone_pin() -> ResponseReturnValue:
    """Set or change the PIN of the phone status line (never shown again once saved)."""
    resident = acting_for(datetime.now(UTC).date())
    form = PhonePinForm()
    if form.validate_on_submit():
        set_pin(db.session, resident, form.pin.data)
        db.session.commit()
        flash(_("Your phone PIN is saved. Use it when you call the status line."), "success")
        return redirect(url_for("settings.edit"))
    return render_template(
        "settings/phone_pin.html",
        form=form,
        title=_("Phone PIN"),
        resident=resident,
        has_pin=resident.phone_pin_hash is not None,
    )


@bp.post("/display/large-text")
def toggle_large_text() -> ResponseReturnValue:
    """Flip large text for whoever is looking (public: visitors need it before signing in)."""
    now = datetime.now(UTC)
    prefs = current_display()
    on = not prefs.large_text
    resident = _acted_for(now)
    if resident is not None:
        set_large_text(db.session, resident, on, now)
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")))
    _set_cookie(response, DISPLAY_COOKIE, prefs.with_large_text(on).to_cookie())
    return response


def _set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=ONE_YEAR, samesite="Lax", httponly=True)


def _acted_for(now: datetime) -> Resident | None:
    """The signed-in resident's own record; None for anyone else.

    A guardian's screen is their own: how pages look for them follows their cookie, not the
    dependent's preferences (which they can still change on the settings page).
    """
    if not current_user.is_authenticated or current_user.role != Role.RESIDENT:
        return None
    try:
        return acting_for(now.date())
    except HTTPException:
        return None


def current_display() -> DisplayPrefs:
    """This request's display preferences: the acted-for resident's, else the cookie's."""
    try:
        resident = _acted_for(datetime.now(UTC))
    except SQLAlchemyError:
        resident = None  # an error page after a failed transaction still renders
    if resident is not None:
        return DisplayPrefs.of_resident(resident)
    return DisplayPrefs.from_cookie(request.cookies.get(DISPLAY_COOKIE))


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject_display() -> dict[str, object]:
        if not has_request_context():
            return {}
        prefs = current_display()
        return {"display_prefs": prefs, "display_classes": prefs.classes}
