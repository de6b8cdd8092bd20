"""A resident's plan for staff (/admin/residents/<id>/plan): write it, submit it, approve it.

The page shows the version being worked on (or the one in force), the year's needs without an
answer yet, and the workflow steps the signed-in role may take now. Every step goes through
`portal.services.plans.plan_workflow`, which follows `plan_rules`; residents outside the user's
area are 404, like any record outside scope. `admin.plan_page` draws the page and its forms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin import bp
from admin.plan_forms import (
    ActionForm,
    DevelopmentForm,
    PaperAgreementForm,
    ReturnForm,
)
from admin.plan_page import (
    PlanItemForm,
    StartForm,
    extra_form,
    need_form,
    render_plan_page,
    with_institutions,
)
from portal.auth import roles_required
from portal.extensions import db
from portal.form_tokens import Made, made_before, submit_once
from portal.forms import whole_number
from portal.models import NeedItem, NeedsAnswer, Plan, PlanItem, Resident
from portal.models.submission import FormSubmission
from portal.services.plans import plan_workflow as workflow
from portal.services.plans.plan_lookup import (
    needs_coverage,
    resident_in_scope,
)
from portal.services.plans.plan_rules import (
    APPROVERS,
    EDITORS,
    READERS,
    PlanActionRefused,
    PlanInvalidError,
)
from portal.services.sla.sla import local_zone

REFUSED = {
    "not_allowed": _l("That step is not possible for this plan now. Nothing was changed."),
    "pending_version": _l("A version of this plan is already being worked on."),
    "has_deliveries": _l("Services were delivered for this item, so it stays in the plan."),
}
SUBMIT_PROBLEMS = {
    "no_items": _l("Add at least one item before sending the plan to the resident"),
    "no_development_reason": _l(
        "Add a development item, or write why there is no development part"
    ),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _resident(resident_id: int) -> Resident:
    resident = resident_in_scope(
        db.session, current_user, resident_id, _now().astimezone(local_zone()).date()
    )
    if resident is None:
        abort(404)
    return resident


def _plan(resident: Resident, plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.resident_id != resident.id:
        abort(404)
    return plan


def _done(resident: Resident, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.resident_plan", resident_id=resident.id))


def _refused(resident: Resident, error: PlanActionRefused) -> ResponseReturnValue:
    db.session.rollback()
    flash(str(REFUSED.get(error.code, REFUSED["not_allowed"])), "info")
    return redirect(url_for("admin.resident_plan", resident_id=resident.id))


@bp.get("/residents/<int:resident_id>/plan")
@roles_required(*READERS)
def resident_plan(resident_id: int) -> ResponseReturnValue:
    return render_plan_page(_resident(resident_id))


@bp.post("/residents/<int:resident_id>/plan/start")
@roles_required(*EDITORS)
def resident_plan_start(resident_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    form = StartForm(prefix="start")
    if not form.validate_on_submit():
        return render_plan_page(resident, 400, start=form)
    now = _now()

    def make() -> Made:
        plan = workflow.start_draft(
            db.session,
            resident,
            current_user,
            year=now.astimezone(local_zone()).year,
            now=now,
            ip_address=request.remote_addr,
        )
        return Made(plan.id)

    try:
        return submit_once(form, make, _started, now=now)
    except PlanActionRefused as error:
        return _refused(resident, error)


def _started(submission: FormSubmission) -> ResponseReturnValue:
    plan = db.get_or_404(Plan, submission.record_id)
    flash(_("A draft plan was started."), "success")
    return redirect(url_for("admin.resident_plan", resident_id=plan.resident_id))


def _add(
    resident: Resident,
    plan: Plan,
    form: PlanItemForm,
    name: str,
    need_item_id: int,
    answer: NeedsAnswer | None,
) -> ResponseReturnValue:
    if not form.validate_on_submit():
        return render_plan_page(resident, 400, **{name: form})
    data = form.item_input(need_item_id=need_item_id, needs_answer_id=answer.id if answer else None)
    now = _now()

    def make() -> Made:
        item = workflow.add_item(
            db.session, plan, data, current_user, now=now, ip_address=request.remote_addr
        )
        return Made(item.id)

    try:
        return submit_once(form, make, _added, now=now)
    except PlanActionRefused as error:
        return _refused(resident, error)


def _added(submission: FormSubmission) -> ResponseReturnValue:
    item = db.get_or_404(PlanItem, submission.record_id)
    flash(_("The item was added to the plan."), "success")
    return redirect(url_for("admin.resident_plan", resident_id=item.plan.resident_id))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/needs/<int:answer_id>")
@roles_required(*EDITORS)
def resident_plan_answer(resident_id: int, plan_id: int, answer_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    form = with_institutions(need_form(answer_id))
    first = made_before(form)  # the need has its answer now: show it, rather than a 404
    if first is not None:
        return _added(first)
    coverage = needs_coverage(db.session, plan)
    answer = next((a for a in coverage.unanswered if a.id == answer_id), None)
    if answer is None:
        abort(404)
    return _add(resident, plan, form, f"need-{answer_id}", answer.need_item_id, answer)


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/items")
@roles_required(*EDITORS)
def resident_plan_add_item(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    form = with_institutions(extra_form())
    need_item_id = whole_number(form.need_item.data) or 0
    if db.session.get(NeedItem, need_item_id) is None:
        need_item_id = 0
    return _add(resident, plan, form, "extra", need_item_id, None)


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/items/<int:plan_item_id>/remove")
@roles_required(*EDITORS)
def resident_plan_remove_item(
    resident_id: int, plan_id: int, plan_item_id: int
) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    item = db.session.get(PlanItem, plan_item_id)
    if item is None or item.plan_id != plan.id or not ActionForm().validate_on_submit():
        abort(404)
    try:
        workflow.remove_item(
            db.session, plan, item, current_user, now=_now(), ip_address=request.remote_addr
        )
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The item was removed from the plan."))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/development")
@roles_required(*EDITORS)
def resident_plan_development(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    form = DevelopmentForm(prefix="development")
    if not form.validate_on_submit():
        return render_plan_page(resident, 400, development=form)
    try:
        workflow.set_no_development_reason(
            db.session,
            plan,
            form.no_development_reason.data,
            current_user,
            now=_now(),
            ip_address=request.remote_addr,
        )
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The development part was saved."))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/submit")
@roles_required(*EDITORS)
def resident_plan_submit(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        workflow.submit(db.session, plan, current_user, now=_now(), ip_address=request.remote_addr)
    except PlanActionRefused as error:
        return _refused(resident, error)
    except PlanInvalidError as error:
        db.session.rollback()
        return render_plan_page(resident, 400, **_submit_errors(error.problems))
    return _done(resident, _("The plan was sent to the resident for agreement."))


def _submit_errors(problems: list[str]) -> dict[str, Any]:
    """The forms to show a refused submission's problems on, next to what would fix them."""
    forms: dict[str, Any] = {}
    if "no_items" in problems:
        extra = with_institutions(extra_form())
        extra.need_item.errors = [SUBMIT_PROBLEMS["no_items"]]
        forms["extra"] = extra
    if "no_development_reason" in problems:
        development = DevelopmentForm(prefix="development", formdata=None)
        development.no_development_reason.errors = [SUBMIT_PROBLEMS["no_development_reason"]]
        forms["development"] = development
    return forms


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/withdraw")
@roles_required(*EDITORS)
def resident_plan_withdraw(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        workflow.withdraw(
            db.session, plan, current_user, now=_now(), ip_address=request.remote_addr
        )
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The plan is back in draft."))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/agree-in-person")
@roles_required(*EDITORS)
def resident_plan_paper(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    form = PaperAgreementForm(prefix="paper")
    if not form.validate_on_submit():
        return render_plan_page(resident, 400, paper=form)
    try:
        workflow.agree_in_person(
            db.session,
            plan,
            current_user,
            witness=form.witness.data,
            now=_now(),
            ip_address=request.remote_addr,
        )
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The agreement was recorded. The township approves next."))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/approve")
@roles_required(*APPROVERS)
def resident_plan_approve(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        workflow.approve(db.session, plan, current_user, now=_now(), ip_address=request.remote_addr)
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The plan is approved and in force."))


@bp.post("/residents/<int:resident_id>/plan/<int:plan_id>/return")
@roles_required(*APPROVERS)
def resident_plan_return(resident_id: int, plan_id: int) -> ResponseReturnValue:
    resident = _resident(resident_id)
    plan = _plan(resident, plan_id)
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return render_plan_page(resident, 400, returned=form)
    try:
        workflow.return_plan(
            db.session,
            plan,
            current_user,
            reason=form.reason.data,
            now=_now(),
            ip_address=request.remote_addr,
        )
    except PlanActionRefused as error:
        return _refused(resident, error)
    return _done(resident, _("The plan was returned to draft with your reason."))
