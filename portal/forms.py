"""Shared form pieces: the base form, text cleaning and the checks every free-text field gets."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import Field, TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation, ValidationError

from portal.input_guard import control_characters

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def strip_text(value: Any) -> Any:
    """Trim, and turn Windows line ends into plain ones, so lengths count what users see."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def whole_number(text: object, *, digits: int = 9) -> int | None:
    """`text` as a whole number when it is 1 to `digits` ASCII digits; else None.

    `str.isdigit()` is no check before `int()`: it accepts "²", which `int()` refuses, and
    5,000 digits, past `int()`'s limit and any integer column's (each a 500).
    """
    if isinstance(text, str) and 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


class NoControlCharacters:
    """No NUL or other control character; line breaks only where the field has several lines.

    It runs first and stops the field's other checks, which might otherwise look the value
    up (a NUL makes PostgreSQL refuse the query: a 500, not an error beside the field).
    """

    field_flags: dict[str, bool] = {}

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: Field) -> None:
        # An uploaded file's name is text from the sender too (and is kept with an import).
        text = field.data.filename if isinstance(field.data, FileStorage) else field.data
        if not isinstance(text, str):
            return
        found = control_characters(text, multiline=self.multiline)
        if not found:
            return
        field.errors[:] = []  # "not a valid choice" as well would say nothing more
        if found <= {"\r", "\n"}:
            raise StopValidation(_l("Write this on one line, without line breaks"))
        raise StopValidation(
            _l("Remove the hidden control characters: they can come in when text is pasted")
        )


class BaseForm(FlaskForm):
    """Every form of the app: each of its fields refuses control characters, by construction.

    A form only has to inherit this (tests/test_conventions.py checks that every form does).
    """

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            # The form's Meta is built from every Meta in its MRO: super() is Flask-WTF's.
            field: Field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            if not isinstance(field, CSRFTokenField):
                check = NoControlCharacters(multiline=isinstance(field, TextAreaField))
                field.validators = [check, *field.validators]
            return field


class PlainText:
    """Free text in words: no markup, and not only symbols or emoji."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        text = field.data or ""
        if _TAG.search(text):
            raise ValidationError(
                _l("Write in plain words: remove the parts in angle brackets < >")
            )
        if text and not any(unicodedata.category(ch)[0] in "LN" for ch in text):
            raise ValidationError(_l("Write in words or numbers, not only symbols or emoji"))


class MaxChars:
    """A length limit whose message says the limit and how far over the text is."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: FlaskForm, field: Field) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                _l(
                    "Use %(limit)d characters or fewer: you have written %(length)d",
                    limit=self.limit,
                    length=length,
                )
            )
