"""One submit, one record: every form that creates something carries a one-time token.

Each time such a form is rendered it gets a fresh random token, signed for the form's kind and
the signed-in user, so a token this site never rendered (or rendered for another form or
person) is refused beside the form, which comes back with a fresh one. The view stores the
token with what the submit made (`form_submission`, in the record's own transaction): a repeat
of the same rendered form (a double click, the browser resending, the back button) finds it
and is shown that record, and two identical posts racing each other meet at the token's unique
index, so only one of them makes anything.

A form opts in by inheriting `OneSubmitForm` and naming its `submission_kind`; its template
renders `{{ form.form_token }}` just before the button (where a refusal is shown); the view
makes the record through `submit_once`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from flask import current_app
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import Signer
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

from portal import form_submissions as submissions
from portal.extensions import db
from portal.forms import BaseForm
from portal.models.submission import FormSubmission

#: The column holds 160 characters; a token is 76 (32 random, a dot, a 43-character signature).
TOKEN_LIMIT = 160
REFUSED = _l(
    "This form was not sent from this page, so nothing was saved. "
    "Check your answers and send it again."
)


def _signer(kind: str, user_id: int | None) -> Signer:
    return Signer(
        current_app.config["SECRET_KEY"],
        salt=f"wenxu.form-token:{kind}:{user_id or '-'}",
        digest_method=hashlib.sha256,
    )


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def new_token(kind: str, user_id: int | None) -> str:
    """A fresh token for one rendering of a `kind` form, for the user it is shown to."""
    return _signer(kind, user_id).sign(secrets.token_urlsafe(24)).decode("ascii")


def issued(kind: str, user_id: int | None, token: object) -> bool:
    """Whether this site rendered `token` in a `kind` form for this user."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_LIMIT:
        return False
    return _signer(kind, user_id).validate(token)


class TokenInput:
    """The hidden token; when it was refused, the error in its place beside the button.

    The error paragraph carries the field's id, so the error summary's link lands on it.
    """

    def __call__(self, field: FormTokenField, **kwargs: Any) -> Markup:
        html = Markup('<input type="hidden" name="{}" value="{}">').format(
            field.name, field._value()
        )
        if field.errors:
            html += Markup(
                '<p class="field-error" id="{}" tabindex="-1">'
                '<span class="visually-hidden">{}</span> {}</p>'
            ).format(field.id, _("Error:"), field.errors[0])
        return html


class FormTokenField(HiddenField):
    """The one-time token: a fresh one at each rendering, the posted one once it is valid."""

    widget = TokenInput()  # type: ignore[assignment]
    kind = ""

    def _value(self) -> str:
        # A refused token is replaced, so the form can be sent again as it is.
        if isinstance(self.data, str) and self.data and not self.errors:
            return self.data
        return new_token(self.kind, _user_id())


class OneSubmitForm(BaseForm):
    """A form that creates something: its submits are told apart by their one-time token."""

    #: What the form makes ("case", "delivery", ...): tokens are only good for their own kind.
    submission_kind: ClassVar[str] = ""

    form_token = FormTokenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.submission_kind:
            raise TypeError(f"{type(self).__name__} must name its submission_kind")
        self.form_token.kind = self.submission_kind

    def validate_form_token(self, field: Field) -> None:
        if not issued(self.submission_kind, _user_id(), field.data):
            raise ValidationError(REFUSED)


@dataclass(frozen=True)
class Made:
    """What a submit made: the record's id, and a fuller kind when the outcome varies."""

    record_id: int | None
    kind: str | None = None


def made_before(form: OneSubmitForm) -> FormSubmission | None:
    """What this rendered form's earlier submit made, if it was sent before (a repeat).

    Views that check anything that the first submit changes (a need answered, an item closed)
    ask this first, so a repeat shows the first record instead of being refused.
    """
    token = form.form_token.data
    if not form.is_submitted() or not issued(form.submission_kind, _user_id(), token):
        return None
    return submissions.find(db.session, token)


def submit_once(
    form: OneSubmitForm,
    make: Callable[[], Made],
    show: Callable[[FormSubmission], ResponseReturnValue],
    *,
    now: datetime,
) -> ResponseReturnValue:
    """Make the record once for this rendered (and validated) form, commit, and show it.

    `make` calls the services (it must not commit); `show` answers with the record a
    submission made, for the first submit and every repeat alike (the same flash and page).
    """
    token = form.form_token.data
    first = submissions.find(db.session, token)
    if first is not None:
        return show(first)
    try:
        submission = submissions.claim(
            db.session, token=token, kind=form.submission_kind, user_id=_user_id(), now=now
        )
        result = make()
        submissions.made(db.session, submission, result.record_id, result.kind)
        db.session.commit()
    except IntegrityError:
        # Another request with the same token won the race: show what it made.
        db.session.rollback()
        first = submissions.find(db.session, token)
        if first is None:  # the conflict was the record's own, not the token's
            raise
        return show(first)
    return show(submission)
