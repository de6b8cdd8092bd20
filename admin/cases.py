"""The case queue: every case in the user's area, the next deadline first."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from admin import bp
from admin.area_picker import area_choices, chosen_area
from admin.audit import record_list
from admin.counts import cap_text, count_text
from portal.auth import staff_required
from portal.extensions import db
from portal.forms import BaseForm
from portal.models import CaseStatus, CaseType, User
from portal.services.cases import queue as case_queue
from portal.services.reference.area_tree import AreaTree, area_tree
from portal.services.reference.labels import CASE_STATUSES, CASE_TYPES, current_locale
from portal.services.reporting.capped_counts import beyond_cap

DEADLINE_LABELS = {
    case_queue.ON_TRACK: _l("On track"),
    case_queue.WARNING: _l("Due soon"),
    case_queue.OVERDUE: _l("Overdue"),
    case_queue.PAUSED: _l("Paused"),
}
ASSIGNEE_LABELS = {
    case_queue.MINE: _l("My cases"),
    case_queue.UNASSIGNED: _l("Not assigned"),
    case_queue.ESCALATED_TO_ME: _l("Escalated to my area"),
}


class QueueFilterForm(BaseForm):
    """GET filters: no CSRF token (nothing changes), and unknown values are ignored."""

    class Meta:
        csrf = False

    type = SelectField(_l("Type"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    deadline = SelectField(_l("Deadline"), validate_choice=False)
    area = SelectField(_l("Area"), validate_choice=False)
    assignee = SelectField(_l("Assigned to"), validate_choice=False)


def _filter_form(tree: AreaTree, user: User, locale: str) -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    every = SelectChoice("", _("All"))
    form.type.choices = [every] + [SelectChoice(t.value, CASE_TYPES[t.value]) for t in CaseType]
    form.status.choices = [
        SelectChoice(case_queue.OPEN, _("Open (new, in progress, paused)")),
        *(SelectChoice(s.value, CASE_STATUSES[s.value]) for s in CaseStatus),
        SelectChoice(case_queue.ALL, _("All")),
    ]
    form.deadline.choices = [every] + [
        SelectChoice(key, label) for key, label in DEADLINE_LABELS.items()
    ]
    form.area.choices = area_choices(tree, user, chosen_area(form.area.data, tree, user), locale)
    form.assignee.choices = [SelectChoice("", _("Anyone"))] + [
        SelectChoice(key, label) for key, label in ASSIGNEE_LABELS.items()
    ]
    if not form.status.data:
        form.status.data = case_queue.OPEN
    return form


def _filters(form: QueueFilterForm, tree: AreaTree, user: User) -> case_queue.Filters:
    return case_queue.Filters(
        case_type=form.type.data or "",
        status=form.status.data
        if form.status.data in case_queue.STATUS_FILTERS
        else case_queue.OPEN,
        deadline=form.deadline.data or "",
        area_id=chosen_area(form.area.data, tree, user),
        assignee=form.assignee.data or "",
    )


@bp.get("/")
@staff_required
def queue() -> ResponseReturnValue:
    """Cases in the user's area, filtered, the earliest deadline first, 50 to a page."""
    now = datetime.now(UTC)
    tree = area_tree(db.session)
    form = _filter_form(tree, current_user, current_locale())
    filters = _filters(form, tree, current_user)
    after = request.args.get("after")
    page = case_queue.queue_page(db.session, current_user, filters, now, after=after)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    next_url = url_for("admin.queue", **args, after=page.next_cursor) if page.next_cursor else None
    state_links = {
        state: url_for("admin.queue", **{**args, "deadline": state})
        for state in case_queue.DEADLINE_STATES
    }
    html = render_template(
        "admin/queue.html",
        title=_("Cases"),
        form=form,
        page=page,
        now=now,
        deadline_labels=DEADLINE_LABELS,
        state_links=state_links,
        next_url=next_url,
        first_url=url_for("admin.queue", **args) if request.args.get("after") else None,
        states=page.states,
        area_names={c.area_id: tree.nodes[c.area_id].name(current_locale()) for c in page.cases},
        more_than=beyond_cap(page.total),
        cap_text=cap_text(),
        count_texts={state: count_text(n) for state, n in page.by_deadline.items()},
    )
    # The audit row last: a commit expires every loaded row, and the page would reload each.
    record_list("case_list.view", asdict(filters), shown=len(page.cases))
    db.session.commit()
    return html
