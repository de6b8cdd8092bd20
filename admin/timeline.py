"""A case's full history as staff read it: every event, who acted, and whether residents see it.

The resident's version (`portal.views.case_page.timeline`) shows only public events in the
resident's words; this one shows everything, including notes, assignments, transfers, deadline
warnings and escalations, with the target area and the reason. Both are worded by one table,
`portal.services.cases.event_wording.WORDINGS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.models import Area, Case, CaseEvent, User
from portal.services.cases.event_wording import staff_line
from portal.services.reference.labels import current_locale


@dataclass(frozen=True)
class StaffEntry:
    """One line of the staff timeline."""

    title: str
    when: datetime
    by: str
    public: bool
    reason: str | None = None
    body: str | None = None
    anchor: str = ""


class _Names:
    """Users and areas the events mention, each looked up once."""

    def __init__(self, events: list[CaseEvent]) -> None:
        user_ids: set[int] = {e.actor_id for e in events if e.actor_id}
        user_ids |= {e.data["assignee_id"] for e in events if e.data.get("assignee_id")}
        codes = {e.data.get("to_area") for e in events if e.data.get("to_area")}
        for event in events:
            moved = event.data.get("transfer") or {}
            codes |= {moved.get("from"), moved.get("to")} - {None}
        self.users = (
            {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
            if user_ids
            else {}
        )
        locale = current_locale()
        self.areas = (
            {
                a.code: a.name(locale)
                for a in db.session.scalars(select(Area).where(Area.code.in_(codes)))
            }
            if codes
            else {}
        )

    def area(self, code: object) -> str:
        return self.areas.get(str(code), str(code or ""))

    def user(self, user_id: object, fallback: object = "") -> str:
        return self.users.get(user_id, str(fallback or "")) if isinstance(user_id, int) else ""


def _by(event: CaseEvent, names: _Names) -> str:
    if event.actor_id is None:
        return _("System")
    name = names.user(event.actor_id) or _("Unknown user")
    if event.on_behalf_of_id:
        return _("%(name)s, acting for the resident", name=name)
    return name


def staff_timeline(case: Case) -> list[StaffEntry]:
    """Every event of `case`, oldest first, worded for staff."""
    events = list(case.events)
    names = _Names(events)
    entries = []
    for event in events:
        title, reason = staff_line(event, names)
        entries.append(
            StaffEntry(
                title=title,
                when=event.created_at,
                by=_by(event, names),
                public=event.public,
                reason=reason,
                body=event.body,
                anchor=f"event-{event.id}",
            )
        )
    return entries
