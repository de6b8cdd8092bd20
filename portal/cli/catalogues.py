"""Message catalogues: extract the strings from the code, keep both catalogues in step with it,
check them and compile them.

Plain functions over the project root (no Flask), used by `flask translations` and the tests.
The English source strings are the msgids, so the `en` catalogue is filled in automatically
(msgstr = msgid); `zh_CN` is translated by people. Files are rewritten only when their content
changes, so running the extraction twice leaves no diff.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from babel.core import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

DOMAIN = "messages"
LOCALES = ("zh_CN", "en")
#: The language the msgids are written in: its catalogue is filled with msgstr = msgid.
SOURCE_LOCALE = "en"
MAPPING_FILE = "babel.cfg"
CATALOGUE_DIR = "translations"
PROJECT = "Wenxu"
#: Flask-Babel's lazy helpers besides Babel's defaults (`_`, `gettext`, `ngettext`, ...).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
#: A `# TRANSLATORS: ...` comment just above a string reaches the translator in the .po file.
COMMENT_TAGS = ("TRANSLATORS:",)
WIDTH = 76
TEMPLATE_HEADER = (
    "# Wenxu (问需): every user-facing string, extracted from portal/ and admin/.\n"
    "# Made by `flask translations extract`: do not edit, translate in the .po files."
)
CATALOGUE_HEADERS = {
    "zh_CN": "# Wenxu (问需): Simplified Chinese, the default language.",
    "en": "# Wenxu (问需): English. The source strings are English: msgstr repeats msgid.",
}
# Header lines that change on every run without any message changing.
_VOLATILE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"\n]*\\n"\n', re.M)
# A printf-style conversion as Python's % operator reads it (`%(name)s`, `%d`, `%%`).
_FORMAT_SPEC = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # an optional (name)
    r"[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)

MessageId = str | tuple[str, str]


class CatalogueError(Exception):
    """The catalogues cannot be compiled; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class UpdateResult:
    """What `update_catalogues` did: the message count and, per locale, what is untranslated."""

    total: int
    #: Untranslated or fuzzy msgids (plural ones as "singular / plural"), in catalogue order.
    untranslated: dict[str, list[str]] = field(default_factory=dict)
    #: Those of them that this run added, and those marked fuzzy.
    new: dict[str, set[str]] = field(default_factory=dict)
    fuzzy: dict[str, set[str]] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def template_path(root: Path) -> Path:
    return Path(root) / CATALOGUE_DIR / f"{DOMAIN}.pot"


def catalogue_path(root: Path, locale: str) -> Path:
    return Path(root) / CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def build_template(root: Path) -> Catalog:
    """Extract every translatable string under `root`, as babel.cfg says, into a template."""
    root = Path(root)
    with (root / MAPPING_FILE).open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / MAPPING_FILE))
    template = Catalog(
        project=PROJECT, version=_version(), header_comment=TEMPLATE_HEADER, charset="utf-8"
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        location = (Path(filename).as_posix(), lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def extract_messages(root: Path) -> set[MessageId]:
    """The msgids the code uses: a string, or (singular, plural) for an `ngettext` message."""
    return {_message_id(message) for message in _messages(build_template(root))}


def update_catalogues(root: Path) -> UpdateResult:
    """Re-extract, rewrite messages.pot and bring both .po files in step with it.

    No fuzzy matching (a guessed translation is worse than none for our readers) and no
    obsolete entries are kept. English msgstrs are filled from the msgids.
    """
    root = Path(root)
    template = build_template(root)
    # Read both before writing anything: a broken .po (PoFileError) leaves every file as it was.
    catalogues = {
        locale: read_catalogue(path, locale) if path.exists() else _new_catalogue(locale)
        for locale, path in ((locale, catalogue_path(root, locale)) for locale in LOCALES)
    }
    result = UpdateResult(total=len(_messages(template)))
    if _write_if_changed(template_path(root), _po_bytes(template)):
        result.written.append(template_path(root))
    for locale, catalogue in catalogues.items():
        path = catalogue_path(root, locale)
        known = {_display(message.id) for message in _messages(catalogue)}
        catalogue.update(template, no_fuzzy_matching=True, update_creation_date=False)
        if locale == SOURCE_LOCALE:
            _fill_from_msgids(catalogue)
        if _write_if_changed(path, _po_bytes(catalogue)):
            result.written.append(path)
        todo = [_display(m.id) for m in _messages(catalogue) if m.fuzzy or not _translated(m)]
        result.untranslated[locale] = todo
        result.new[locale] = {msgid for msgid in todo if msgid not in known}
        result.fuzzy[locale] = {_display(m.id) for m in _messages(catalogue) if m.fuzzy}
    return result


def catalogue_problems(root: Path) -> list[str]:
    """Everything that keeps the catalogues from being complete and correct, one line each.

    Missing catalogues, messages the code uses that a catalogue lacks, untranslated or fuzzy
    messages, and translations whose placeholders differ from the msgid's. Empty when all is well.
    """
    root = Path(root)
    template = build_template(root)
    problems: list[str] = []
    for locale in LOCALES:
        path = catalogue_path(root, locale)
        try:
            catalogue = read_catalogue(path, locale)
        except FileNotFoundError:
            problems.append(f"{locale}: no catalogue at {_relative(path, root)}")
            continue
        except PoFileError as error:
            problems.append(f"{locale}: {_relative(path, root)} cannot be read: {error}")
            continue
        found = _catalogue_problems(template, catalogue)
        problems.extend(f"{locale}: {problem}" for problem in found)
    return problems


def compile_catalogues(root: Path, output_dir: Path | None = None) -> None:
    """Compile both .po files to .mo, or raise `CatalogueError` and write nothing.

    `output_dir` (default: the project's translations/) receives `<name>/LC_MESSAGES/*.mo` for
    each of `runtime_names(locale)`. Fuzzy messages are left out, as gettext does; broken
    placeholders are errors.
    """
    root = Path(root)
    target = Path(output_dir) if output_dir is not None else root / CATALOGUE_DIR
    compiled: dict[Path, bytes] = {}
    errors: list[str] = []
    for locale in LOCALES:
        path = catalogue_path(root, locale)
        try:
            catalogue = read_catalogue(path, locale)
        except (FileNotFoundError, PoFileError) as error:
            errors.append(f"{locale}: {_relative(path, root)} cannot be read: {error}")
            continue
        problems = [f"{locale}: {p}" for p in _format_problems(catalogue)]
        if problems:
            errors.extend(problems)
            continue
        buffer = io.BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        for name in runtime_names(locale):
            compiled[target / name / "LC_MESSAGES" / f"{DOMAIN}.mo"] = buffer.getvalue()
    if errors:
        raise CatalogueError(errors)
    for path, data in compiled.items():
        _atomic_write(path, data)


def runtime_names(locale: str) -> list[str]:
    """The directory names a .mo file for `locale` is compiled under.

    Flask-Babel looks translations up by `str(Locale.parse(name))`, and Babel expands
    "zh_CN" to "zh_Hans_CN" (likely subtags), so a .mo only under zh_CN/ is never found.
    The .po stays under the conventional zh_CN/; the .mo goes under both names.
    """
    parsed = str(Locale.parse(locale))
    return [locale] if parsed == locale else [locale, parsed]


def read_catalogue(path: Path, locale: str) -> Catalog:
    """Read one .po file strictly: a syntax error raises `PoFileError`."""
    with Path(path).open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN, abort_invalid=True)


def placeholder_problems(message: Message) -> list[str]:
    """Why `message`'s translation would fail or lose a value when %-formatted; [] when fine.

    Each form must use the same `%(name)s` placeholders as its msgid (a plural form may leave
    out what the plural msgid has, except the last form, which is used for "many").
    Templates %-format every string, so there a lone `%` must be written `%%`.
    """
    if not _translated(message):
        return []
    if isinstance(message.id, str):
        expected = _placeholders(message.id)
        strings = [str(message.string)]
    else:
        expected = _placeholders(message.id[0]) | _placeholders(message.id[1])
        strings = [str(s) for s in message.string or ()]
    templated = any(str(location).endswith(".html") for location, _ in message.locations)
    problems = []
    for index, text in enumerate(strings):
        found = _placeholders(text)
        may_omit = index < len(strings) - 1  # "one" forms may say "one" instead of %(num)d
        if found != expected and not (may_omit and found < expected):
            problems.append(
                f"placeholders differ in {_display(message.id)!r}: the msgid has "
                f"{_show(expected)}, the translation {_show(found)}"
            )
        if (message.python_format or templated) and "%" in _FORMAT_SPEC.sub("", text):
            problems.append(f"a lone % in the translation of {_display(message.id)!r}: write %%")
    return problems


def _catalogue_problems(template: Catalog, catalogue: Catalog) -> Iterator[str]:
    if catalogue.fuzzy:
        yield "the header is marked fuzzy (pybabel compile would skip the whole catalogue)"
    stale = "(run `flask translations extract`)"
    for wanted in _messages(template):
        found = catalogue.get(_singular(wanted.id), context=wanted.context)
        if found is None:
            yield f"missing {stale}: {_display(wanted.id)!r}"
        elif _message_id(found) != _message_id(wanted):
            yield f"plural forms differ from the code {stale}: {_display(wanted.id)!r}"
    for message in _messages(catalogue):
        if message.fuzzy:
            yield f"fuzzy: {_display(message.id)!r}"
        elif not _translated(message):
            yield f"untranslated: {_display(message.id)!r}"
    yield from _format_problems(catalogue)


def _format_problems(catalogue: Catalog) -> Iterator[str]:
    for message in _messages(catalogue):
        if message.fuzzy:
            continue
        yield from placeholder_problems(message)
        for error in message.check(catalogue):
            yield f"{_display(message.id)!r}: {error}"


def _messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def _new_catalogue(locale: str) -> Catalog:
    return Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        version=_version(),
        header_comment=CATALOGUE_HEADERS[locale],
        revision_date=datetime.now(UTC),
        last_translator="Wenxu team",
        language_team=locale,
        fuzzy=False,
    )


def _version() -> str:
    try:
        return metadata.version("wenxu")
    except metadata.PackageNotFoundError:
        return "0"


def _fill_from_msgids(catalogue: Catalog) -> None:
    # Always the msgid, and never fuzzy (Babel marks a message fuzzy when it becomes plural):
    # English wording is changed in the code, not here.
    for message in _messages(catalogue):
        if isinstance(message.id, str):
            message.string = message.id
        else:
            singular, plural = message.id[0], message.id[1]
            message.string = (singular, *[plural] * (catalogue.num_plurals - 1))
        message.flags.discard("fuzzy")


def _translated(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def _placeholders(text: str) -> frozenset[str]:
    """Named placeholders as written; unnamed ones by position (`%s` then `%d` → #1%s, #2%d)."""
    found = set()
    position = 0
    for match in _FORMAT_SPEC.finditer(text):
        if match.group("type") == "%":
            continue
        if match.group("name") is not None:
            found.add(match.group(0))
        else:
            position += 1
            found.add(f"#{position}{match.group(0)}")
    return frozenset(found)


def _show(placeholders: frozenset[str]) -> str:
    return ", ".join(sorted(placeholders)) or "none"


def _message_id(message: Message) -> MessageId:
    if isinstance(message.id, str):
        return message.id
    singular, plural = message.id[0], message.id[1]
    return (singular, plural)


def _singular(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _display(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else f"{msgid[0]} / {msgid[1]}"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _po_bytes(catalogue: Catalog) -> bytes:
    # File names without line numbers: locations stay useful, and an edit that only moves
    # lines does not rewrite three files. No sorting: the order is the extraction's (files
    # alphabetically, then first use), which re-reading a file without line numbers keeps.
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=WIDTH, ignore_obsolete=True, include_lineno=False)
    return buffer.getvalue()


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists():
        old = path.read_bytes()
        if _VOLATILE_HEADER.sub(b"", old) == _VOLATILE_HEADER.sub(b"", data):
            return False
    _atomic_write(path, data)
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    # A running app or a parallel test worker must never read a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)  # mkstemp makes it 0600; the app may run as another user
    os.replace(tmp.name, path)
