"""Input that cannot hurt: control characters are refused, never stored, and never a 500.

A NUL byte cannot be stored in PostgreSQL's text at all (psycopg raises, and the request
would end in a 500), and the other C0 and C1 control characters are never typed by a person:
they come from binary files pasted into a form or from an attacker. Nothing is stripped
silently: what holds one is refused, and the sender is told why.

- Forms: `portal.forms.BaseForm` checks every field (an error beside the field).
- Addresses: a NUL in a path segment or a query-string value is a 400 for every endpoint
  (`refuse_nul_in_address`, before every request): no form field carries one there.
- Machine endpoints (Twilio's webhooks, the Open311 API) have no form to show an error on:
  `refuse_control_characters` answers their requests with a 400 that names the parameter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

#: What a multi-line text may hold besides printable characters; a single line only a tab.
MULTI_LINE_ALLOWED = frozenset("\t\n\r")
SINGLE_LINE_ALLOWED = frozenset("\t")


def control_characters(text: str, *, multiline: bool = False) -> set[str]:
    """The control characters (C0, DEL, C1) in `text` that it may not hold."""
    allowed = MULTI_LINE_ALLOWED if multiline else SINGLE_LINE_ALLOWED
    return {ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed}


def shown_name(name: str) -> str:
    """A parameter's name as the sender wrote it, less control characters, for messages."""
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cc")[:60]


class InputRefused(BadRequest):
    """A 400 whose description (translated) names the parameter that was refused."""

    def __init__(self, name: str, *, nul: bool = False, message: str | None = None) -> None:
        if message is None and nul:
            message = _("%(name)s contains a NUL character, which is never allowed.", name=name)
        elif message is None:
            message = _("%(name)s contains a control character, which is not allowed.", name=name)
        super().__init__(description=message)


def _pairs(*sources: Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    for source in sources:
        yield from source


def refuse_nul_in_address() -> None:
    """Before every request: no NUL in the path or in a query-string name or value."""
    for name, value in _pairs(
        ((name, str(value)) for name, value in (request.view_args or {}).items()),
        request.args.items(multi=True),
    ):
        if "\x00" in name or "\x00" in value:
            raise InputRefused(shown_name(name), nul=True)


def refuse_control_characters() -> None:
    """Before a machine endpoint: no control characters anywhere (line breaks in values only).

    Line breaks are allowed in values (an SMS or a case description has several lines).
    """
    for name, value in _pairs(
        ((name, str(value)) for name, value in (request.view_args or {}).items()),
        request.args.items(multi=True),
        request.form.items(multi=True),
    ):
        if control_characters(name) or control_characters(value, multiline=True):
            raise InputRefused(shown_name(name), nul="\x00" in name + value)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_in_address)
