"""My record: what the federation holds about me, and reporting an error in it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired

from portal.auth import resident_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, submit_once
from portal.forms import MaxChars, PlainText, strip_text
from portal.models import BasicStatusRecord, CaseType, NeedsRecord, Resident
from portal.phones import mask_phone
from portal.services.cases.cases import file_case
from portal.services.reference.area_tree import area_tree
from portal.services.reference.catalogue import catalogue
from portal.services.reference.labels import CATEGORIES, RECORD_PARTS, SURVEY_VALUES, current_locale
from portal.services.surveys.surveys import NotConfirmableError, confirm_in_portal
from portal.views.acting import acting_for
from portal.views.received import received

bp = Blueprint("record", __name__)


class RecordCorrectionForm(OneSubmitForm):
    submission_kind = "record_correction"

    part = RadioField(
        _l("Which part is wrong?"),
        choices=[SelectChoice(key, label) for key, label in RECORD_PARTS.items()],
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose which part is wrong")),
            AnyOf(list(RECORD_PARTS), _l("Choose which part is wrong")),
        ],
    )
    what_is_wrong = TextAreaField(
        _l("What is wrong?"),
        filters=[strip_text],
        validators=[DataRequired(_l("Tell us what is wrong")), MaxChars(1000), PlainText()],
    )


def survey_answers(record: BasicStatusRecord, locale: str) -> list[tuple[str, str]]:
    """The basic-status answers as (question, answer) pairs in plain words."""
    yes, no = _("Yes"), _("No")
    rows: list[tuple[str, str]] = []
    if record.living_arrangement:
        value = record.living_arrangement
        rows.append((_("Who you live with"), str(SURVEY_VALUES.get(value, value))))
    rows += [
        (_("Minimum living allowance (dibao)"), yes if record.income_support else no),
        (_("In work"), yes if record.employed else no),
        (_("Medical insurance"), yes if record.medical_insurance else no),
        (_("Pension insurance"), yes if record.pension_insurance else no),
    ]
    items = catalogue(db.session).by_code
    for code, answer in (record.answers or {}).items():
        item = items.get(code)
        rows.append((item.name(locale) if item else code, _answer_text(answer, yes, no)))
    return rows


def _area_name(resident: Resident, locale: str) -> str:
    """From the area tree held per process; the row itself for an area newer than the tree."""
    node = area_tree(db.session).nodes.get(resident.area_id)
    return node.name(locale) if node else resident.area.name(locale)


def _answer_text(answer: Any, yes: str, no: str) -> str:
    if isinstance(answer, bool):
        return yes if answer else no
    if answer is None:
        return _("Not answered")
    return str(SURVEY_VALUES.get(str(answer), answer))


@bp.get("/record")
@resident_required
def show() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    resident = acting_for(today)
    locale = current_locale()
    status = db.session.scalar(
        select(BasicStatusRecord).where(
            BasicStatusRecord.resident_id == resident.id, BasicStatusRecord.year == today.year
        )
    )
    needs = db.session.scalar(
        select(NeedsRecord)
        .where(NeedsRecord.resident_id == resident.id, NeedsRecord.year == today.year)
        .options(selectinload(NeedsRecord.answers))
    )
    level = resident.disability_level
    return render_template(
        "record/show.html",
        title=_("My record"),
        resident=resident,
        category=CATEGORIES.get(resident.disability_category, ""),
        level=_("Level %(level)d", level=level) if level is not None else _("Not graded"),
        phone=mask_phone(resident.phone) if resident.phone else None,
        area_name=_area_name(resident, locale),
        status=status,
        status_rows=survey_answers(status, locale) if status else [],
        needs=needs,
        year=today.year,
        confirm_form=FlaskForm(),
    )


@bp.post("/record/confirm")
@resident_required
def confirm() -> ResponseReturnValue:
    """ "This is right": the resident, or a guardian with a full grant, confirms this year's
    home visit record (a changed record has to be confirmed again)."""
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    needs = db.session.scalar(
        select(NeedsRecord).where(
            NeedsRecord.resident_id == resident.id, NeedsRecord.year == now.year
        )
    )
    if needs is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        confirm_in_portal(
            db.session, needs, user=current_user, ip_address=request.remote_addr, now=now
        )
    except NotConfirmableError:
        flash(_("This record was already confirmed, so nothing was changed."), "info")
        return redirect(url_for("record.show"))
    db.session.commit()
    flash(_("Thank you. You have confirmed this year's home visit record."), "success")
    return redirect(url_for("record.show"))


@bp.route("/record/correction", methods=["GET", "POST"])
@resident_required
def correct() -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    form = RecordCorrectionForm()
    if form.validate_on_submit():

        def make() -> Made:
            case = file_case(
                db.session,
                resident=resident,
                filed_by=current_user,
                case_type=CaseType.CORRECTION,
                description=f"{RECORD_PARTS[form.part.data]}: {form.what_is_wrong.data}",
                now=now,
                language=current_locale(),
            )
            return Made(case.id)

        return submit_once(form, make, received, now=now)
    return render_template(
        "record/correction.html",
        title=_("Report an error in my record"),
        resident=resident,
        form=form,
    )
