"""A case's full history as staff read it: every event, who acted, and whether residents see it.

The resident's version (`portal.views.case_page.timeline`) shows only public events in the
resident's words; this one shows everything, including notes, assignments, transfers, deadline
warnings and escalations, with the target area and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models import Area, Case, CaseEvent, CaseStatus, EventKind, User
from portal.services.cases.case_actions import (
    DISSATISFIED_LATE,
    DISSATISFIED_RATING,
    DISSATISFIED_TWICE,
)
from portal.services.cases.escalation import BY_STAFF, DEADLINE_PASSED
from portal.services.reference.labels import SATISFACTION, current_locale

#: Case states as staff say them (the resident's labels speak to the resident: "Waiting for you").
STAFF_STATUSES = {
    "new": _l("New"),
    "in_progress": _l("Being handled"),
    "waiting": _l("Paused: waiting for the resident"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn by the resident"),
}


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


def _clock_name(code: object) -> str:
    if code == "first_response":
        return _("first response")
    if code == "reply":
        return _("reply to the resident's message")
    return _("resolution")


def _status(value: object) -> str:
    return str(STAFF_STATUSES.get(str(value), value or ""))


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


def _escalation_reason(event: CaseEvent) -> str | None:
    code = event.data.get("reason")
    if code == DEADLINE_PASSED:
        return _("The %(clock)s deadline passed.", clock=_clock_name(event.data.get("clock")))
    if code == BY_STAFF:
        return _("Passed up by staff.")
    if code == DISSATISFIED_TWICE:
        return _("The resident was dissatisfied twice.")
    if code == DISSATISFIED_LATE:
        return _("The resident was dissatisfied after the time to reopen had ended.")
    return None


def _title(event: CaseEvent, names: _Names) -> tuple[str, str | None]:
    """The entry's title and its reason line (None when there is none)."""
    kind, data = event.kind, event.data
    if kind == EventKind.CREATED:
        return _("Received"), None
    if kind == EventKind.PUBLIC_REPLY:
        return _("Reply to the resident"), None
    if kind == EventKind.RESIDENT_REPLY:
        return _("Message from the resident"), None
    if kind == EventKind.INTERNAL_NOTE:
        return _("Internal note"), None
    if kind == EventKind.ASSIGNED:
        moved = data.get("transfer")
        if moved:
            return _(
                "Moved from %(before)s to %(after)s",
                before=names.area(moved.get("from")),
                after=names.area(moved.get("to")),
            ), None
        return _(
            "Assigned to %(name)s",
            name=names.user(data.get("assignee_id"), data.get("assignee")),
        ), None
    if kind == EventKind.STATUS_CHANGED:
        if data.get("to") == CaseStatus.RESOLVED.value:
            return _("Resolved, with this answer to the resident"), None
        if data.get("confirmed"):
            return _("The resident confirmed it is resolved"), None
        return _(
            "Status changed from %(before)s to %(after)s",
            before=_status(data.get("from")),
            after=_status(data.get("to")),
        ), None
    if kind == EventKind.PAUSED:
        return _("Paused: waiting for the resident (the clocks stopped)"), None
    if kind == EventKind.RESUMED:
        return _("Resumed: the clocks are running again"), None
    if kind == EventKind.ESCALATED:
        return _("Escalated to %(area)s", area=names.area(data.get("to_area"))), _escalation_reason(
            event
        )
    if kind == EventKind.SLA_WARNING:
        due = data.get("due")
        when = _local_text(due) if isinstance(due, str) else ""
        return _(
            "Deadline warning: the %(clock)s is due at %(due)s",
            clock=_clock_name(data.get("clock")),
            due=when,
        ), None
    if kind == EventKind.RATED:
        level = str(data.get("level", ""))
        return _("Rated by the resident: %(level)s", level=SATISFACTION.get(level, level)), None
    if kind == EventKind.REOPENED:
        reason = None
        if data.get("reason") == DISSATISFIED_RATING:
            reason = _("The resident was dissatisfied with how it was handled.")
        return _("Reopened"), reason
    if kind == EventKind.WITHDRAWN:
        return _("Withdrawn by the resident"), None
    if kind == EventKind.EXTENDED:
        due = data.get("to")
        return _(
            "Resolution deadline extended to %(due)s",
            due=_local_text(due) if isinstance(due, str) else "",
        ), None
    if kind == EventKind.MARKED_URGENT:
        return _("Marked urgent"), None
    if kind == EventKind.MERGED:
        if data.get("into"):
            return _("Closed as a duplicate of %(reference)s", reference=data["into"]), None
        return _(
            "Duplicate %(reference)s joined into this request", reference=data.get("from")
        ), None
    return str(kind), None


def _local_text(iso: str) -> str:
    try:
        return str(format_datetime(datetime.fromisoformat(iso), "yyyy-MM-dd HH:mm"))
    except ValueError:
        return iso


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
        title, reason = _title(event, names)
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
