"""The yearly home visit forms (两表一卡), /admin/residents/<id>/survey/<year>.

Village workers, township officers and county staff record the basic-status and needs forms
and an in-person confirmation; supervisors read them; institutions never see them. The needs
form is built from the catalogue, so a new catalogue item appears without a code change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired

from admin import bp
from admin.audit import record_read
from admin.audit_log import DayField
from portal.auth import roles_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, made_before, submit_once
from portal.forms import BaseForm, MaxChars, PlainText, strip_text, whole_number
from portal.models import NeedItem, NeedsRecord, Resident, Role
from portal.models.submission import FormSubmission
from portal.services.people.access import residents_for
from portal.services.reference.labels import SURVEY_VALUES, current_locale
from portal.services.sla.calendar_admin import local_today
from portal.services.surveys.surveys import (
    CHOICE_ANSWERS,
    LIVING_ARRANGEMENTS,
    SURVEY_READERS,
    SURVEY_ROLES,
    YES_NO_ANSWERS,
    NotConfirmableError,
    SurveyInput,
    confirm_in_person,
    needs_catalogue,
    save_survey,
    status_items,
    visitors,
    year_survey,
)
from portal.views.record import survey_answers

NOTE_LIMIT = 200


class SurveyForm(OneSubmitForm):
    """The fixed part; `_form_class` adds the catalogue's questions and needs."""

    submission_kind = "survey"

    surveyed_on = DayField(
        _l("Date of the visit"),
        format="%Y-%m-%d",
        validators=[DataRequired(_l("Enter the date of the visit"))],
    )
    surveyed_by = SelectField(_l("Who visited"), validate_choice=False)
    living_arrangement = RadioField(
        _l("Who they live with"),
        choices=[SelectChoice(v, SURVEY_VALUES[v]) for v in LIVING_ARRANGEMENTS],
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose who they live with")),
            AnyOf(list(LIVING_ARRANGEMENTS), _l("Choose who they live with")),
        ],
    )
    income_support = BooleanField(_l("Receives the minimum living allowance (dibao)"))
    employed = BooleanField(_l("In work"))
    medical_insurance = BooleanField(_l("Has medical insurance"))
    pension_insurance = BooleanField(_l("Has pension insurance"))


class ConfirmForm(BaseForm):
    witness = StringField(
        _l("Name of the witness"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter the name of who witnessed the confirmation")),
            MaxChars(100),
            PlainText(),
        ],
    )


def status_name(code: str) -> str:
    return "status_" + code.lower().replace(".", "_")


def _form_class(items: list[NeedItem], questions: dict[str, NeedItem], locale: str) -> Any:
    class Form(SurveyForm):
        pass

    for code in YES_NO_ANSWERS:
        if code in questions:
            setattr(Form, status_name(code), BooleanField(questions[code].name(locale)))
    for code, values in CHOICE_ANSWERS.items():
        if code in questions:
            choices = [SelectChoice("", _l("Not answered"))]
            choices += [SelectChoice(v, SURVEY_VALUES[v]) for v in values]
            setattr(
                Form,
                status_name(code),
                SelectField(questions[code].name(locale), choices=choices, validate_choice=False),
            )
    for item in items:
        name = item.name(locale)
        setattr(Form, f"need_{item.id}", BooleanField(name))
        setattr(
            Form,
            f"note_{item.id}",
            StringField(
                _l("Note about %(item)s (optional)", item=name),
                filters=[strip_text],
                validators=[MaxChars(NOTE_LIMIT), PlainText()],
            ),
        )
    return Form


def _resident_or_404(resident_id: int, year: int) -> Resident:
    today = local_today(datetime.now(UTC))
    if not 2000 <= year <= today.year:
        abort(404)
    resident = db.session.scalar(
        residents_for(db.session, current_user, today).where(Resident.id == resident_id)
    )
    if resident is None:
        abort(404)
    return resident


def _data(record_status: Any, record_needs: Any) -> dict[str, Any]:
    """The saved records as form data (a GET shows what is on file)."""
    if record_status is None:
        return {"surveyed_by": str(current_user.id)}
    data: dict[str, Any] = {
        "surveyed_on": record_status.surveyed_on,
        "surveyed_by": str(record_status.surveyed_by_id or current_user.id),
        "living_arrangement": record_status.living_arrangement,
        "income_support": record_status.income_support,
        "employed": record_status.employed,
        "medical_insurance": record_status.medical_insurance,
        "pension_insurance": record_status.pension_insurance,
    }
    for code, answer in (record_status.answers or {}).items():
        data[status_name(code)] = answer
    for answer in record_needs.answers if record_needs else []:
        data[f"need_{answer.need_item_id}"] = answer.needed
        data[f"note_{answer.need_item_id}"] = answer.note
    return data


@bp.route("/residents/<int:resident_id>/survey/<int:year>", methods=["GET", "POST"])
@roles_required(*SURVEY_READERS)
def survey(resident_id: int, year: int) -> ResponseReturnValue:
    resident = _resident_or_404(resident_id, year)
    if request.method == "POST" and current_user.role not in (*SURVEY_ROLES, Role.ADMIN):
        abort(404)
    locale = current_locale()
    current = year_survey(db.session, resident.id, year)
    items = needs_catalogue(db.session)
    questions = status_items(db.session)
    form_class = _form_class(items, questions, locale)
    form = form_class(
        prefix="survey",
        data=_data(current.status, current.needs) if request.method == "GET" else None,
    )
    people = visitors(db.session, resident, current_user)
    form.surveyed_by.choices = [SelectChoice(str(u.id), u.name) for u in people]
    if request.method == "POST":
        first = made_before(form)
        if first is not None:
            return _saved(first)
        if form.validate_on_submit() and _check(form, year, {u.id for u in people}):
            now = datetime.now(UTC)

            def make() -> Made:
                result = save_survey(
                    db.session,
                    resident,
                    year,
                    _input(form, items),
                    actor_id=current_user.id,
                    ip_address=request.remote_addr,
                    now=now,
                )
                needs = year_survey(db.session, resident.id, year).needs
                assert needs is not None  # save_survey makes it
                outcome = UNCONFIRMED if result.unconfirmed else SAVED if result.changed else SAME
                return Made(needs.id, outcome)

            return submit_once(form, make, _saved, now=now)
        return _page(resident, year, current, form, ConfirmForm(prefix="confirm"), items), 400
    html = _page(resident, year, current, form, ConfirmForm(prefix="confirm"), items)
    # The audit row after the page is drawn: a commit expires every loaded row, and the form
    # would read each catalogue item again (one statement per item).
    record_read("survey.view", resident.id, "resident", resident.id)
    db.session.commit()
    return html


#: What a save did, as its submission's kind: a repeat of the form is told the same.
SAVED, UNCONFIRMED, SAME = "survey.saved", "survey.unconfirmed", "survey.unchanged"


def _saved(submission: FormSubmission) -> ResponseReturnValue:
    needs = db.get_or_404(NeedsRecord, submission.record_id)
    if submission.kind == SAME:
        flash(_("Nothing was changed."), "info")
    elif submission.kind == UNCONFIRMED:
        flash(_("Saved. The record changed, so the resident must confirm it again."), "success")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("admin.survey", resident_id=needs.resident_id, year=needs.year))


def _check(form: Any, year: int, visitor_ids: set[int]) -> bool:
    """Checks that need the URL's year, today and the list of visitors."""
    ok = True
    day = form.surveyed_on.data
    if day > local_today(datetime.now(UTC)):
        form.surveyed_on.errors = [_("The date of the visit cannot be in the future")]
        ok = False
    elif day.year != year:
        form.surveyed_on.errors = [_("The date of the visit must be in %(year)d", year=year)]
        ok = False
    visitor = form.surveyed_by.data
    if whole_number(visitor) not in visitor_ids:
        form.surveyed_by.errors = [_("Choose who visited")]
        ok = False
    return ok


def _input(form: Any, items: list[NeedItem]) -> SurveyInput:
    answers: dict[str, Any] = {}
    for code in YES_NO_ANSWERS:
        if hasattr(form, status_name(code)):
            answers[code] = bool(form[status_name(code)].data)
    for code, values in CHOICE_ANSWERS.items():
        if hasattr(form, status_name(code)):
            value = form[status_name(code)].data
            answers[code] = value if value in values else None
    return SurveyInput(
        surveyed_on=form.surveyed_on.data,
        surveyed_by_id=int(form.surveyed_by.data),
        living_arrangement=form.living_arrangement.data,
        income_support=bool(form.income_support.data),
        employed=bool(form.employed.data),
        medical_insurance=bool(form.medical_insurance.data),
        pension_insurance=bool(form.pension_insurance.data),
        answers=answers,
        needs={
            item.id: form[f"note_{item.id}"].data or None
            for item in items
            if form[f"need_{item.id}"].data
        },
    )


@bp.post("/residents/<int:resident_id>/survey/<int:year>/confirmation")
@roles_required(*SURVEY_ROLES)
def survey_confirmation(resident_id: int, year: int) -> ResponseReturnValue:
    """Staff record that the resident (or a guardian) confirmed the record in person."""
    resident = _resident_or_404(resident_id, year)
    current = year_survey(db.session, resident.id, year)
    if current.needs is None:
        abort(404)
    confirm = ConfirmForm(prefix="confirm")
    if not confirm.validate_on_submit():
        items = needs_catalogue(db.session)
        form = _form_class(items, status_items(db.session), current_locale())(
            prefix="survey", data=_data(current.status, current.needs)
        )
        form.surveyed_by.choices = [
            SelectChoice(str(u.id), u.name) for u in visitors(db.session, resident, current_user)
        ]
        return _page(resident, year, current, form, confirm, items), 400
    try:
        confirm_in_person(
            db.session,
            current.needs,
            staff_id=current_user.id,
            witness=confirm.witness.data,
            ip_address=request.remote_addr,
            now=datetime.now(UTC),
        )
    except NotConfirmableError:
        flash(_("This record was already confirmed, so nothing was changed."), "info")
        return redirect(url_for("admin.survey", resident_id=resident.id, year=year))
    db.session.commit()
    flash(_("The confirmation is recorded."), "success")
    return redirect(url_for("admin.survey", resident_id=resident.id, year=year))


def _page(
    resident: Resident,
    year: int,
    current: Any,
    form: Any,
    confirm: ConfirmForm,
    items: list[NeedItem],
) -> str:
    locale = current_locale()
    domains: dict[str, tuple[str, list[NeedItem]]] = {}
    for item in items:
        domains.setdefault(item.domain, (item.domain_name(locale), []))[1].append(item)
    failed: FlaskForm = confirm if confirm.errors else form
    return render_template(
        "admin/survey.html",
        title=_("Home visit %(year)d: %(name)s", year=year, name=resident.name),
        resident=resident,
        year=year,
        survey=current,
        form=failed,
        survey_form=form,
        confirm=confirm,
        status_fields=[
            form[status_name(code)]
            for code in (*YES_NO_ANSWERS, *CHOICE_ANSWERS)
            if hasattr(form, status_name(code))
        ],
        domains=list(domains.values()),
        may_edit=current_user.role in (*SURVEY_ROLES, Role.ADMIN),
        status_rows=survey_answers(current.status, locale) if current.status else [],
    )
