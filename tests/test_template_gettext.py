"""Templates translate through `portal.i18n.template_gettext` exactly as through the callables
Flask-Babel installs in Jinja: the same words, escaping and formatting, and `force_locale`
followed. (It exists for speed: it binds the catalogue once per rendering.)"""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

#: Rendered once with the callables Flask-Babel installed (the environment's globals, which an
#: imported macro still uses) and once with the ones the context processor binds.
CASES = [
    '{{ _("Skip to main content") }}',
    '{{ gettext("Wenxu") }}',
    '{{ _("Your plan for %(year)d is ready. Read it and tell us if you agree.", year=2026) }}',
    '{{ _("You are acting for %(name)s.", name="<b>王</b>") }}',
    '{{ ngettext("Your plan for %(year)d has %(num)d service:", '
    '"Your plan for %(year)d has %(num)d services:", 1, year=2026) }}',
    '{{ ngettext("Your plan for %(year)d has %(num)d service:", '
    '"Your plan for %(year)d has %(num)d services:", 3, year=2026) }}',
    '{{ _("not in any catalogue, 100%% kept") }}',
]


def _via_globals(app: Flask, source: str) -> str:
    """Rendered without Flask's context processors: `_` is Flask-Babel's, from the globals."""
    return app.jinja_env.from_string(source).render()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("source", CASES)
def test_bound_callables_render_as_flask_babels_do(app: Flask, locale: str, source: str) -> None:
    with app.test_request_context("/"), force_locale(locale):
        assert render_template_string(source) == _via_globals(app, source)


def test_they_follow_the_locale_of_the_rendering(app: Flask) -> None:
    with app.test_request_context("/"):
        with force_locale("en"):
            english = render_template_string('{{ _("Wenxu") }}')
        with force_locale("zh_CN"):
            chinese = render_template_string('{{ _("Wenxu") }}')
    assert english == "Wenxu"
    assert chinese != english


def test_escaping_follows_autoescape(app: Flask) -> None:
    source = '{{ _("You are acting for %(name)s.", name="<b>") }}'
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(source) == "You are acting for &lt;b&gt;."
        off = "{% autoescape false %}" + source + "{% endautoescape %}"
        assert render_template_string(off) == "You are acting for <b>."


def test_pages_get_the_bound_callables(app: Flask) -> None:
    context: dict[str, object] = {}
    with app.test_request_context("/"):
        app.update_template_context(context)
    assert context["_"] is context["gettext"]
    assert context["_"] is not app.jinja_env.globals["_"]
