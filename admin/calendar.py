"""The working-day calendar (administrators only): public holidays and make-up working days.

The logic lives in `portal.services.sla.calendar_admin`; this module parses forms and words errors.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from admin import bp
from portal.auth import roles_required
from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import CalendarDay
from portal.services.sla.calendar_admin import (
    NAME_LENGTH,
    CalendarError,
    check_day,
    editable_years,
    loaded_years,
    local_today,
    mark_year_loaded,
    reload_from_package,
    remove_day,
    save_day,
    year_overview,
)

HOLIDAY, WORKING = "holiday", "working"


def _today() -> date:
    return local_today(datetime.now(UTC))


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


class IsoDate:
    def __call__(self, form: FlaskForm, field: Field) -> None:
        day = _parse_day(field.data or "")
        if day is None or len(field.data.strip()) != 10:
            raise ValidationError(_l("Enter a real date as year-month-day, like 2026-10-01"))
        years = editable_years(_today())
        if day.year not in years:
            raise ValidationError(
                _l(
                    "Enter a date from %(first)d to %(last)d",
                    first=years.start,
                    last=years.stop - 1,
                )
            )


class DayForm(BaseForm):
    day = StringField(
        _l("Date"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the date")), IsoDate()],
    )
    kind = RadioField(
        _l("What kind of day is it?"),
        choices=[
            SelectChoice(HOLIDAY, _l("A public holiday: no work, deadlines skip it")),
            SelectChoice(WORKING, _l("A make-up working day (调休): a weekend day that is worked")),
        ],
        validate_choice=False,
        validators=[DataRequired(_l("Choose whether the day is a holiday or a working day"))],
    )
    name = StringField(
        _l("Name"), filters=[strip_text], validators=[MaxChars(NAME_LENGTH), PlainText()]
    )

    def validate_kind(self, field: Field) -> None:
        if field.data not in (HOLIDAY, WORKING):
            raise ValidationError(_l("Choose whether the day is a holiday or a working day"))
        day = _parse_day(self.day.data or "")
        if field.data == WORKING and day is not None and day.weekday() < 5:
            raise ValidationError(
                _l(
                    "That date is a weekday, which is a working day already. "
                    "To undo a holiday, remove it from the list instead."
                )
            )

    def validate_name(self, field: Field) -> None:
        if self.kind.data == HOLIDAY and not (field.data or "").strip():
            raise ValidationError(_l("Enter the holiday's name, for example 国庆节"))


def _year_argument() -> int:
    today = _today()
    year = request.args.get("year", default=today.year, type=int)
    if year not in editable_years(today):
        abort(404)
    return year


def _render(form: DayForm, year: int) -> ResponseReturnValue:
    today = _today()
    years = editable_years(today)
    overview = year_overview(db.session, year)
    return render_template(
        "admin/calendar.html",
        title=_("Working-day calendar %(year)d", year=year),
        form=form,
        overview=overview,
        loaded_years=loaded_years(db.session),
        previous_year=year - 1 if year - 1 in years else None,
        next_year=year + 1 if year + 1 in years else None,
        format_day=lambda day: format_date(day, "full"),
    )


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required()
def calendar() -> ResponseReturnValue:
    year = _year_argument()
    form = DayForm()
    if request.method == "GET":
        chosen = _parse_day(request.args.get("day", ""))
        if chosen is not None:
            row = db.session.get(CalendarDay, chosen)
            form.day.data = chosen.isoformat()
            if row is not None:
                form.kind.data = WORKING if row.is_working_day else HOLIDAY
                form.name.data = row.name
        return _render(form, year)
    if not form.validate_on_submit():
        return _render(form, year)
    day = date.fromisoformat(form.day.data)
    is_working = form.kind.data == WORKING
    try:
        check_day(day, is_working, form.name.data or "", _today())
    except CalendarError:  # the form checks the same rules; a race with midnight at most
        abort(400)
    save_day(
        db.session,
        day=day,
        is_working_day=is_working,
        name=form.name.data or "",
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    )
    db.session.commit()
    if is_working:
        flash(_("Saved: %(day)s is a working day.", day=format_date(day, "full")), "success")
    else:
        flash(
            _(
                "Saved: %(day)s is a holiday (%(name)s).",
                day=format_date(day, "full"),
                name=form.name.data,
            ),
            "success",
        )
    return redirect(url_for("admin.calendar", year=day.year))


@bp.post("/calendar/remove")
@roles_required()
def calendar_remove() -> ResponseReturnValue:
    day = _parse_day(request.form.get("day", ""))
    if day is None or day.year not in editable_years(_today()):
        abort(400)
    removed = remove_day(
        db.session,
        day=day,
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    )
    db.session.commit()
    if removed:
        flash(
            _("Removed: %(day)s follows Monday to Friday again.", day=format_date(day, "full")),
            "success",
        )
    return redirect(url_for("admin.calendar", year=day.year))


@bp.post("/calendar/publish")
@roles_required()
def calendar_publish() -> ResponseReturnValue:
    year = request.form.get("year", type=int)
    if year is None or year not in editable_years(_today()):
        abort(400)
    if mark_year_loaded(
        db.session,
        year=year,
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    ):
        flash(
            _(
                "The official calendar for %(year)d is marked as loaded. New deadlines in "
                "%(year)d no longer carry a warning.",
                year=year,
            ),
            "success",
        )
    db.session.commit()
    return redirect(url_for("admin.calendar", year=year))


@bp.post("/calendar/reload")
@roles_required()
def calendar_reload() -> ResponseReturnValue:
    year = request.form.get("year", type=int)
    added = reload_from_package(
        db.session, actor_id=current_user.id, now=datetime.now(UTC), ip_address=request.remote_addr
    )
    db.session.commit()
    if added:
        flash(
            _(
                "Loaded from the chinese-calendar package: %(years)s.",
                years=", ".join(str(y) for y in added),
            ),
            "success",
        )
    else:
        flash(_("The chinese-calendar package has no year that is not loaded already."), "info")
    if year is None or year not in editable_years(_today()):
        return redirect(url_for("admin.calendar"))
    return redirect(url_for("admin.calendar", year=year))
