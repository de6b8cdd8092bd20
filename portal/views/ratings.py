"""Ratings: the resident's (or guardian's) own view of each service and of the whole plan."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional

from portal.auth import resident_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, made_before, submit_once
from portal.forms import MaxChars, PlainText, strip_text
from portal.models import Delivery, Plan, Rating, Resident, Satisfaction
from portal.models.submission import FormSubmission
from portal.services.cases.ratings import (
    CHANGE_WINDOW,
    RatingLockedError,
    can_change,
    delivery_rating,
    follow_up_case,
    plan_rating,
    rate,
)
from portal.services.plans.plans import current_plan, delivery_of
from portal.services.reference.catalogue import catalogue
from portal.services.reference.labels import SATISFACTION, current_locale
from portal.views.acting import acting_for

bp = Blueprint("ratings", __name__)

_LEVELS = [level.value for level in Satisfaction]
#: The kind of a rating's submission when the rating opened a follow-up case.
WITH_FOLLOW_UP = "rating.follow_up"


class RatingForm(OneSubmitForm):
    submission_kind = "rating"

    level = RadioField(
        _l("How satisfied are you?"),
        choices=[SelectChoice(value, SATISFACTION[value]) for value in _LEVELS],
        validate_choice=False,
        validators=[
            DataRequired(_l("Choose how satisfied you are")),
            AnyOf(_LEVELS, _l("Choose how satisfied you are")),
        ],
    )
    comment = TextAreaField(
        _l("Anything you want to add? (optional)"),
        filters=[strip_text],
        validators=[Optional(), MaxChars(500), PlainText()],
    )


def _form_for(existing: Rating | None) -> RatingForm:
    form = RatingForm()
    if existing is not None and not form.is_submitted():
        form.level.data = existing.level.value
        form.comment.data = existing.comment or ""
    return form


def _handle(
    resident: Resident,
    existing: Rating | None,
    subject: str,
    *,
    delivery: Delivery | None = None,
    plan: Plan | None = None,
) -> ResponseReturnValue:
    """Show or take the rating form for one delivery or one plan."""
    now = datetime.now(UTC)
    form = _form_for(existing)
    first = made_before(form)
    if first is not None:
        return _rated(first)
    locked = not can_change(existing, now)
    if form.is_submitted() and locked:
        flash(_("This rating was given more than 7 days ago. It can no longer be changed."), "info")
        return redirect(url_for("plan.show"))
    if form.validate_on_submit():
        comment = form.comment.data or ""
        description = _(
            "Dissatisfied with: %(subject)s. Comment: %(comment)s",
            subject=subject,
            comment=comment or _("none"),
        )

        def make() -> Made:
            try:
                rating, case = rate(
                    db.session,
                    resident=resident,
                    given_by=current_user,
                    level=Satisfaction(form.level.data),
                    comment=comment,
                    now=now,
                    existing=existing,
                    delivery=delivery,
                    plan=plan,
                    follow_up_description=description,
                    language=current_locale(),
                )
            except RatingLockedError:  # pragma: no cover - checked above; kept for races
                abort(409)
            return Made(rating.id, WITH_FOLLOW_UP if case is not None else None)

        return submit_once(form, make, _rated, now=now)
    return render_template(
        "ratings/rate.html",
        title=_("Rate the whole plan") if plan is not None else _("Rate this service"),
        resident=resident,
        subject=subject,
        form=form,
        existing=existing,
        locked=locked,
        change_until=existing.created_at + CHANGE_WINDOW if existing else None,
    )


def _rated(submission: FormSubmission) -> ResponseReturnValue:
    """The thanks for a rating, for its first submit and any repeat of it."""
    case = None
    if submission.kind == WITH_FOLLOW_UP:
        case = follow_up_case(db.session, db.get_or_404(Rating, submission.record_id))
    if case is not None:
        flash(
            _(
                "Thank you for your rating. We are sorry. A worker will contact you about it: "
                "your reference is %(reference)s.",
                reference=case.reference,
            ),
            "success",
        )
    else:
        flash(_("Thank you for your rating."), "success")
    return redirect(url_for("plan.show"))


@bp.route("/plan/deliveries/<int:delivery_id>/rating", methods=["GET", "POST"])
@resident_required
def rate_delivery(delivery_id: int) -> ResponseReturnValue:
    resident = acting_for(datetime.now(UTC).date())
    delivery = delivery_of(db.session, resident.id, delivery_id)
    if delivery is None:
        abort(404)
    subject = _(
        "%(item)s, delivered on %(day)s",
        item=catalogue(db.session).name(delivery.plan_item.need_item_id, current_locale()),
        day=delivery.delivered_on.isoformat(),
    )
    existing = delivery_rating(db.session, resident.id, delivery.id)
    return _handle(resident, existing, subject, delivery=delivery)


@bp.route("/plan/rating", methods=["GET", "POST"])
@resident_required
def rate_plan() -> ResponseReturnValue:
    resident = acting_for(datetime.now(UTC).date())
    plan = current_plan(db.session, resident.id)
    if plan is None:
        abort(404)
    subject = _("Your plan for %(year)d", year=plan.year)
    return _handle(resident, plan_rating(db.session, plan), subject, plan=plan)
