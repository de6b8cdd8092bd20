"""What every "send" that opens a case ends with: the reference, then the case's page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal.models import Case


def show_received(case: Case) -> ResponseReturnValue:
    """Announce the new case's reference and go to its page (after the caller commits)."""
    flash(
        _("We have received it. Your reference is %(reference)s.", reference=case.reference),
        "success",
    )
    return redirect(url_for("cases.show", case_id=case.id))
