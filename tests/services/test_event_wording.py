"""The one table both case timelines are worded by: every kind of event has its line."""

from __future__ import annotations

import pytest

from portal.models import CaseEvent, EventKind
from portal.services.cases.event_wording import (
    SHOWN_KINDS,
    WORDINGS,
    resident_line,
    staff_line,
)

#: Kinds that only staff see: notes, assignments, deadline warnings, urgency.
INTERNAL_KINDS = {
    EventKind.INTERNAL_NOTE,
    EventKind.ASSIGNED,
    EventKind.SLA_WARNING,
    EventKind.MARKED_URGENT,
}


class _Names:
    def area(self, code: object) -> str:
        return f"area {code}"

    def user(self, user_id: object, fallback: object = "") -> str:
        return f"user {user_id}"


def test_every_kind_of_event_has_a_wording():
    assert set(WORDINGS) == set(EventKind)


def test_residents_see_every_kind_but_the_internal_ones():
    assert set(SHOWN_KINDS) == set(EventKind) - INTERNAL_KINDS


@pytest.mark.parametrize("kind", list(EventKind))
def test_each_kind_is_worded_for_staff_and_for_residents_when_shown(app, kind):
    event = CaseEvent(kind=kind, data={}, body="the event's text")
    with app.test_request_context():
        title, _reason = staff_line(event, _Names())
        assert title and isinstance(title, str)
        if kind in SHOWN_KINDS:
            assert resident_line(event).title
        else:
            with pytest.raises(ValueError):
                resident_line(event)
