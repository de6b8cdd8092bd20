"""The staff plan page (/admin/residents/<id>/plan): its forms and how it is drawn.

`admin.plans` takes each step; it draws this page again, with the refused form and its errors,
when a step is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from admin.audit import record_read
from admin.plan_forms import ActionForm, DevelopmentForm, ItemForm, PaperAgreementForm, ReturnForm
from portal.extensions import db
from portal.form_tokens import OneSubmitForm
from portal.models import Institution, Resident
from portal.services.cases.needs import requestable_items
from portal.services.plans.plan_lookup import needs_coverage, pending_plan, versions
from portal.services.plans.plan_rules import ANSWER_TARGET, EDITORS, PlanAction, allowed
from portal.services.plans.plans import current_plan, items_by_part, plan_changes
from portal.services.reference.labels import current_locale
from portal.services.sla.sla import local_zone


class StartForm(OneSubmitForm):
    """Start a draft (nothing to fill in): a double click starts one."""

    submission_kind = "plan_start"


class PlanItemForm(OneSubmitForm, ItemForm):
    """An answer to a need, or an item without one: a double click adds one item."""

    submission_kind = "plan_item"


def need_form(answer_id: int) -> PlanItemForm:
    form = PlanItemForm(prefix=f"need-{answer_id}")
    del form.need_item  # the need says which catalogue item it is
    return form


def extra_form() -> PlanItemForm:
    form = PlanItemForm(prefix="extra")
    locale = current_locale()
    form.need_item.choices = [SelectChoice("", _("Choose a service"))] + [
        SelectChoice(str(item.id), item.name(locale)) for item in requestable_items(db.session)
    ]
    return form


def _institution_choices() -> list[SelectChoice]:
    """The active institutions, read once for every item form on the page."""
    locale = current_locale()
    institutions = db.session.scalars(
        select(Institution).where(Institution.active).order_by(Institution.id)
    )
    return [SelectChoice("", _("None"))] + [
        SelectChoice(str(row.id), row.name(locale)) for row in institutions
    ]


def with_institutions(
    form: PlanItemForm, choices: list[SelectChoice] | None = None
) -> PlanItemForm:
    form.institution.choices = list(choices if choices is not None else _institution_choices())
    return form


def render_plan_page(resident: Resident, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The page; `forms` replaces the blank form of the same name (one refused, with errors)."""
    plan = pending_plan(db.session, resident.id) or current_plan(db.session, resident.id)
    coverage = needs_coverage(db.session, plan) if plan else None
    role = current_user.role
    steps = allowed(role, plan.status) if plan else frozenset()
    institutions = _institution_choices()
    page_forms: dict[str, Any] = {
        "extra": with_institutions(extra_form(), institutions),
        "development": DevelopmentForm(
            prefix="development", no_development_reason=plan.no_development_reason if plan else None
        ),
        "action": ActionForm(),
        "start": StartForm(prefix="start"),
        "paper": PaperAgreementForm(prefix="paper"),
        "returned": ReturnForm(prefix="return"),
    }
    for answer in coverage.unanswered if coverage else []:
        page_forms[f"need-{answer.id}"] = with_institutions(need_form(answer.id), institutions)
    page_forms.update(forms)
    can_start = role in EDITORS and (plan is None or PlanAction.REVISE in steps)
    html = render_template(
        "admin/plan.html",
        title=_("Plan for %(name)s", name=resident.name),
        resident=resident,
        plan=plan,
        parts=items_by_part(plan) if plan else {},
        changes=plan_changes(plan.previous_version, plan) if plan else None,
        coverage=coverage,
        target=ANSWER_TARGET,
        steps=steps,
        next_steps=steps - {PlanAction.EDIT, PlanAction.REVISE},
        can_start=can_start,
        forms=page_forms,
        failed=list(forms.values()),
        form=next(iter(forms.values()), None),  # the layout's title says "Error:" with it
        versions=versions(db.session, resident.id),
        year=datetime.now(UTC).astimezone(local_zone()).year,
    )
    # The audit row after the page is drawn: a commit expires every loaded row (the resident,
    # the plan and its items), and the template would read each one again.
    record_read(
        "plan.view", resident.id, "plan" if plan else "resident", plan.id if plan else resident.id
    )
    db.session.commit()
    return html, status
