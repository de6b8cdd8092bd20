"""What every "send" that opens a case ends with: the reference, then the case's page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Case
from portal.models.submission import FormSubmission


def show_received(case: Case) -> ResponseReturnValue:
    """Announce the new case's reference and go to its page (after the caller commits)."""
    flash(
        _("We have received it. Your reference is %(reference)s.", reference=case.reference),
        "success",
    )
    return redirect(url_for("cases.show", case_id=case.id))


def received(submission: FormSubmission) -> ResponseReturnValue:
    """`show_received` for the case a form submission opened: its first submit or a repeat."""
    return show_received(db.get_or_404(Case, submission.record_id))
