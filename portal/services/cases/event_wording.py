"""How each kind of case event is described: one table for both timelines.

Staff read a case's full history (`admin.timeline`): every event, with the target area, the
assignee and the reason. Residents read its public events in their own words
(`portal.views.case_page`): only the kinds with a resident wording are shown to them at all.
A new `EventKind` needs its line in `WORDINGS` (a test checks every kind has one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.models import CaseEvent, CaseStatus, EventKind
from portal.services.cases.case_actions import (
    DISSATISFIED_LATE,
    DISSATISFIED_RATING,
    DISSATISFIED_TWICE,
)
from portal.services.cases.escalation import BY_STAFF, DEADLINE_PASSED
from portal.services.reference.labels import CASE_STATUSES, SATISFACTION

#: Case states as staff say them (the resident's labels speak to the resident: "Waiting for you").
STAFF_STATUSES = {
    "new": _l("New"),
    "in_progress": _l("Being handled"),
    "waiting": _l("Paused: waiting for the resident"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn by the resident"),
}


class Names(Protocol):
    """The names of the users and areas a staff line mentions, looked up by the timeline."""

    def area(self, code: object) -> str: ...

    def user(self, user_id: object, fallback: object = "") -> str: ...


class StaffLine(NamedTuple):
    """An event's title for staff and its reason line; the event's own text goes under it."""

    title: str
    reason: str | None = None


class ResidentLine(NamedTuple):
    """An event's title for the resident, its reason line and the text under it."""

    title: str
    reason: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Wording:
    """How one kind of event is described to staff, and to residents (None: never shown)."""

    staff: Callable[[CaseEvent, Names], StaffLine]
    resident: Callable[[CaseEvent], ResidentLine] | None = None


def _local_text(iso: str) -> str:
    try:
        return str(format_datetime(datetime.fromisoformat(iso), "yyyy-MM-dd HH:mm"))
    except ValueError:
        return iso


def _clock_name(code: object) -> str:
    if code == "first_response":
        return _("first response")
    if code == "reply":
        return _("reply to the resident's message")
    return _("resolution")


def _staff_status(value: object) -> str:
    return str(STAFF_STATUSES.get(str(value), value or ""))


# Staff lines that need more than a title.


def _staff_assigned(event: CaseEvent, names: Names) -> StaffLine:
    moved = event.data.get("transfer")
    if moved:
        return StaffLine(
            _(
                "Moved from %(before)s to %(after)s",
                before=names.area(moved.get("from")),
                after=names.area(moved.get("to")),
            )
        )
    return StaffLine(
        _(
            "Assigned to %(name)s",
            name=names.user(event.data.get("assignee_id"), event.data.get("assignee")),
        )
    )


def _staff_status_changed(event: CaseEvent, names: Names) -> StaffLine:
    data = event.data
    if data.get("to") == CaseStatus.RESOLVED.value:
        return StaffLine(_("Resolved, with this answer to the resident"))
    if data.get("confirmed"):
        return StaffLine(_("The resident confirmed it is resolved"))
    return StaffLine(
        _(
            "Status changed from %(before)s to %(after)s",
            before=_staff_status(data.get("from")),
            after=_staff_status(data.get("to")),
        )
    )


def _staff_escalation_reason(event: CaseEvent) -> str | None:
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


def _staff_escalated(event: CaseEvent, names: Names) -> StaffLine:
    return StaffLine(
        _("Escalated to %(area)s", area=names.area(event.data.get("to_area"))),
        _staff_escalation_reason(event),
    )


def _staff_sla_warning(event: CaseEvent, names: Names) -> StaffLine:
    due = event.data.get("due")
    return StaffLine(
        _(
            "Deadline warning: the %(clock)s is due at %(due)s",
            clock=_clock_name(event.data.get("clock")),
            due=_local_text(due) if isinstance(due, str) else "",
        )
    )


def _staff_rated(event: CaseEvent, names: Names) -> StaffLine:
    level = str(event.data.get("level", ""))
    return StaffLine(_("Rated by the resident: %(level)s", level=SATISFACTION.get(level, level)))


def _staff_reopened(event: CaseEvent, names: Names) -> StaffLine:
    reason = None
    if event.data.get("reason") == DISSATISFIED_RATING:
        reason = _("The resident was dissatisfied with how it was handled.")
    return StaffLine(_("Reopened"), reason)


def _staff_extended(event: CaseEvent, names: Names) -> StaffLine:
    due = event.data.get("to")
    return StaffLine(
        _(
            "Resolution deadline extended to %(due)s",
            due=_local_text(due) if isinstance(due, str) else "",
        )
    )


def _staff_merged(event: CaseEvent, names: Names) -> StaffLine:
    if event.data.get("into"):
        return StaffLine(_("Closed as a duplicate of %(reference)s", reference=event.data["into"]))
    return StaffLine(
        _("Duplicate %(reference)s joined into this request", reference=event.data.get("from"))
    )


# Resident lines that need more than a title and the event's text.


def _pause_reason(event: CaseEvent) -> str:
    code = event.data.get("reason")
    if event.body:
        return event.body
    if code in (None, "waiting_for_resident"):
        return _("Staff need something from you before they can go on.")
    return str(code)


def _resident_status_changed(event: CaseEvent) -> ResidentLine:
    to = event.data.get("to")
    if to == CaseStatus.CLOSED.value and event.data.get("confirmed"):
        title = _("You confirmed it is resolved")
    elif to == CaseStatus.RESOLVED.value:
        title = _("Marked as resolved")
    elif to in CASE_STATUSES:
        title = _("Status changed to: %(status)s", status=CASE_STATUSES[to])
    else:
        title = _("Status changed")
    return ResidentLine(title, body=event.body)


def _resident_escalation_reason(event: CaseEvent) -> str:
    if event.data.get("reason") == DEADLINE_PASSED:
        return _(
            "The time to answer you had passed, so a senior officer will make sure you get one."
        )
    if event.data.get("reason") == BY_STAFF:
        return _("Staff asked a senior officer to help with it.")
    if event.data.get("reason") == DISSATISFIED_TWICE:
        return _("You were not satisfied with how it was handled, twice.")
    if event.data.get("reason") == DISSATISFIED_LATE:
        return _("You were not satisfied, and it was too late to open it again.")
    return _("This makes sure it gets an answer.")


def _resident_rated(event: CaseEvent) -> ResidentLine:
    level = event.data.get("level")
    label = SATISFACTION[level] if level in SATISFACTION else ""
    return ResidentLine(_("Rated how it was handled: %(level)s", level=label), body=event.body)


def _resident_reopened(event: CaseEvent) -> ResidentLine:
    reason = None
    if event.data.get("reason") == DISSATISFIED_RATING:
        reason = _("You were not satisfied with how it was handled.")
    return ResidentLine(_("Opened again"), reason, event.body)


def _new_date(event: CaseEvent) -> str | None:
    due = event.data.get("to")
    if not isinstance(due, str):
        return None
    try:
        moment = datetime.fromisoformat(due)
    except ValueError:
        return None
    return _("New date for the answer: %(due)s", due=format_datetime(moment, "yyyy-MM-dd HH:mm"))


def _resident_merged(event: CaseEvent) -> ResidentLine:
    if event.data.get("into"):
        return ResidentLine(
            _("Joined with request %(reference)s", reference=event.data["into"]),
            body=_(
                "It asks the same as request %(reference)s, so it is answered there. "
                "This one is closed.",
                reference=event.data["into"],
            ),
        )
    return ResidentLine(
        _("Joined with request %(reference)s", reference=event.data.get("from", ""))
    )


#: Every kind of event, as staff and as residents read it.
WORDINGS: dict[EventKind, Wording] = {
    EventKind.CREATED: Wording(
        staff=lambda event, names: StaffLine(_("Received")),
        resident=lambda event: ResidentLine(_("We received it"), body=event.body),
    ),
    EventKind.PUBLIC_REPLY: Wording(
        staff=lambda event, names: StaffLine(_("Reply to the resident")),
        resident=lambda event: ResidentLine(_("Reply from staff"), body=event.body),
    ),
    EventKind.RESIDENT_REPLY: Wording(
        staff=lambda event, names: StaffLine(_("Message from the resident")),
        resident=lambda event: ResidentLine(_("Your reply"), body=event.body),
    ),
    EventKind.INTERNAL_NOTE: Wording(
        staff=lambda event, names: StaffLine(_("Internal note")),
    ),
    EventKind.ASSIGNED: Wording(staff=_staff_assigned),
    EventKind.STATUS_CHANGED: Wording(
        staff=_staff_status_changed,
        resident=_resident_status_changed,
    ),
    EventKind.PAUSED: Wording(
        staff=lambda event, names: StaffLine(
            _("Paused: waiting for the resident (the clocks stopped)")
        ),
        resident=lambda event: ResidentLine(
            _("Waiting for you: the clock is stopped"), reason=_pause_reason(event)
        ),
    ),
    EventKind.RESUMED: Wording(
        staff=lambda event, names: StaffLine(_("Resumed: the clocks are running again")),
        resident=lambda event: ResidentLine(
            _("Work started again: the clock is running"), body=event.body
        ),
    ),
    EventKind.ESCALATED: Wording(
        staff=_staff_escalated,
        resident=lambda event: ResidentLine(
            _("Passed to a senior officer one level up"),
            reason=_resident_escalation_reason(event),
        ),
    ),
    EventKind.SLA_WARNING: Wording(staff=_staff_sla_warning),
    EventKind.RATED: Wording(staff=_staff_rated, resident=_resident_rated),
    EventKind.REOPENED: Wording(staff=_staff_reopened, resident=_resident_reopened),
    EventKind.WITHDRAWN: Wording(
        staff=lambda event, names: StaffLine(_("Withdrawn by the resident")),
        resident=lambda event: ResidentLine(_("Withdrawn"), body=event.body),
    ),
    EventKind.EXTENDED: Wording(
        staff=_staff_extended,
        resident=lambda event: ResidentLine(
            _("The deadline was extended"), reason=event.body, body=_new_date(event)
        ),
    ),
    EventKind.MARKED_URGENT: Wording(
        staff=lambda event, names: StaffLine(_("Marked urgent")),
    ),
    EventKind.MERGED: Wording(staff=_staff_merged, resident=_resident_merged),
}

#: The kinds a resident sees; staff notes, assignments and deadline warnings stay internal.
SHOWN_KINDS = frozenset(kind for kind, wording in WORDINGS.items() if wording.resident)


def staff_line(event: CaseEvent, names: Names) -> StaffLine:
    """`event` as staff read it."""
    wording = WORDINGS.get(event.kind)
    return wording.staff(event, names) if wording else StaffLine(str(event.kind))


def resident_line(event: CaseEvent) -> ResidentLine:
    """`event` as its resident reads it: only for the kinds in `SHOWN_KINDS`."""
    wording = WORDINGS.get(event.kind)
    if wording is None or wording.resident is None:
        raise ValueError(f"a {event.kind} event is not shown to residents")
    return wording.resident(event)
