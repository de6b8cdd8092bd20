"""Residents (/admin/residents): the people in the staff member's scope, and one resident's
overview (identifiers masked, guardians, this year's home visit).

Both start from `portal.services.people.access`, so a resident outside the scope is never listed and
their overview is a 404; opening an overview is an audited read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from admin import bp
from admin.area_picker import area_choices, chosen_area
from admin.audit import record_list, record_read
from admin.counts import cap_text
from portal.auth import staff_required
from portal.extensions import db
from portal.forms import BaseForm, strip_text, whole_number
from portal.models import Resident, Role, User
from portal.services.people.access import residents_for
from portal.services.people.guardians import guardians_of
from portal.services.reference.area_tree import area_tree
from portal.services.reference.labels import CATEGORIES, current_locale
from portal.services.reporting.capped_counts import beyond_cap
from portal.services.reporting.resident_list import resident_list
from portal.services.sla.calendar_admin import local_today
from portal.services.surveys.surveys import SURVEY_READERS, SurveyState, year_survey

SURVEY_STATES = {
    SurveyState.DONE: _l("Visit recorded this year"),
    SurveyState.NOT_DONE: _l("No visit recorded this year"),
    SurveyState.NOT_CONFIRMED: _l("Visit recorded, not confirmed by the resident"),
}
CONFIRMATION_METHODS = {
    "portal": _l("By the resident or their guardian, on this website"),
    "in_person": _l("In person, before a witness"),
}


class ResidentFilterForm(BaseForm):
    """GET filters: no CSRF token, unknown values ignored."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name, or the last 4 digits of the phone or certificate number"),
        filters=[strip_text],
    )
    area = SelectField(_l("Area"), validate_choice=False)
    survey = SelectField(_l("This year's home visit"), validate_choice=False)


def _int_or_none(value: object) -> int | None:
    return whole_number(value)


def _state(value: str | None) -> SurveyState | None:
    try:
        return SurveyState(value or "")
    except ValueError:
        return None


def level_words(level: int | None) -> str:
    return _("Level %(level)d", level=level) if level is not None else _("Not graded")


@bp.get("/residents")
@staff_required
def residents() -> ResponseReturnValue:
    """The residents in scope, searchable and filtered by area and this year's visit, 50 a page."""
    today = local_today(datetime.now(UTC))
    locale = current_locale()
    tree = area_tree(db.session)
    form = ResidentFilterForm(request.args)
    area_id = chosen_area(form.area.data, tree, current_user)
    form.area.choices = area_choices(tree, current_user, area_id, locale)
    form.survey.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(state.value, label) for state, label in SURVEY_STATES.items()
    ]
    search = (form.q.data or "")[:100]
    state = _state(form.survey.data)
    after = request.args.get("after")
    found = resident_list(
        db.session, current_user, today, search=search, area_id=area_id, state=state, after=after
    )
    filters = {
        "search": search,
        "area_id": area_id,
        "survey": state.value if state else None,
        "after": after,
    }
    rows = found.rows
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    html = render_template(
        "admin/residents.html",
        title=_("Residents"),
        form=form,
        found=found,
        year=today.year,
        more_than=beyond_cap(found.total),
        cap_text=cap_text(),
        area_names={
            r.resident.area_id: tree.nodes[r.resident.area_id].name(locale) for r in found.rows
        },
        first_url=url_for("admin.residents", **args) if after else None,
        next_url=url_for("admin.residents", **args, after=found.next_cursor)
        if found.next_cursor
        else None,
    )
    # The audit row last: a commit expires every loaded row, and the page would reload each.
    record_list("resident_list.view", filters, shown=len(rows))
    db.session.commit()
    return html


@bp.get("/residents/<int:resident_id>")
@staff_required
def resident(resident_id: int) -> ResponseReturnValue:
    today = local_today(datetime.now(UTC))
    person = db.session.scalar(
        residents_for(db.session, current_user, today).where(Resident.id == resident_id)
    )
    if person is None:
        abort(404)
    survey = year_survey(db.session, person.id, today.year)
    people_ids = {
        record.surveyed_by_id for record in (survey.status, survey.needs) if record is not None
    }
    if survey.needs is not None:
        people_ids.add(survey.needs.confirmed_by_id)
    people = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(people_ids - {None})))
    }
    html = render_template(
        "admin/residents_overview.html",
        title=person.name,
        resident=person,
        area_name=area_tree(db.session).nodes[person.area_id].name(current_locale()),
        category=CATEGORIES.get(person.disability_category, ""),
        level=level_words(person.disability_level),
        guardians=[
            (grant, user)
            for grant, user in guardians_of(db.session, person, today)
            if grant.is_valid_on(today)
        ],
        survey=survey,
        people=people,
        year=today.year,
        methods=CONFIRMATION_METHODS,
        may_open_survey=current_user.role in (*SURVEY_READERS, Role.ADMIN),
    )
    # The audit row after the page is drawn: a commit expires every loaded row, and the
    # template would read the resident, the survey records and the guardians again.
    record_read("resident.view", person.id, "resident", person.id)
    db.session.commit()
    return html
