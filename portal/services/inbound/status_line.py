"""What the phone status line tells a resident once they are recognised.

Each open case in one sentence (its type, its reference, its state, the date an answer is due)
and any plan waiting for their agreement, in the resident's language. Dates are said the way a
person says them ("15 December 2026", "2026年12月15日"), not as the digits a page shows.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from portal.models import OPEN_STATUSES, Case, Plan, PlanStatus, Resident
from portal.models.base import AnySession
from portal.services.reference.labels import CASE_STATUSES, CASE_TYPES
from portal.services.sla.sla import local_zone


def status_sentences(session: AnySession, resident: Resident) -> list[str]:
    """The status line's report for `resident`, sentence by sentence, in their language."""
    cases = session.scalars(
        select(Case)
        .where(Case.resident_id == resident.id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at, Case.id)
    ).all()
    plans = session.scalars(
        select(Plan).where(
            Plan.resident_id == resident.id,
            Plan.is_current.is_(True),
            Plan.status == PlanStatus.AWAITING_AGREEMENT,
        )
    ).all()
    language = resident.language
    with force_locale(language):
        if cases:
            sentences = [
                ngettext("You have %(num)d open case.", "You have %(num)d open cases.", len(cases))
            ]
        else:
            sentences = [_("You have no open cases.")]
        sentences += [_case_sentence(case, language) for case in cases]
        sentences += [
            _(
                "Your service plan for %(year)s is waiting for your agreement. Sign in to "
                "read it, or ask a worker to read it to you.",
                year=plan.year,
            )
            for plan in plans
        ]
    return sentences


def _case_sentence(case: Case, language: str) -> str:
    values = {
        "type": CASE_TYPES[case.type.value],
        "reference": case.reference,
        "status": CASE_STATUSES[case.status.value],
    }
    due = case.next_due_at
    if due is None:
        return _("%(type)s, reference %(reference)s: %(status)s.", **values)
    return _(
        "%(type)s, reference %(reference)s: %(status)s. An answer is due by %(due)s.",
        due=spoken_date(due, language),
        **values,
    )


def spoken_date(moment: datetime, language: str) -> str:
    """The local day of `moment` as said aloud in `language`."""
    return format_date(moment.astimezone(local_zone()).date(), format="long", locale=language)
