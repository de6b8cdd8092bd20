"""Resident ID numbers (公民身份号码, GB 11643) and disability certificate numbers.

We check only what the standard guarantees: the shape, a real birth date and the ISO 7064
MOD 11-2 check character. We deliberately do not look area codes up in a table (as
python-stdnum's `cn.ric` does): county codes change every year, so residents born before their
county's code existed would be rejected, and an unknown code must never crash a form. Anything
beyond the standard is at most a warning on the result.

Errors carry a stable machine `code` and a translatable `message`; they never contain the number
itself, so `str(error)` (the code) is safe to log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask_babel import LazyString

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"

# First two digits of GB/T 2260 province-level codes. 83 is not a province, but residence
# permits for Taiwan residents carry the area code 830000 (as 810000 / 820000 do for Hong Kong
# and Macao residents), so those numbers are real ID numbers, not typing mistakes.
_PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {str(n) for n in range(31, 38)}
    | {str(n) for n in range(41, 47)}
    | {str(n) for n in range(50, 55)}
    | {str(n) for n in range(61, 66)}
    | {"71", "81", "82", "83"}
)

#: Warning code: the first two digits are not a known province (e.g. a foreigner's permanent
#: residence card, or a typing mistake the checksum happened not to catch).
WARNING_UNKNOWN_PROVINCE = "unknown_province"

_EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Full-width forms (U+FF01–U+FF5E) map to ASCII by a fixed offset; U+3000 is the ideographic space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Whitespace, zero-width characters and the dashes people type or paste between digit groups.
_SEPARATORS = re.compile(r"[\s\u200b-\u200d\ufeff\-\u2010-\u2015\u2212]+")

_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
# Deliberately looser than the official pattern so that each mistake gets its own message.
_CERTIFICATE = re.compile(r"([0-9]{17}[0-9X])([0-9])([0-9])(B[0-9]*)?")
_CERTIFICATE_STRICT = re.compile(r"([0-9]{17}[0-9X])([1-7][1-4])(B[1-9][0-9]*)?")


class IdentifierError(ValueError):
    """An ID or certificate number the user must correct; `code` is stable, `message` lazy."""

    def __init__(self, code: str, message: LazyString) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ResidentId:
    """A resident ID number that passed format, date and checksum checks."""

    number: str
    area_code: str
    birth_date: date
    sequence: str
    sex: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CertificateNumber:
    """A second-generation disability certificate number (第二代残疾人证)."""

    number: str
    resident_id: ResidentId
    category: int
    level: int
    reissue: int | None = None


def normalise(raw: str) -> str:
    """Fold full-width characters to ASCII, drop spaces and hyphens, upper-case letters."""
    return _SEPARATORS.sub("", (raw or "").translate(_HALF_WIDTH)).upper()


def check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def validate_resident_id(raw: str, *, today: date | None = None) -> ResidentId:
    """Check a resident ID number and return its parts.

    `today` (the local date, Asia/Shanghai) bounds the birth date; it defaults to the system date.
    Raises `IdentifierError` for a wrong format, an impossible birth date or a wrong check
    character; an unknown province prefix is only a warning.
    """
    number = normalise(raw)
    if not _RESIDENT_ID.fullmatch(number):
        raise IdentifierError("id_format", _l("Enter the 18-character resident ID number"))
    birth_date = _birth_date(number[6:14], today or date.today())
    if check_character(number[:17]) != number[17]:
        raise IdentifierError(
            "id_checksum",
            _l("This ID number's last character does not match: check it for a typing mistake"),
        )
    warnings = () if number[:2] in _PROVINCE_PREFIXES else (WARNING_UNKNOWN_PROVINCE,)
    return ResidentId(
        number=number,
        area_code=number[:6],
        birth_date=birth_date,
        sequence=number[14:17],
        sex="M" if int(number[16]) % 2 else "F",
        warnings=warnings,
    )


def _birth_date(digits: str, today: date) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdentifierError(
            "id_date", _l("The birth date in this ID number is not a real date")
        ) from None
    if born > today:
        raise IdentifierError(
            "id_date_future", _l("The birth date in this ID number is in the future")
        )
    if born < _EARLIEST_BIRTH_DATE:
        raise IdentifierError(
            "id_date_too_early", _l("The birth date in this ID number is before 1900")
        )
    return born


def validate_certificate_number(raw: str, *, today: date | None = None) -> CertificateNumber:
    """Check a disability certificate number: ID number + category + level (+ `B` reissue).

    Errors in the embedded ID number are raised with the resident ID codes (`id_*`); the
    certificate's own parts raise `cert_format`, `cert_category`, `cert_level` or `cert_reissue`.
    """
    number = normalise(raw)
    match = _CERTIFICATE.fullmatch(number)
    if not match:
        raise IdentifierError(
            "cert_format",
            _l(
                "Enter the disability certificate number: the 18-character ID number, "
                "then the category and level digits"
            ),
        )
    id_part, category, level, suffix = match.groups()
    resident_id = validate_resident_id(id_part, today=today)
    if not "1" <= category <= "7":
        raise IdentifierError(
            "cert_category",
            _l("The 19th character is the disability category: it must be from 1 to 7"),
        )
    if not "1" <= level <= "4":
        raise IdentifierError(
            "cert_level",
            _l("The 20th character is the disability level: it must be from 1 to 4"),
        )
    if suffix is not None and not re.fullmatch(r"B[1-9][0-9]*", suffix):
        raise IdentifierError(
            "cert_reissue",
            _l("A reissued certificate ends in B and a number, like B1: check the end"),
        )
    return CertificateNumber(
        number=number,
        resident_id=resident_id,
        category=int(category),
        level=int(level),
        reissue=int(suffix[1:]) if suffix else None,
    )


def mask_resident_id(number: str | None) -> str:
    """Show an ID number as `510104********1236`; never raises, whatever it is given."""
    text = _safe_normalise(number)
    if _RESIDENT_ID.fullmatch(text):
        return f"{text[:6]}{'*' * 8}{text[-4:]}"
    return _generic_mask(text)


def mask_certificate_number(number: str | None) -> str:
    """Show a certificate number as `510104********1236 42B1`; never raises."""
    text = _safe_normalise(number)
    match = _CERTIFICATE_STRICT.fullmatch(text)
    if not match:
        return _generic_mask(text)
    id_part, category_level, suffix = match.groups()
    return f"{mask_resident_id(id_part)} {category_level}{suffix or ''}"


def _safe_normalise(value: object) -> str:
    return normalise(value) if isinstance(value, str) else ""


def _generic_mask(text: str) -> str:
    # A fixed number of asterisks so the mask does not reveal the length of odd values.
    return "*" * 8 + (text[-2:] if len(text) >= 6 else "")
