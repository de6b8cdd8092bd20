"""Capped counts as the lists show them: "more than 10,000" past the cap."""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _

from portal.services.reporting import capped_counts


def cap_text() -> str:
    """The cap, as a number in the page's language ("10,000")."""
    return format_number(capped_counts.COUNT_CAP)


def count_text(count: int) -> str:
    """A count on its own, as in "Overdue: more than 10,000"."""
    if capped_counts.beyond_cap(count):
        return _("more than %(num)s", num=cap_text())
    return format_number(count)
