"""The audit log (administrators; supervisors for residents in their area), newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import Optional, Regexp, ValidationError

from admin import bp
from portal.auth import roles_required
from portal.extensions import db
from portal.forms import BaseForm, strip_text, whole_number
from portal.models import AuditEvent, Resident, Role, User
from portal.phones import PhoneError, validate_phone
from portal.services.people.access import audit_events_for
from portal.services.reference.labels import ACCOUNT_ROLES
from portal.services.sla.sla import local_zone

PAGE_SIZE = 50


def _actor(form: FlaskForm, field: StringField) -> None:
    """An account number (digits, up to 9) or a phone number."""
    text = field.data or ""
    field.actor_id = None
    field.e164 = None
    if not text:
        return
    actor_id = whole_number(text)
    if actor_id is not None:
        field.actor_id = actor_id
        return
    try:
        field.e164 = validate_phone(text)
    except PhoneError:
        raise ValidationError(
            _l("Enter an account number or a mobile phone number, like 13800000001")
        ) from None


class DayField(DateField):
    """A date typed as year-month-day, with a message that says how to write it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = " ".join(valuelist)  # shown again as typed, beside the error
            raise ValueError(_l("Write the date as year-month-day, like 2026-11-24")) from None


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = StringField(
        _l("Action"),
        filters=[strip_text],
        validators=[
            Optional(),
            Regexp(r"^[a-z_.]{1,64}$", message=_l("Use the action's code, like staff.create")),
        ],
    )
    actor = StringField(_l("Who"), filters=[strip_text], validators=[_actor])
    resident = StringField(
        _l("Resident number"),
        filters=[strip_text],
        validators=[Optional(), Regexp(r"^\d{1,9}$", message=_l("Enter the number in digits"))],
    )
    date_from = DayField(_l("From (date)"), validators=[Optional()], format="%Y-%m-%d")
    date_to = DayField(_l("Until (date)"), validators=[Optional()], format="%Y-%m-%d")

    def validate_date_to(self, field: DayField) -> None:
        start, end = self.date_from.data, field.data
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise ValidationError(_l("Use a date on or after the start date"))


def _mask_name(name: str) -> str:
    """The first character, then one dot per remaining character: 张** → 张••."""
    return name[:1] + "•" * max(0, len(name) - 1) if name else ""


def _local_midnight_utc(day: date) -> datetime:
    """The start of `day` in local time, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(UTC)


@bp.get("/audit")
@roles_required(Role.SUPERVISOR)
def audit_log() -> ResponseReturnValue:
    """Audit events, newest first, 50 to a page ("older" continues after the last id)."""
    form = AuditFilterForm(request.args)
    query = audit_events_for(db.session, current_user)
    valid = form.validate()
    events: list[AuditEvent] = []
    older_url = None
    if valid:
        if form.action.data:
            query = query.where(AuditEvent.action.startswith(form.action.data))
        if form.actor.actor_id is not None:
            query = query.where(AuditEvent.actor_id == form.actor.actor_id)
        elif form.actor.e164:
            query = query.where(
                AuditEvent.actor_id.in_(select(User.id).where(User.phone == form.actor.e164))
            )
        if form.resident.data:
            query = query.where(AuditEvent.resident_id == int(form.resident.data))
        start, until = form.date_from.data, form.date_to.data
        if isinstance(start, date):
            query = query.where(AuditEvent.created_at >= _local_midnight_utc(start))
        if isinstance(until, date):
            end = _local_midnight_utc(until + timedelta(days=1))
            query = query.where(AuditEvent.created_at < end)
        before = whole_number(request.args.get("before", ""), digits=18)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)))
        if len(events) > PAGE_SIZE:
            events = events[:PAGE_SIZE]
            args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before" and v}
            older_url = url_for("admin.audit_log", **args, before=events[-1].id)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    resident_ids = {e.resident_id for e in events if e.resident_id}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    residents = (
        {r.id: r for r in db.session.scalars(select(Resident).where(Resident.id.in_(resident_ids)))}
        if resident_ids
        else {}
    )
    first_args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template(
        "admin/audit_log.html",
        title=_("Audit log"),
        form=form,
        events=events,
        actors=actors,
        residents=residents,
        mask_name=_mask_name,
        role_label=lambda role: ACCOUNT_ROLES[str(role)],
        older_url=older_url,
        newest_url=url_for("admin.audit_log", **first_args) if request.args.get("before") else None,
        is_admin=current_user.role == Role.ADMIN,
    )
