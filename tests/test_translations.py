"""Every user-facing string is extracted, translated in both catalogues, and compiles.

The catalogue tests read the real translations/; the behaviour of extraction, checking and
compiling is also tested on small trees in tmp_path, so they do not depend on today's strings.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from babel.core import Locale
from babel.messages.catalog import Message
from babel.messages.pofile import write_po
from babel.support import Translations

from portal.cli import catalogues as translations
from portal.cli.catalogues import (
    CatalogueError,
    catalogue_problems,
    compile_catalogues,
    extract_messages,
    placeholder_problems,
    read_catalogue,
    update_catalogues,
)
from portal.cli.translations import translations_cli
from portal.config import PROJECT_ROOT
from tests.i18n_fixtures import compiled_translations  # noqa: F401  (until conftest registers it)

LOCALES = translations.LOCALES
QUEUE_COUNT = ("%(num)d case matches", "%(num)d cases match")


def make_tree(root: Path, files: dict[str, str]) -> Path:
    """A tiny project: the real babel.cfg plus `files` (path → text)."""
    shutil.copy(PROJECT_ROOT / "babel.cfg", root / "babel.cfg")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


SMALL_TREE = {
    "portal/services/things.py": """
        from flask_babel import gettext as _
        from flask_babel import lazy_gettext as _l
        from flask_babel import lazy_gettext, ngettext

        LABEL = _l("lazy label")
        OTHER = lazy_gettext("spelled-out lazy label")

        def view(n, reference):
            # TRANSLATORS: shown after filing
            _("Your reference is %(reference)s.", reference=reference)
            return ngettext("%(num)d apple", "%(num)d apples", n)
    """,
    "portal/templates/page.html": """
        <a href="#main">{{ _("Skip to main content") }}</a>
        <p>{{ ngettext("%(num)d case", "%(num)d cases", total) }}</p>
    """,
    "admin/templates/admin/list.html": '<h1>{{ _("Staff list") }}</h1>\n',
    "admin/views.py": 'from flask_babel import gettext as _\nTITLE = _("Staff page")\n',
    "tests/test_x.py": 'from flask_babel import gettext as _\n_("not a product string")\n',
}


# Extraction


def test_extraction_finds_python_template_and_plural_strings_in_the_code():
    found = extract_messages(PROJECT_ROOT)
    assert "request for help" in found  # _l() in portal/services/reference/labels.py
    assert "Skip to main content" in found  # base.html
    assert QUEUE_COUNT in found  # ngettext() in admin/templates/admin/queue.html


def test_extraction_follows_babel_cfg(tmp_path):
    found = extract_messages(make_tree(tmp_path, SMALL_TREE))
    assert found == {
        "lazy label",
        "spelled-out lazy label",
        "Your reference is %(reference)s.",
        ("%(num)d apple", "%(num)d apples"),
        "Skip to main content",
        ("%(num)d case", "%(num)d cases"),
        "Staff list",
        "Staff page",
    }


def test_a_template_syntax_error_stops_extraction(tmp_path):
    make_tree(tmp_path, {"portal/templates/broken.html": '{{ _("Hi") }}{% if %}'})
    with pytest.raises(Exception, match="(?i)syntax|expected"):
        extract_messages(tmp_path)


# The real catalogues


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_every_message_in_the_code(locale):
    catalogue = read_catalogue(translations.catalogue_path(PROJECT_ROOT, locale), locale)
    present = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}
    missing = sorted(map(str, extract_messages(PROJECT_ROOT) - present))
    assert not missing, f"{locale} lacks (run `flask translations extract`): {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_nothing_untranslated_or_fuzzy(locale):
    catalogue = read_catalogue(translations.catalogue_path(PROJECT_ROOT, locale), locale)
    assert not catalogue.fuzzy, f"{locale}: the header is marked fuzzy"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not (all(m.string) if isinstance(m.string, tuple | list) else m.string)
    ]
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy}"
    assert not untranslated, f"{locale}: untranslated: {untranslated}"


def test_catalogues_have_the_right_plural_forms():
    zh = read_catalogue(translations.catalogue_path(PROJECT_ROOT, "zh_CN"), "zh_CN")
    en = read_catalogue(translations.catalogue_path(PROJECT_ROOT, "en"), "en")
    assert (zh.num_plurals, en.num_plurals) == (1, 2)


def test_english_msgstrs_repeat_the_msgids():
    en = read_catalogue(translations.catalogue_path(PROJECT_ROOT, "en"), "en")
    differ = [
        m.id
        for m in en
        if m.id and (m.string != m.id if isinstance(m.id, str) else tuple(m.string) != tuple(m.id))
    ]
    assert not differ, f"en msgstr differs from the source string: {differ}"


def test_check_finds_no_problems_in_the_real_tree():
    assert catalogue_problems(PROJECT_ROOT) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_keeps_its_placeholders(locale):
    catalogue = read_catalogue(translations.catalogue_path(PROJECT_ROOT, locale), locale)
    problems = [p for m in catalogue if m.id for p in placeholder_problems(m)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_formats_with_the_msgids_values(locale):
    """Independent of placeholder_problems: fill each translation as the code would."""
    catalogue = read_catalogue(translations.catalogue_path(PROJECT_ROOT, locale), locale)
    failures = []
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        values = _sample_values(" ".join(ids))
        for text in strings:
            try:
                filled = text % values
            except (KeyError, ValueError, TypeError) as error:
                failures.append(f"{text!r}: {error!r}")
                continue
            lost = [name for name, value in values.items() if str(value) not in filled]
            # The last plural form must show every value; zh_CN has only that form.
            if lost and (text is strings[-1] or isinstance(message.id, str)):
                failures.append(f"{text!r} loses {lost}")
    assert not failures, "\n".join(failures)


def _sample_values(msgid: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for number, (name, kind) in enumerate(re.findall(r"%\((\w+)\)([sd])", msgid), start=9001):
        values[name] = number if kind == "d" else f"<{name}>"
    return values


# Placeholders, checks and compiling on small trees


def test_a_lost_placeholder_is_a_problem():
    message = Message(
        "We have received it. Your reference is %(reference)s.",
        "我们已经收到了。",
        flags=["python-format"],
    )
    [problem] = placeholder_problems(message)
    assert "%(reference)s" in problem


@pytest.mark.parametrize(
    ("msgid", "msgstr", "ok"),
    [
        ("Case %(reference)s", "工单 %(reference)s", True),
        ("Case %(reference)s", "工单 %(ref)s", False),
        ("Case %(reference)s", "工单 %(reference)s %(reference)s", True),
        ("Use %(limit)d characters", "最多 %(limit)s 字", False),
        ("Plain", "普通 %(name)s", False),
        ("100%% done", "100%% 完成", True),
        (("%(num)d case", "%(num)d cases"), ("%(num)d 件",), True),
        (("%(num)d case", "%(num)d cases"), ("几件",), False),
        (("%(num)d case", "%(num)d cases"), ("one case", "%(num)d cases"), True),
        (("%(num)d case", "%(num)d cases"), ("%(num)d case", "many cases"), False),
    ],
)
def test_placeholder_rules(msgid, msgstr, ok):
    message = Message(msgid, msgstr)
    assert (placeholder_problems(message) == []) is ok


def test_a_lone_percent_in_a_template_string_is_a_problem():
    # Templates %-format every string (newstyle gettext), so "100%" would raise there.
    message = Message("Done", "完成 100%", locations=[("portal/templates/x.html", None)])
    assert placeholder_problems(message)


def test_extract_creates_updates_and_lists_what_to_translate(tmp_path):
    root = make_tree(tmp_path, SMALL_TREE)
    first = update_catalogues(root)
    assert first.total == 8
    assert set(first.untranslated["zh_CN"]) == first.new["zh_CN"]
    assert "%(num)d apple / %(num)d apples" in first.untranslated["zh_CN"]
    assert first.untranslated["en"] == []  # English is the source language
    en = read_catalogue(translations.catalogue_path(root, "en"), "en")
    assert tuple(en.get("%(num)d apple").string) == ("%(num)d apple", "%(num)d apples")
    pot = translations.template_path(root).read_text(encoding="utf-8")
    assert "#. shown after filing\n#: portal/services/things.py\n" in pot  # file, no line number

    _translate(root, {"lazy label": "懒标签"})
    (root / "portal/services/more.py").write_text('_("brand new")\n', encoding="utf-8")
    second = update_catalogues(root)
    assert "lazy label" not in second.untranslated["zh_CN"]
    assert second.new["zh_CN"] == {"brand new"}

    again = update_catalogues(root)
    assert again.written == []  # nothing changed: no file is rewritten, not even a date


def test_extract_drops_strings_the_code_no_longer_uses(tmp_path):
    root = make_tree(tmp_path, {"portal/a.py": '_("old")\n'})
    update_catalogues(root)
    (root / "portal/a.py").write_text('_("new")\n', encoding="utf-8")
    update_catalogues(root)
    text = translations.catalogue_path(root, "zh_CN").read_text(encoding="utf-8")
    assert '"old"' not in text and '"new"' in text


def test_check_names_missing_untranslated_and_fuzzy_messages(tmp_path):
    root = make_tree(tmp_path, {"portal/a.py": '_("one")\n_("two")\n_("three")\n'})
    update_catalogues(root)
    _translate(root, {"one": "一", "two": "二"}, fuzzy={"two"})
    (root / "portal/b.py").write_text('_("four")\n', encoding="utf-8")
    problems = catalogue_problems(root)
    assert "zh_CN: fuzzy: 'two'" in problems
    assert "zh_CN: untranslated: 'three'" in problems
    assert any(p.startswith("zh_CN: missing") and "'four'" in p for p in problems)
    assert any(p.startswith("en: missing") and "'four'" in p for p in problems)
    assert not any("'one'" in p for p in problems)


def test_check_reports_a_missing_catalogue(tmp_path):
    root = make_tree(tmp_path, {"portal/a.py": '_("one")\n'})
    assert catalogue_problems(root)[0].startswith("zh_CN: no catalogue")


def test_catalogues_compile_and_translate(tmp_path):
    compile_catalogues(PROJECT_ROOT, output_dir=tmp_path)
    zh = Translations.load(str(tmp_path), ["zh_CN"])
    en = Translations.load(str(tmp_path), ["en"])
    assert isinstance(zh, Translations) and isinstance(en, Translations), "no .mo written"
    assert zh.gettext("Sign in") == "登录"
    assert en.gettext("Sign in") == "Sign in"
    # Flask-Babel asks for the parsed locale, which Babel expands to zh_Hans_CN.
    as_flask_babel_asks = Translations.load(str(tmp_path), [Locale.parse("zh_CN")])
    assert as_flask_babel_asks.gettext("Sign in") == "登录"
    assert zh.ngettext(*QUEUE_COUNT, 1) == zh.ngettext(*QUEUE_COUNT, 5) != QUEUE_COUNT[1]
    assert (en.ngettext(*QUEUE_COUNT, 1), en.ngettext(*QUEUE_COUNT, 5)) == QUEUE_COUNT


def test_compiling_a_broken_catalogue_fails_and_writes_nothing(tmp_path):
    root = make_tree(tmp_path, {"portal/a.py": '_("Case %(reference)s", reference=1)\n'})
    update_catalogues(root)
    _translate(root, {"Case %(reference)s": "工单"})
    with pytest.raises(CatalogueError) as raised:
        compile_catalogues(root)
    assert "%(reference)s" in str(raised.value)
    assert not list(root.glob("translations/*/LC_MESSAGES/*.mo"))


# The commands


def test_check_and_compile_commands_pass_on_the_real_tree(app):
    runner = app.test_cli_runner()
    checked = runner.invoke(translations_cli, ["check"])
    assert checked.exit_code == 0, checked.output
    compiled = runner.invoke(translations_cli, ["compile"])
    assert compiled.exit_code == 0, compiled.output


def test_commands_fail_clearly_on_a_broken_tree(app, tmp_path, monkeypatch):
    root = make_tree(tmp_path, {"portal/a.py": '_("Case %(reference)s", reference=1)\n'})
    monkeypatch.setitem(app.config, "PROJECT_ROOT", root)
    runner = app.test_cli_runner()
    extracted = runner.invoke(translations_cli, ["extract"])
    assert extracted.exit_code == 0, extracted.output
    assert "zh_CN: 1 to translate" in extracted.output
    assert re.search(r"new +'Case %\(reference\)s'", extracted.output)
    checked = runner.invoke(translations_cli, ["check"])
    assert checked.exit_code == 1 and "untranslated: 'Case %(reference)s'" in checked.output
    _translate(root, {"Case %(reference)s": "工单"})
    compiled = runner.invoke(translations_cli, ["compile"])
    assert compiled.exit_code == 1 and "nothing was compiled" in compiled.output


# Rendering


@pytest.mark.parametrize(
    ("locale", "html_lang", "sign_in", "skip_link"),
    [("zh_CN", "zh-CN", "登录", "跳到主要内容"), ("en", "en", "Sign in", "Skip to main content")],
)
def test_pages_are_rendered_in_the_chosen_language(
    compiled_translations,  # noqa: F811
    client_request,
    locale,
    html_lang,
    sign_in,
    skip_link,
):
    client_request.set_locale(locale)
    page = client_request.get("/sign-in/password")
    assert page.html["lang"] == html_lang
    assert page.find("button", type="submit", class_="button").get_text(strip=True) == sign_in
    assert page.find(class_="skip-link").get_text(strip=True) == skip_link


def _translate(root: Path, strings: dict[str, str], fuzzy: set[str] | None = None) -> None:
    """Fill zh_CN msgstrs as a translator would, through Babel's own reader and writer."""
    path = translations.catalogue_path(root, "zh_CN")
    catalogue = read_catalogue(path, "zh_CN")
    for message in catalogue:
        if message.id in strings:
            message.string = strings[message.id]
            if message.id in (fuzzy or set()):
                message.flags.add("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalogue)
