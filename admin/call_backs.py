"""Call-back tasks (/admin/call-backs): residents staff should phone, and marking them called.

A task comes from the message fallback chain (no message reached the resident) or from a
resident pressing 0 on a call. The list and the changes go through
`portal.services.outbound.call_back_tasks`, which keeps them inside the user's areas.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField

from admin import bp
from portal.auth import staff_required
from portal.extensions import db
from portal.forms import BaseForm, MaxChars, PlainText, strip_text
from portal.services.outbound.call_back_tasks import (
    mark_called,
    open_tasks,
    recently_done,
    task_for,
)
from portal.services.outbound.call_backs import ASKED, UNREACHABLE

NOTE_LIMIT = 500
REASONS = {
    UNREACHABLE: _l("No message reached them"),
    ASKED: _l("They asked for a call back"),
}


class CalledForm(BaseForm):
    note = TextAreaField(
        _l("Note about the call (optional)"),
        filters=[strip_text],
        validators=[MaxChars(NOTE_LIMIT), PlainText()],
    )


def _form(call_back_id: int) -> CalledForm:
    # One form per task on the page: the prefix keeps each task's ids and names apart.
    return CalledForm(prefix=f"call-back-{call_back_id}")


@bp.get("/call-backs")
@staff_required
def call_backs() -> ResponseReturnValue:
    return _page()


@bp.post("/call-backs/<int:call_back_id>/called")
@staff_required
def call_back_called(call_back_id: int) -> ResponseReturnValue:
    task = task_for(db.session, current_user, call_back_id)
    if task is None:
        abort(404)
    form = _form(call_back_id)
    if not form.validate_on_submit():
        return _page(failed=(call_back_id, form)), 400
    done = mark_called(
        db.session,
        task,
        actor=current_user,
        note=form.note.data,
        now=datetime.now(UTC),
        ip_address=request.remote_addr,
    )
    db.session.commit()
    if done:
        flash(_("Marked as called."), "success")
    else:
        flash(_("Someone had already marked this call as made."), "info")
    return redirect(url_for("admin.call_backs"))


def _page(failed: tuple[int, CalledForm] | None = None) -> str:
    """The page; `failed` is the task whose note was refused, with its form and errors."""
    now = datetime.now(UTC)
    tasks = open_tasks(db.session, current_user)
    forms = {task.call_back.id: _form(task.call_back.id) for task in tasks}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template(
        "admin/call_backs.html",
        title=_("Call-back tasks"),
        tasks=tasks,
        forms=forms,
        form=failed[1] if failed else None,
        done=recently_done(db.session, current_user, now),
        reasons=REASONS,
    )
