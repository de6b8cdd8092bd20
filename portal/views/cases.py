"""Filing a case and following it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional

from portal.auth import resident_required
from portal.extensions import db
from portal.forms import MaxChars, PlainText, strip_text
from portal.i18n import current_locale
from portal.models import Case, CaseType, NeedItem
from portal.services.access import cases_for
from portal.services.cases import file_case
from portal.services.labels import CASE_TYPE_NOUNS, CASE_TYPES
from portal.views.acting import acting_for

bp = Blueprint("cases", __name__)

FILEABLE = (CaseType.COMPLAINT, CaseType.CONSULTATION, CaseType.HELP, CaseType.SUGGESTION)
DESCRIPTION_LIMIT = 2000


class CaseForm(FlaskForm):
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
    form = CaseForm()
    form.category.choices = _category_choices(current_locale())
    if form.validate_on_submit():
        need_item = db.session.scalar(select(NeedItem).where(NeedItem.code == form.category.data))
        if need_item is None:
            form.category.errors = [_("Choose what it is about")]
        else:
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
            db.session.commit()
            flash(
                _(
                    "We have received it. Your reference is %(reference)s.",
                    reference=case.reference,
                ),
                "success",
            )
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template(
        "cases/new.html", form=form, title=_("Tell us about a problem"), resident=resident
    )


@bp.get("/cases/<int:case_id>")
@resident_required
def show(case_id: int) -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    case = db.session.scalar(cases_for(db.session, current_user, today).where(Case.id == case_id))
    if case is None:
        abort(404)
    events = [event for event in case.events if event.public]
    return render_template(
        "cases/show.html",
        case=case,
        events=events,
        title=_(
            "Your %(case_type)s %(reference)s",
            case_type=CASE_TYPE_NOUNS[case.type.value],
            reference=case.reference,
        ),
    )
