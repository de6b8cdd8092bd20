"""Filing a case and following it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional

from portal.auth import resident_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, made_before, submit_once
from portal.forms import MaxChars, PlainText, strip_text
from portal.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseType,
    NeedItem,
    Rating,
    Satisfaction,
)
from portal.models.submission import FormSubmission
from portal.services.cases import case_actions
from portal.services.cases.case_actions import (
    RATE,
    REOPEN,
    REPLY,
    ActionRefused,
    allowed_actions,
    case_rating,
    reopen_until,
    require_allowed,
)
from portal.services.cases.cases import file_case
from portal.services.people.access import cases_for
from portal.services.reference.labels import (
    CASE_TYPE_NOUNS,
    CASE_TYPES,
    SATISFACTION,
    current_locale,
)
from portal.views.acting import acting_for
from portal.views.case_page import RatingForm, ReopenForm, ReplyForm, empty_forms, timeline
from portal.views.received import received
from portal.views.timeout import restore_draft

bp = Blueprint("cases", __name__)

FILEABLE = (CaseType.COMPLAINT, CaseType.CONSULTATION, CaseType.HELP, CaseType.SUGGESTION)
DESCRIPTION_LIMIT = 2000


class CaseForm(OneSubmitForm):
    submission_kind = "case"

    # Choices are validated with our own translated messages, not WTForms' built-in ones.
    case_type = RadioField(
        _l("What kind of message is this?"),
        choices=[SelectChoice(t.value, CASE_TYPES[t.value]) for t in FILEABLE],
        default=CaseType.COMPLAINT.value,
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose what kind of message this is")),
            AnyOf([t.value for t in FILEABLE], _l("Choose what kind of message this is")),
        ],
    )
    category = SelectField(
        _l("What is it about?"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose what it is about"))],
    )
    description = TextAreaField(
        _l("Tell us what happened and what you would like us to do"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Describe what happened")),
            MaxChars(DESCRIPTION_LIMIT),
            PlainText(),
        ],
    )
    contact_time = StringField(
        _l("When is the best time to contact you? (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(100), PlainText()],
    )


class CaseRatingForm(OneSubmitForm, RatingForm):
    submission_kind = "case_rating"


#: How a case rating ended, when it did more than record the rating (its thanks differ).
RATING_REOPENED = "case_rating.reopened"
RATING_ESCALATED = "case_rating.escalated"


def _category_choices(locale: str) -> list[SelectChoice]:
    """Catalogue items people can raise, grouped by domain for an `<optgroup>` each."""
    items = db.session.scalars(
        select(NeedItem).where(NeedItem.active, NeedItem.kind != "status").order_by(NeedItem.id)
    ).all()
    return [SelectChoice("", _("Choose one"))] + [
        SelectChoice(item.code, item.name(locale), optgroup=item.domain_name(locale))
        for item in items
    ]


@bp.route("/cases/new", methods=["GET", "POST"])
@resident_required
def new() -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    draft = restore_draft("cases.new") if request.method == "GET" else None
    form = CaseForm(data=draft)
    form.category.choices = _category_choices(current_locale())
    if form.validate_on_submit():
        need_item = db.session.scalar(select(NeedItem).where(NeedItem.code == form.category.data))
        if need_item is None:
            form.category.errors = [_("Choose what it is about")]
        else:

            def make() -> Made:
                case = file_case(
                    db.session,
                    resident=resident,
                    filed_by=current_user,
                    case_type=CaseType(form.case_type.data),
                    description=form.description.data,
                    contact_time=form.contact_time.data,
                    need_item=need_item,
                    now=now,
                    language=current_locale(),
                )
                return Made(case.id)

            return submit_once(form, make, received, now=now)
    return render_template(
        "cases/new.html", form=form, title=_("Tell us about a problem"), resident=resident
    )


@bp.get("/cases")
@resident_required
def index() -> ResponseReturnValue:
    """The resident's requests (needs have their own pages): open first, then finished."""
    today = datetime.now(UTC).date()
    resident = acting_for(today)
    mine = cases_for(db.session, current_user, today).where(
        Case.resident_id == resident.id, Case.type != CaseType.NEED
    )
    open_cases = db.session.scalars(
        mine.where(Case.status.in_(OPEN_STATUSES)).order_by(Case.next_due_at.asc(), Case.id)
    ).all()
    finished = db.session.scalars(
        mine.where(Case.status.not_in(OPEN_STATUSES)).order_by(
            func.coalesce(Case.closed_at, Case.resolved_at, Case.created_at).desc(), Case.id.desc()
        )
    ).all()
    return render_template(
        "cases/index.html",
        title=_("My requests"),
        resident=resident,
        open_cases=open_cases,
        finished=finished,
    )


def _own_case(case_id: int, today: date) -> Case:
    """The case, if it belongs to the resident acted for; 404 for anyone else's."""
    resident = acting_for(today)
    case = db.session.scalar(
        cases_for(db.session, current_user, today).where(
            Case.id == case_id, Case.resident_id == resident.id
        )
    )
    if case is None:
        abort(404)
    return case


def _case_page(case: Case, now: datetime, **forms: FlaskForm) -> ResponseReturnValue:
    """The case page; `forms` replaces a blank form with one holding what was typed."""
    all_forms = (
        empty_forms() | {"rating_form": CaseRatingForm(prefix="rating", formdata=None)} | forms
    )
    rating = case_rating(db.session, case)
    failed = next((form for form in forms.values() if form.errors), None)
    return render_template(
        "cases/show.html",
        case=case,
        entries=timeline(case),
        actions=allowed_actions(db.session, case, now),
        reopen_until=reopen_until(case),
        rating_label=SATISFACTION[rating.level.value] if rating else None,
        form=failed,
        title=_(
            "Your %(case_type)s %(reference)s",
            case_type=CASE_TYPE_NOUNS[case.type.value],
            reference=case.reference,
        ),
        **all_forms,
    )


@bp.get("/cases/<int:case_id>")
@resident_required
def show(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    return _case_page(_own_case(case_id, now.date()), now)


REFUSALS = {
    "window_closed": _l(
        "It is more than 15 days since this was resolved, so it cannot be opened again. "
        "Please tell us about the problem as a new request."
    ),
    "already_rated": _l("You have already rated how this was handled."),
    "not_allowed": _l("That cannot be done now. This page shows what you can do."),
}


def _refuse(case: Case, error: ActionRefused) -> ResponseReturnValue:
    flash(str(REFUSALS.get(error.code, REFUSALS["not_allowed"])), "info")
    return redirect(url_for("cases.show", case_id=case.id))


def _done(case: Case, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/reply")
@resident_required
def reply(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    case = _own_case(case_id, now.date())
    try:
        require_allowed(db.session, case, REPLY, now)
    except ActionRefused as error:
        return _refuse(case, error)
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return _case_page(case, now, reply_form=form)
    was_waiting = case.status == CaseStatus.WAITING
    case_actions.reply(db.session, case, actor=current_user, text=form.text.data, now=now)
    if was_waiting:
        return _done(case, _("Thank you. We have your reply, and work on it has started again."))
    return _done(case, _("Thank you. We have your reply."))


@bp.post("/cases/<int:case_id>/confirm")
@resident_required
def confirm(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    case = _own_case(case_id, now.date())
    try:
        case_actions.confirm(db.session, case, actor=current_user, now=now)
    except ActionRefused as error:
        return _refuse(case, error)
    return _done(case, _("Thank you. It is now closed."))


@bp.post("/cases/<int:case_id>/reopen")
@resident_required
def reopen(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    case = _own_case(case_id, now.date())
    try:
        require_allowed(db.session, case, REOPEN, now)
    except ActionRefused as error:
        return _refuse(case, error)
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        return _case_page(case, now, reopen_form=form)
    case_actions.reopen(db.session, case, actor=current_user, reason=form.reason.data, now=now)
    return _done(case, _("It is open again. We will look at it once more."))


@bp.post("/cases/<int:case_id>/rating")
@resident_required
def rate(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    case = _own_case(case_id, now.date())
    form = CaseRatingForm(prefix="rating")
    first = made_before(form)
    if first is not None:
        return _rated(first)
    try:
        require_allowed(db.session, case, RATE, now)
    except ActionRefused as error:
        return _refuse(case, error)
    if not form.validate_on_submit():
        return _case_page(case, now, rating_form=form)

    def make() -> Made:
        reopened_before, level = case.reopen_count, Satisfaction(form.level.data)
        rating = case_actions.rate(
            db.session,
            case,
            actor=current_user,
            level=level,
            comment=form.comment.data,
            now=now,
        )
        if case.reopen_count > reopened_before:
            return Made(rating.id, RATING_REOPENED)
        return Made(rating.id, RATING_ESCALATED if level is Satisfaction.DISSATISFIED else None)

    return submit_once(form, make, _rated, now=now)


def _rated(submission: FormSubmission) -> ResponseReturnValue:
    """The thanks for a case's rating, for its first submit and any repeat of it."""
    rating = db.get_or_404(Rating, submission.record_id)
    if submission.kind == RATING_REOPENED:
        message = _("Thank you. We are sorry: it is open again and we will look at it.")
    elif submission.kind == RATING_ESCALATED:
        message = _("Thank you. We are sorry: a senior officer will look at it.")
    else:
        message = _("Thank you for your rating.")
    flash(message, "success")
    return redirect(url_for("cases.show", case_id=rating.case_id))
