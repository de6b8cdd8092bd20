"""Supervision (/admin/supervision): draw a township's monthly sample, check each household,
and see precision by area and institution.

Supervisors and county staff (and administrators) only, inside their own areas; the sample and
the precision figures come from `portal.services.reporting.supervision`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired

from admin import bp
from admin.audit import record_read
from admin.case_forms import OneOfChoices
from portal.auth import roles_required
from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import Area, PlanItem, Resident, Role, SupervisionSample
from portal.services.reference.labels import current_locale
from portal.services.reporting import summaries
from portal.services.reporting import supervision as service
from portal.services.sla.sla import local_zone

ROLES = (Role.SUPERVISOR, Role.COUNTY_STAFF)
NOTE_LIMIT = 1000
YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
VERDICTS = {
    "precise": _l("Precise"),
    "over_ticked": _l("Imprecise: ticked but not delivered"),
    "missed": _l("Imprecise: delivered or needed but missed"),
    "wrong": _l("Imprecise: recorded wrongly"),
}


class DrawForm(BaseForm):
    township = SelectField(
        _l("Township"),
        validate_choice=False,
        validators=[OneOfChoices(_l("Choose the township to sample"))],
    )


def _yes_no(label: Any, missing: Any) -> RadioField:
    return RadioField(
        label,
        choices=YES_NO,
        validate_choice=False,
        validators=[DataRequired(missing), AnyOf(("yes", "no"), missing)],
    )


class ChecklistForm(BaseForm):
    record = _yes_no(
        _l("Does the record match the person's real situation?"),
        _l("Say whether the record matches the person's situation"),
    )
    plan = _yes_no(
        _l("Do the plan's entries match the services actually delivered?"),
        _l("Say whether the plan matches what was delivered"),
    )
    archive = _yes_no(
        _l("Does the platform match the paper archive?"),
        _l("Say whether the platform matches the paper archive"),
    )
    note = TextAreaField(
        _l("Note (optional)"), filters=[strip_text], validators=[MaxChars(NOTE_LIMIT), PlainText()]
    )
    falsification = BooleanField(_l("Falsification found: flag this township"))


def checklist_form(items: list[PlanItem], sample: SupervisionSample, **kw: Any) -> ChecklistForm:
    """The checklist with a verdict and a note for each item of the current plan."""

    class Form(ChecklistForm):
        pass

    for item in items:
        setattr(
            Form,
            f"item_{item.id}",
            RadioField(
                item.need_item.name(current_locale()),
                choices=[SelectChoice(key, label) for key, label in VERDICTS.items()],
                validate_choice=False,
                validators=[
                    DataRequired(_l("Say whether this item is precise")),
                    AnyOf(VERDICTS, _l("Say whether this item is precise")),
                ],
            ),
        )
        setattr(
            Form,
            f"item_{item.id}_note",
            TextAreaField(
                _l("What was wrong (optional)"),
                filters=[strip_text],
                validators=[MaxChars(NOTE_LIMIT), PlainText()],
            ),
        )
    if request.method == "GET":
        kw.update(_prefill(sample))
    return Form(**kw)


def _prefill(sample: SupervisionSample) -> dict[str, Any]:
    if sample.checked_at is None:
        return {}

    def yes_no(value: bool | None) -> str | None:
        return None if value is None else ("yes" if value else "no")

    data: dict[str, Any] = {
        "record": yes_no(sample.record_consistent),
        "plan": yes_no(sample.plan_consistent),
        "archive": yes_no(sample.archive_consistent),
        "note": sample.note,
        "falsification": sample.falsification_found,
    }
    for row in sample.items:
        data[f"item_{row.plan_item_id}"] = row.problem or "precise"
        data[f"item_{row.plan_item_id}_note"] = row.note
    return data


def _draw_form() -> DrawForm:
    form = DrawForm()
    locale = current_locale()
    form.township.choices = [("", _("Choose a township"))] + [
        (str(a.id), a.name(locale)) for a in service.townships_for(db.session, current_user)
    ]
    return form


def _this_month() -> date:
    return service.month_start(datetime.now(UTC).astimezone(local_zone()).date())


@bp.get("/supervision")
@roles_required(*ROLES)
def supervision() -> ResponseReturnValue:
    return _rounds_page(_draw_form())


def _rounds_page(form: DrawForm) -> str:
    locale = current_locale()
    rounds = service.rounds_for(db.session, current_user)
    return render_template(
        "admin/supervision.html",
        title=_("Supervision"),
        form=form,
        month=_this_month(),
        size=current_app.config["SUPERVISION_SAMPLE_SIZE"],
        rounds=rounds,
        progress=service.round_progress(db.session, [r.id for r in rounds]),
        no_progress=service.Progress(),
        township_names={
            a.id: a.name(locale) for a in service.townships_for(db.session, current_user)
        },
    )


@bp.post("/supervision/rounds")
@roles_required(*ROLES)
def supervision_draw() -> ResponseReturnValue:
    form = _draw_form()
    if not form.validate_on_submit():
        return _rounds_page(form), 400
    township = next(
        a
        for a in service.townships_for(db.session, current_user)
        if str(a.id) == form.township.data
    )
    round_, drawn = service.draw_round(
        db.session,
        township,
        month=_this_month(),
        seed=secrets.token_hex(16),
        size=current_app.config["SUPERVISION_SAMPLE_SIZE"],
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    )
    db.session.commit()
    if drawn:
        flash(_("This month's sample is drawn."), "success")
    else:
        flash(_("This month's sample was already drawn: here it is."), "info")
    return redirect(url_for("admin.supervision_round", round_id=round_.id))


@bp.get("/supervision/rounds/<int:round_id>")
@roles_required(*ROLES)
def supervision_round(round_id: int) -> ResponseReturnValue:
    round_ = service.round_for(db.session, current_user, round_id)
    if round_ is None:
        abort(404)
    residents = {
        r.id: r
        for r in db.session.scalars(
            select(Resident).where(Resident.id.in_([s.resident_id for s in round_.samples]))
        )
    }
    return render_template(
        "admin/supervision_round.html",
        title=_("Supervision sample"),
        round=round_,
        township=db.session.get(Area, round_.area_id),
        locale=current_locale(),
        residents=residents,
        falsified=any(s.falsification_found for s in round_.samples),
    )


@bp.get("/supervision/rounds/<int:round_id>/samples/<int:sample_id>")
@roles_required(*ROLES)
def supervision_sample(round_id: int, sample_id: int) -> ResponseReturnValue:
    sample = _sample(round_id, sample_id)
    items = service.current_items(db.session, sample.resident_id)
    record_read("supervision_sample.view", sample.resident_id, "supervision_sample", sample.id)
    page = _checklist_page(sample, items, checklist_form(items, sample))
    db.session.commit()
    return page


@bp.post("/supervision/rounds/<int:round_id>/samples/<int:sample_id>")
@roles_required(*ROLES)
def supervision_check(round_id: int, sample_id: int) -> ResponseReturnValue:
    sample = _sample(round_id, sample_id)
    items = service.current_items(db.session, sample.resident_id)
    form = checklist_form(items, sample)
    if not form.validate_on_submit():
        return _checklist_page(sample, items, form), 400
    verdicts = {item.id: form[f"item_{item.id}"].data for item in items}
    check = service.Check(
        record_consistent=form.record.data == "yes",
        plan_consistent=form.plan.data == "yes",
        archive_consistent=form.archive.data == "yes",
        falsification_found=bool(form.falsification.data),
        note=form.note.data or None,
        items={
            item_id: service.ItemCheck(
                problem=None if verdict == "precise" else verdict,
                note=form[f"item_{item_id}_note"].data or None,
            )
            for item_id, verdict in verdicts.items()
        },
    )
    service.record_check(
        db.session,
        sample,
        check,
        actor_id=current_user.id,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    )
    db.session.commit()
    flash(_("Checklist saved."), "success")
    return redirect(url_for("admin.supervision_round", round_id=round_id))


def _sample(round_id: int, sample_id: int) -> SupervisionSample:
    sample = service.sample_for(db.session, current_user, round_id, sample_id)
    if sample is None:
        abort(404)
    return sample


def _checklist_page(sample: SupervisionSample, items: list[PlanItem], form: ChecklistForm) -> str:
    return render_template(
        "admin/supervision_sample.html",
        title=_("Supervision checklist"),
        sample=sample,
        resident=db.session.get(Resident, sample.resident_id),
        items=items,
        form=form,
    )


@bp.get("/supervision/precision")
@roles_required(*ROLES)
def supervision_precision() -> ResponseReturnValue:
    this_year = datetime.now(UTC).astimezone(local_zone()).year
    year = request.args.get("year", type=int) or this_year
    if not this_year - 10 <= year <= this_year:
        year = this_year
    report = service.precision(db.session, current_user, year)
    locale = current_locale()
    return render_template(
        "admin/supervision_precision.html",
        title=_("Supervision precision"),
        year=year,
        years=list(range(this_year, this_year - 3, -1)),
        counties=[(a.name(locale), p) for a, p in report.counties],
        townships=[(a.name(locale), p) for a, p in report.townships],
        institutions=[(i.name(locale), p) for i, p in report.institutions],
        as_of=summaries.as_of(db.session),
        percent=lambda rate: (
            format_percent(rate, "#,##0.0%") if rate is not None else _("No figure")
        ),
    )
