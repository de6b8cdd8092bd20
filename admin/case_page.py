"""A case's page for staff: the resident in brief, the timeline, and the actions.

The actions are a table (`STEPS`): for each workflow action, its form, its URL and the service
call. One POST view serves them all: it loads the case through `cases_for` (404 outside scope),
asks the workflow table whether the user's role may take the action now, validates the form,
calls the service, audits the action and commits, then redirects back to the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from admin import bp
from admin.audit import record_action, record_read
from admin.case_forms import (
    AssignForm,
    EscalateForm,
    ExtendForm,
    MarkUrgentForm,
    MergeForm,
    NoteForm,
    PauseForm,
    PublicReplyForm,
    ResolveForm,
    ResumeForm,
    TransferForm,
)
from admin.timeline import staff_timeline
from portal.auth import staff_required
from portal.extensions import db
from portal.models import Case, CaseEvent, CaseStatus, SlaPolicy, User
from portal.phones import mask_phone
from portal.services.cases import case_snapshot, staff_actions, workflow
from portal.services.cases.escalation import above_the_officer
from portal.services.cases.event_wording import STAFF_STATUSES
from portal.services.cases.workflow import Action, ActionRefused
from portal.services.people.access import cases_for
from portal.services.people.guardians import guardians_of
from portal.services.reference.area_tree import AreaNode, area_tree
from portal.services.reference.catalogue import catalogue
from portal.services.reference.labels import (
    CASE_TYPES,
    CHANNELS,
    GUARDIAN_KINDS,
    RELATIONSHIPS,
    current_locale,
)

#: What a refusal means, in words staff can act on.
REFUSALS = {
    "not_allowed": _l("You cannot do that to this case now. The page shows what you can do."),
    "no_extensions_left": _l(
        "The deadline cannot be extended again: it has been extended as far as the rules allow."
    ),
    "already_urgent": _l("This case is already marked urgent."),
    "cannot_merge": _l(
        "These cannot be joined. The request to keep must be a different open request "
        "from the same resident, in your area."
    ),
    "assignee_out_of_area": _l("That person does not work in this case's area."),
    "area_out_of_scope": _l("That area is outside your own area."),
}


@dataclass(frozen=True)
class Step:
    """One action on the case page: its form, the service call and the message when done."""

    action: Action
    form: type[FlaskForm]
    run: Callable[[Case, Any, datetime], object]
    done: Any  # a lazy string

    @property
    def slug(self) -> str:
        return self.action.value.replace("_", "-")


def _assignee(case: Case, form: AssignForm) -> User:
    return next(
        u
        for u in staff_actions.assignable_staff(db.session, case)
        if str(u.id) == form.assignee.data
    )


def _area(case: Case, form: TransferForm) -> AreaNode:
    areas = staff_actions.transfer_areas(db.session, current_user, case)
    return next(a for a in areas if str(a.id) == form.area.data)


def _kwargs(now: datetime) -> dict[str, Any]:
    return {"actor": current_user, "now": now}


STEPS: dict[Action, Step] = {
    step.action: step
    for step in (
        Step(
            Action.PUBLIC_REPLY,
            PublicReplyForm,
            lambda case, form, now: staff_actions.public_reply(
                db.session,
                case,
                text=form.text.data,
                send_now=bool(form.send_now.data),
                **_kwargs(now),
            ),
            _l("Your reply has been sent to the resident."),
        ),
        Step(
            Action.NOTE,
            NoteForm,
            lambda case, form, now: staff_actions.note(
                db.session, case, text=form.text.data, **_kwargs(now)
            ),
            _l("The note has been added. Only staff can see it."),
        ),
        Step(
            Action.ASSIGN,
            AssignForm,
            lambda case, form, now: staff_actions.assign(
                db.session, case, assignee=_assignee(case, form), **_kwargs(now)
            ),
            _l("The case has been assigned."),
        ),
        Step(
            Action.TRANSFER,
            TransferForm,
            lambda case, form, now: staff_actions.transfer(
                db.session, case, area=_area(case, form), reason=form.reason.data, **_kwargs(now)
            ),
            _l("The case has been moved to the other area."),
        ),
        Step(
            Action.PAUSE,
            PauseForm,
            lambda case, form, now: staff_actions.pause(
                db.session, case, reason=form.reason.data, **_kwargs(now)
            ),
            _l("The case is paused and the resident has been told why."),
        ),
        Step(
            Action.RESUME,
            ResumeForm,
            lambda case, form, now: staff_actions.resume(db.session, case, **_kwargs(now)),
            _l("Work on the case has started again, and the resident has been told."),
        ),
        Step(
            Action.RESOLVE,
            ResolveForm,
            lambda case, form, now: staff_actions.resolve(
                db.session, case, text=form.text.data, **_kwargs(now)
            ),
            _l("The case is resolved. The resident has your answer and will be asked to rate it."),
        ),
        Step(
            Action.EXTEND,
            ExtendForm,
            lambda case, form, now: staff_actions.extend(
                db.session, case, reason=form.reason.data, **_kwargs(now)
            ),
            _l("The deadline has been extended, and the resident has been told why."),
        ),
        Step(
            Action.ESCALATE,
            EscalateForm,
            lambda case, form, now: staff_actions.escalate_by_staff(
                db.session, case, reason=form.reason.data, **_kwargs(now)
            ),
            _l("The case has been passed one level up."),
        ),
        Step(
            Action.MARK_URGENT,
            MarkUrgentForm,
            lambda case, form, now: staff_actions.mark_urgent(
                db.session, case, reason=form.reason.data, **_kwargs(now)
            ),
            _l("The case is marked urgent."),
        ),
        Step(
            Action.MERGE,
            MergeForm,
            lambda case, form, now: staff_actions.merge(
                db.session, case, into=form.found, **_kwargs(now)
            ),
            _l("The case has been closed as a duplicate."),
        ),
    )
}
BY_SLUG = {step.slug: step for step in STEPS.values()}


def _scoped_case(case_id: int, now: datetime) -> Case:
    found = db.session.scalar(
        cases_for(db.session, current_user, now.date()).where(Case.id == case_id)
    )
    if found is None:
        abort(404)
    return found


def _make_form(step: Step, case: Case, *, blank: bool) -> FlaskForm:
    """The step's form (blank, or holding what was posted) with its choices filled in."""
    form = step.form(prefix=step.slug, formdata=None) if blank else step.form(prefix=step.slug)
    locale = current_locale()
    if isinstance(form, AssignForm):
        people = staff_actions.assignable_staff(db.session, case)
        nodes = area_tree(db.session).nodes
        form.assignee.choices = [("", _("Choose a person"))] + [
            (str(u.id), _("%(name)s (%(area)s)", name=u.name, area=nodes[u.area_id].name(locale)))
            for u in people
            if u.area_id in nodes
        ]
    elif isinstance(form, TransferForm):
        areas = staff_actions.transfer_areas(db.session, current_user, case)
        form.area.choices = [("", _("Choose an area"))] + [
            (str(a.id), a.name(locale)) for a in areas
        ]
    return form


def _extensions_allowed(case: Case) -> int:
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == case.type.value))
    return policy.max_extensions if policy else 0


def _status_line(case: Case, now: datetime) -> list[tuple[str, str]]:
    """Tags (text, kind) that say what needs attention; said in words, not colour alone."""
    tags = []
    if case.urgent:
        tags.append((_("Urgent"), "danger"))
    due = case.current_due_at or case.next_due_at
    if case.is_open and case.status != CaseStatus.WAITING and due is not None and due < now:
        tags.append((_("Overdue"), "danger"))
    escalated_to = area_tree(db.session).nodes.get(case.escalated_to_area_id or 0)
    if escalated_to is not None:
        tags.append(
            (_("Escalated to %(area)s", area=escalated_to.name(current_locale())), "warning")
        )
    return tags


def _escalates_to(case: Case, locale: str) -> str:
    """The area this user's escalation would reach (above their own level), by name."""
    return above_the_officer(db.session, case, current_user).name(locale)


def _render(
    case: Case,
    now: datetime,
    *,
    submitted: FlaskForm | None = None,
    step: Step | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The page; `submitted` replaces the blank form of `step` (to keep what was typed)."""
    allowed = workflow.allowed(current_user.role, case.status)
    forms = {
        s.action.value: _make_form(s, case, blank=True)
        for s in STEPS.values()
        if s.action in allowed
    }
    if submitted is not None and step is not None and step.action in allowed:
        forms[step.action.value] = submitted
    locale = current_locale()
    tree = area_tree(db.session)
    resident = case.resident
    guardians = [
        {
            "name": user.name,
            "kind": GUARDIAN_KINDS[grant.kind.value],
            "relationship": RELATIONSHIPS[grant.relationship_.value],
        }
        for grant, user in guardians_of(db.session, resident, now.date())
        if grant.is_valid_on(now.date())
    ]
    assignee = db.session.get(User, case.assignee_id) if case.assignee_id else None
    page = render_template(
        "admin/case.html",
        title=_("Case %(reference)s", reference=case.reference),
        case=case,
        case_type=CASE_TYPES[case.type.value],
        status_label=STAFF_STATUSES[case.status.value],
        tags=_status_line(case, now),
        case_area=tree.nodes[case.area_id].name(locale),
        about=catalogue(db.session).name(case.need_item_id, locale) if case.need_item_id else None,
        resident=resident,
        resident_area=tree.nodes[resident.area_id].name(locale),
        resident_phone=mask_phone(resident.phone) if resident.phone else None,
        resident_channel=CHANNELS[resident.channel.value],
        guardians=guardians,
        assignee=assignee,
        extensions_allowed=_extensions_allowed(case),
        escalate_to=_escalates_to(case, locale) if "escalate" in forms else None,
        entries=staff_timeline(case),
        forms=forms,
        slugs={s.action.value: s.slug for s in STEPS.values()},
        form=submitted if submitted is not None and submitted.errors else None,
        refusal=refusal,
    )
    # The audit row last: a commit expires every loaded row, and the page would reload them.
    record_read("case.view", case.resident_id, "case", case.id)
    db.session.commit()
    return page, status


@bp.get("/cases/<int:case_id>")
@staff_required
def case(case_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    return _render(_scoped_case(case_id, now), now)


@staff_required
def case_action(case_id: int, action: str) -> ResponseReturnValue:
    now = datetime.now(UTC)
    found = _scoped_case(case_id, now)
    step = STEPS[Action(action)]
    form = _make_form(step, found, blank=False)
    if step.action not in workflow.allowed(current_user.role, found.status):
        return _render(found, now, refusal=str(REFUSALS["not_allowed"]), status=409)
    if not form.validate_on_submit() or not _find_merge_target(form, found, now):
        return _render(found, now, submitted=form, step=step, status=400)
    before = case_snapshot.snapshot(db.session, found)
    try:
        event = step.run(found, form, now)
    except ActionRefused as error:
        db.session.rollback()
        message = REFUSALS.get(error.code, REFUSALS["not_allowed"])
        found = _scoped_case(case_id, now)
        return _render(found, now, submitted=form, step=step, refusal=str(message), status=409)
    record_action(
        step.action.value,
        found,
        changes=case_snapshot.changes(before, case_snapshot.snapshot(db.session, found)),
        reason=getattr(getattr(form, "reason", None), "data", None),
        event_id=event.id if isinstance(event, CaseEvent) else None,
    )
    db.session.commit()
    flash(str(step.done), "success")
    return redirect(url_for("admin.case", case_id=found.id, _anchor="history"))


def _find_merge_target(form: FlaskForm, case: Case, now: datetime) -> bool:
    """For the merge form: find the request to keep among the cases the user may see."""
    if not isinstance(form, MergeForm):
        return True
    form.found = db.session.scalar(
        cases_for(db.session, current_user, now.date()).where(Case.reference == form.reference.data)
    )
    if form.found is None:
        form.reference.errors = [_("There is no request with that reference in your area")]
        return False
    return True


for _step in STEPS.values():
    bp.add_url_rule(
        f"/cases/<int:case_id>/{_step.slug}",
        endpoint="case_action",
        view_func=case_action,
        methods=["POST"],
        defaults={"action": _step.action.value},
    )
