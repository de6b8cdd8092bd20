"""The text of every message Wenxu sends, rendered in the recipient's language.

Jobs have no request, so rendering happens inside `force_locale(language)`.
"""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.services.labels import case_type_noun

TEMPLATES = {
    "case_ack": _l(
        "Wenxu: we have received your %(case_type)s, reference %(reference)s. "
        "We will reply by %(due)s. Hotline 12385."
    ),
}


def render(template: str, params: dict[str, Any], language: str) -> str:
    """The message `template` with `params`, in `language`."""
    with force_locale(language):
        values = dict(params)
        if "case_type" in values:
            values["case_type"] = str(case_type_noun(values["case_type"]))
        return str(TEMPLATES[template]) % values
