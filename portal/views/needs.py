"""Needs (问需): browse or search the catalogue, say what you need, follow it, withdraw it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from portal.auth import resident_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, submit_once
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import Case, CaseType
from portal.models.submission import FormSubmission
from portal.services.cases.cases import file_case
from portal.services.cases.needs import (
    SEARCH_LIMIT,
    CaseNotOpenError,
    latest_public_replies,
    requestable_item,
    requestable_items,
    withdraw_case,
)
from portal.services.people.access import cases_for
from portal.services.plans.directory import group_by_domain
from portal.services.reference.labels import current_locale
from portal.views.acting import acting_for
from portal.views.timeout import restore_draft

bp = Blueprint("needs", __name__)

DETAILS_LIMIT = 1000
REASON_LIMIT = 500


class NeedForm(OneSubmitForm):
    submission_kind = "need"

    # Choices are validated with our own translated messages, not WTForms' built-in ones.
    item = SelectField(
        _l("What do you need?"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose what you need"))],
    )
    details = TextAreaField(
        _l("Tell us more (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(DETAILS_LIMIT), PlainText()],
    )
    contact_time = StringField(
        _l("When is the best time to contact you? (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(100), PlainText()],
    )


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("Why are you withdrawing it? (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(REASON_LIMIT), PlainText()],
    )


def _item_choices(locale: str) -> list[SelectChoice]:
    """Requestable catalogue items, grouped by domain for an `<optgroup>` each."""
    choices = [SelectChoice("", _("Choose one"))]
    for domain, items in group_by_domain(requestable_items(db.session)):
        choices += [
            SelectChoice(item.code, item.name(locale), optgroup=str(domain.title)) for item in items
        ]
    return choices


def _need_or_404(case_id: int, today: date) -> Case:
    """A need the signed-in person may see; anyone else's id, or another case type, is 404."""
    case = db.session.scalar(
        cases_for(db.session, current_user, today).where(
            Case.id == case_id, Case.type == CaseType.NEED
        )
    )
    if case is None:
        abort(404)
    return case


@bp.get("/needs")
@resident_required
def index() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    resident = acting_for(today)
    needs = db.session.scalars(
        cases_for(db.session, current_user, today)
        .where(Case.resident_id == resident.id, Case.type == CaseType.NEED)
        .order_by(Case.created_at.desc(), Case.id.desc())
    ).all()
    replies = latest_public_replies(db.session, (need.id for need in needs))
    return render_template(
        "needs/index.html", title=_("Your needs"), resident=resident, needs=needs, replies=replies
    )


@bp.get("/needs/catalogue")
@resident_required
def catalogue() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:SEARCH_LIMIT]
    items = requestable_items(db.session, query)
    count_text = ""
    if query and not items:
        count_text = _('No services match "%(query)s". Try another word.', query=query)
    elif query:
        count_text = ngettext(
            '%(num)d service matches "%(query)s".',
            '%(num)d services match "%(query)s".',
            len(items),
            query=query,
        )
    return render_template(
        "needs/catalogue.html",
        title=(
            _('Search results for "%(query)s"', query=query)
            if query
            else _("What can we help with?")
        ),
        query=query,
        groups=group_by_domain(items),
        count=len(items),
        count_text=count_text,
    )


@bp.route("/needs/new", methods=["GET", "POST"])
@resident_required
def new() -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    locale = current_locale()
    draft = restore_draft("needs.new") if request.method == "GET" else None
    form = NeedForm(data=draft)
    form.item.choices = _item_choices(locale)
    if request.method == "GET" and requestable_item(db.session, request.args.get("item")):
        form.item.data = request.args.get("item")
    if form.validate_on_submit():
        need_item = requestable_item(db.session, form.item.data)
        if need_item is None:
            form.item.errors = [_("Choose what you need")]
        else:

            def make() -> Made:
                case = file_case(
                    db.session,
                    resident=resident,
                    filed_by=current_user,
                    case_type=CaseType.NEED,
                    description=form.details.data or "",
                    contact_time=form.contact_time.data,
                    need_item=need_item,
                    now=now,
                    language=locale,
                )
                return Made(case.id)

            return submit_once(form, make, _received, now=now)
    return render_template(
        "needs/new.html", form=form, title=_("Tell us what you need"), resident=resident
    )


def _received(submission: FormSubmission) -> ResponseReturnValue:
    """The reference and the need's page, for the first submit and any repeat of it."""
    case = db.get_or_404(Case, submission.record_id)
    flash(
        _("We have received your need. Your reference is %(reference)s.", reference=case.reference),
        "success",
    )
    return redirect(url_for("needs.show", case_id=case.id))


def _render_show(case: Case, form: WithdrawForm) -> str:
    return render_template(
        "needs/show.html",
        case=case,
        events=[event for event in case.events if event.public],
        form=form,
        title=_("Your need %(reference)s", reference=case.reference),
    )


@bp.get("/needs/<int:case_id>")
@resident_required
def show(case_id: int) -> ResponseReturnValue:
    case = _need_or_404(case_id, datetime.now(UTC).date())
    return _render_show(case, WithdrawForm())


@bp.post("/needs/<int:case_id>/withdraw")
@resident_required
def withdraw(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    case = _need_or_404(case_id, now.date())
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_show(case, form)
    try:
        withdraw_case(
            db.session,
            case,
            actor=current_user,
            on_behalf_of=case.resident if current_user.resident_id != case.resident_id else None,
            reason=form.reason.data,
            now=now,
        )
    except CaseNotOpenError:
        db.session.rollback()
        flash(_("This need is already closed, so it cannot be withdrawn."), "info")
        return redirect(url_for("needs.show", case_id=case_id))
    db.session.commit()
    flash(_("You have withdrawn your need %(reference)s.", reference=case.reference), "success")
    return redirect(url_for("needs.show", case_id=case.id))
