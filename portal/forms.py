"""Shared form pieces: text cleaning and the checks every free-text field gets."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")


def strip_text(value: Any) -> Any:
    """Trim, and turn Windows line ends into plain ones, so lengths count what users see."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


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
