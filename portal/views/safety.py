"""Small request-safety helpers shared by views."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for

#: Longer than any page address of ours; a `next` kept in the session must stay small.
MAX_NEXT_LENGTH = 2000


def is_safe_path(target: str | None) -> bool:
    """Whether `target` is a path on this site: `/...`, never `//host`, `/\\host` or `x:`.

    Browsers drop tabs and line breaks from addresses and read a backslash as a slash, so
    `/\\evil.example` or `/<TAB>/evil.example` would leave the site; a CR or LF would also
    break the Location header (a 500 after signing in). Any control or separator character,
    any whitespace and any backslash refuse the whole value.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str | None = None) -> str:
    """A same-site path to return to; anything else goes to `default` (the home page).

    Never an open redirect, and never a 500: a bad `next` is ignored, not an error.
    """
    if target and is_safe_path(target):
        return target
    return default or url_for("home.index")
