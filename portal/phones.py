"""Phone numbers: validate what residents type and store it in E.164 form.

A number typed without a country code is read as a mainland China number and must be a mobile,
because we reach residents by text message and voice call on that number. A number typed in
international form (`+44 …`, or with the `00` international prefix) is accepted whenever
libphonenumber considers it valid, for residents living or working abroad.

Errors carry a stable machine `code` and a translatable `message`; they never contain the number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import CountryCodeSource, PhoneNumberFormat, PhoneNumberType

if TYPE_CHECKING:
    from flask_babel import LazyString

# Full-width forms (U+FF01–U+FF5E) map to ASCII by a fixed offset; U+3000 is the ideographic space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = re.compile(r"[\s\u200b-\u200d\ufeff\-\u2010-\u2015\u2212]+")
# Only digits and a leading plus: phonenumbers would otherwise turn letters into digits
# ("1-800-FLOWERS") and accept extensions, which nobody means in a mobile number field.
_DIGITS = re.compile(r"\+?[0-9]{3,20}")
_INTERNATIONAL_SOURCES = frozenset(
    {CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN, CountryCodeSource.FROM_NUMBER_WITH_IDD}
)
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class PhoneError(ValueError):
    """A phone number the user must correct; `code` is stable, `message` lazy."""

    def __init__(self, code: str, message: LazyString) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _mobile_error(code: str) -> PhoneError:
    return PhoneError(code, _l("Enter a mobile phone number, like 13800000001"))


def _international_error() -> PhoneError:
    return PhoneError(
        "phone_international_invalid",
        _l("Enter a phone number in international format, like +44 7400 123456"),
    )


def validate_phone(raw: str, default_region: str = "CN") -> str:
    """Return the number in E.164 form (`+8613800000001`) or raise `PhoneError`.

    Full-width digits, spaces and hyphens are tolerated. Codes: `phone_format` (not a phone
    number at all), `phone_invalid` (no such number), `phone_not_mobile` (a landline or service
    number typed without a country code), `phone_international_invalid`.
    """
    text = _SEPARATORS.sub("", (raw or "").translate(_HALF_WIDTH))
    international = text.startswith("+")
    if not _DIGITS.fullmatch(text):
        raise _international_error() if international else _mobile_error("phone_format")
    try:
        parsed = phonenumbers.parse(text, default_region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        raise _international_error() if international else _mobile_error("phone_format") from None
    if parsed.country_code_source in _INTERNATIONAL_SOURCES:
        if not phonenumbers.is_valid_number(parsed):
            raise _international_error()
    elif not phonenumbers.is_valid_number(parsed):
        raise _mobile_error("phone_invalid")
    elif phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise PhoneError(
            "phone_not_mobile",
            _l(
                "Enter a mobile phone number, like 13800000001: "
                "we cannot send text messages to a landline"
            ),
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """Show only the country code and last 4 digits (`+86 *******0001`); never raises."""
    text = e164 if isinstance(e164, str) else ""
    try:
        parsed = phonenumbers.parse(text, None)
        national = phonenumbers.national_significant_number(parsed)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"[^0-9]", "", text)
        return "*" * 7 + (digits[-4:] if len(digits) >= 8 else "")
    if len(national) <= 4:
        return f"+{parsed.country_code} ****"
    return f"+{parsed.country_code} {'*' * (len(national) - 4)}{national[-4:]}"
