"""Session timeouts: a warning before the end, one tap to carry on, and drafts kept.

Signed-in sessions end after SESSION_IDLE_MINUTES without a request. Two minutes before, the
page shows a dialog (JavaScript) with "Continue"; without JavaScript the session simply ends.
Either way, a case or need being written when the session ended is kept as a draft: the POST
that arrives without a session is stored, and the form is filled in again after signing in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from portal.extensions import db, limiter, login_manager
from portal.services.cases.drafts import DraftTooLarge, save_draft, take_draft
from portal.views.errors import render_error
from portal.views.safety import safe_next

bp = Blueprint("timeout", __name__)
DRAFT_KEY = "draft_token"
#: Forms whose text is kept when the session ends while someone is writing.
DRAFTABLE = frozenset({"cases.new", "needs.new"})
NOT_KEPT = frozenset({"csrf_token"})
#: Drafts one client address may leave (anyone can post without a session).
DRAFT_LIMIT = "10 per minute; 30 per hour"


@bp.post("/session/keep-alive")
@login_required
def keep_alive() -> ResponseReturnValue:
    """Any signed-in request renews the session; this one only answers."""
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    return redirect(safe_next(request.form.get("next")))


def restore_draft(endpoint: str) -> dict[str, Any] | None:
    """The draft kept for `endpoint` in this browser, if any (used once)."""
    token = session.get(DRAFT_KEY)
    if not token:
        return None
    data = take_draft(db.session, token, endpoint)
    if data is None:
        return None
    session.pop(DRAFT_KEY, None)
    db.session.commit()
    flash(_("We have put back what you wrote before you were signed out."), "info")
    return data


def _keep_and_sign_in() -> ResponseReturnValue | None:
    """Keep a draftable POST that arrived without a valid session; None when not draftable."""
    if request.method != "POST" or request.endpoint not in DRAFTABLE:
        return None
    kept = _keep_draft(request.endpoint)
    if current_user.is_authenticated:
        # Signed in, but the form's security token had run out: back to the form, filled in.
        if kept:
            flash(_("This page was open for a long time. Check what you wrote and send it again."))
        return redirect(request.full_path.rstrip("?"))
    if kept:
        flash(_("You were signed out, so we kept what you wrote. Sign in to carry on."), "info")
    return redirect(url_for("auth.sign_in", next=request.path))


def _keep_draft(endpoint: str) -> bool:
    """Store the posted form as this browser's draft, within the limits; False if refused.

    Anyone can post without a session, so drafts are bounded (#11, point 7): a size cap, one
    draft per browser, and DRAFT_LIMIT drafts per client address over every draftable form.
    """
    data = {key: value for key, value in request.form.items() if key not in NOT_KEPT}
    try:
        with limiter.shared_limit(DRAFT_LIMIT, scope="form-drafts"):
            token = save_draft(
                db.session, endpoint, data, datetime.now(UTC), replaces=session.get(DRAFT_KEY)
            )
    except RateLimitExceeded:
        flash(
            _(
                "What you wrote could not be kept: too many forms were sent from your "
                "connection. Try again later."
            )
        )
        return False
    except DraftTooLarge:
        flash(_("What you wrote could not be kept: it is longer than this form allows."))
        return False
    session[DRAFT_KEY] = token
    db.session.commit()
    return True


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @login_manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        kept = _keep_and_sign_in()
        if kept is not None:
            return kept
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> ResponseReturnValue:
        kept = _keep_and_sign_in()
        if kept is not None:
            return kept
        return render_error(400)

    @app.context_processor
    def session_length() -> dict[str, object]:
        lifetime = current_app.permanent_session_lifetime.total_seconds()
        return {"session_seconds": int(lifetime)}
