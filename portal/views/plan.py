"""My plan: read this year's plan, agree to it, and say when an item is not right."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired

from portal.auth import resident_required
from portal.extensions import db
from portal.form_tokens import Made, OneSubmitForm, submit_once
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.models import CaseType, Plan, Resident
from portal.services.cases.cases import file_case
from portal.services.cases.ratings import delivery_ratings, plan_rating
from portal.services.plans.plan_lookup import plan_awaiting_agreement
from portal.services.plans.plans import (
    PlanNotAwaitingAgreementError,
    agree_to_plan,
    current_plan,
    items_by_part,
    load_for_page,
    plan_changes,
    plan_item_of,
)
from portal.services.reference import labels
from portal.services.reference.labels import current_locale
from portal.views.acting import acting_for
from portal.views.received import received

bp = Blueprint("plan", __name__)


@bp.app_context_processor
def _plan_labels() -> dict[str, object]:
    return {
        "plan_status_label": lambda value: labels.PLAN_STATUSES[str(value)],
        "plan_part_label": lambda value: labels.PLAN_PARTS[str(value)],
        "item_status_label": lambda value: labels.ITEM_STATUSES[str(value)],
        "satisfaction_label": lambda value: labels.SATISFACTION[str(value)],
    }


CORRECTION_LIMIT = 1000


class AgreeForm(BaseForm):
    have_read = BooleanField(
        _l("I have read the plan"),
        validators=[DataRequired(_l("Tick the box to say you have read the plan"))],
    )


class CorrectionForm(OneSubmitForm):
    submission_kind = "plan_correction"

    what_is_wrong = TextAreaField(
        _l("What is not right?"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Tell us what is not right")),
            MaxChars(CORRECTION_LIMIT),
            PlainText(),
        ],
    )


def _render_plan(resident: Resident, plan: Plan | None, form: AgreeForm) -> str:
    ratings = {}
    year_rating = None
    if plan is not None:
        load_for_page(db.session, plan)
        delivered = [delivery.id for item in plan.items for delivery in item.deliveries]
        ratings = delivery_ratings(db.session, resident.id, delivered)
        year_rating = plan_rating(db.session, plan)
    return render_template(
        "plan/show.html",
        title=_("My plan"),
        resident=resident,
        plan=plan,
        parts=items_by_part(plan) if plan else {},
        changes=plan_changes(plan.previous_version, plan) if plan else None,
        ratings=ratings,
        year_rating=year_rating,
        form=form,
    )


def _plan_to_show(resident_id: int) -> Plan | None:
    """A new version waiting for the resident's agreement comes first; then the one in force."""
    return plan_awaiting_agreement(db.session, resident_id) or current_plan(db.session, resident_id)


@bp.get("/plan")
@resident_required
def show() -> ResponseReturnValue:
    resident = acting_for(datetime.now(UTC).date())
    return _render_plan(resident, _plan_to_show(resident.id), AgreeForm())


@bp.post("/plan/agree")
@resident_required
def agree() -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    plan = _plan_to_show(resident.id)
    if plan is None:
        abort(404)
    form = AgreeForm()
    if not form.validate_on_submit():
        return _render_plan(resident, plan, form)
    try:
        agree_to_plan(db.session, plan, current_user, now=now, method="web")
    except PlanNotAwaitingAgreementError:
        flash(_("This plan is not waiting for your agreement, so nothing was changed."), "info")
        return redirect(url_for("plan.show"))
    db.session.commit()
    flash(_("Thank you. You have agreed to the plan. The township will now approve it."), "success")
    return redirect(url_for("plan.show"))


@bp.route("/plan/items/<int:item_id>/correction", methods=["GET", "POST"])
@resident_required
def correct_item(item_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    resident = acting_for(now.date())
    item = plan_item_of(db.session, resident.id, item_id)
    if item is None:
        abort(404)
    locale = current_locale()
    form = CorrectionForm()
    if form.validate_on_submit():

        def make() -> Made:
            case = file_case(
                db.session,
                resident=resident,
                filed_by=current_user,
                case_type=CaseType.CORRECTION,
                description=f"{item.need_item.name(locale)}: {form.what_is_wrong.data}",
                need_item=item.need_item,
                now=now,
                language=locale,
            )
            return Made(case.id)

        return submit_once(form, make, received, now=now)
    return render_template(
        "plan/correction.html",
        title=_("Tell us what is not right"),
        resident=resident,
        item=item,
        form=form,
    )
