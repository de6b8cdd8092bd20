"""Phone numbers: mainland mobiles, international form, masks."""

import pytest

from portal.phones import PhoneError, mask_phone, validate_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000001", "+8613800000001"),
        ("13800000099", "+8613800000099"),  # the last demo number
        ("138 0000 0001", "+8613800000001"),
        ("138-0000-0001", "+8613800000001"),
        ("１３８０００００００１", "+8613800000001"),
        ("１３８\u3000００００\u3000０００１", "+8613800000001"),
        ("19912345678", "+8619912345678"),
        ("8613800000001", "+8613800000001"),
        ("+86 138 0000 0001", "+8613800000001"),
        ("＋８６１３８０００００００１", "+8613800000001"),
        ("+447400123456", "+447400123456"),
        ("+44 7400 123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),  # 00 is China's international prefix
        ("+14155552671", "+14155552671"),
        ("+86 10 1234 5678", "+861012345678"),  # international form: any valid number
    ],
)
def test_valid_phone(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone_format"),
        ("12345", "phone_invalid"),
        ("1380000000", "phone_invalid"),  # 10 digits
        ("138000000011", "phone_invalid"),  # 12 digits
        ("12800000001", "phone_invalid"),
        ("010 1234 5678", "phone_not_mobile"),  # Beijing landline
        ("4001234567", "phone_not_mobile"),  # 400 service number
        ("hello", "phone_format"),
        ("1380000000l", "phone_format"),
        ("1-800-FLOWERS", "phone_format"),
        ("13800000001 ext 5", "phone_format"),
        ("+", "phone_international_invalid"),
        ("+44", "phone_international_invalid"),
        ("+8612345", "phone_international_invalid"),
        ("+999 1234 5678", "phone_international_invalid"),
        # Ofcom's drama range: fictional, and libphonenumber reports it invalid.
        ("+447700900123", "phone_international_invalid"),
    ],
)
def test_invalid_phone(raw, code):
    with pytest.raises(PhoneError) as caught:
        validate_phone(raw)
    assert caught.value.code == code
    assert str(caught.value) == code  # safe to log: never the number itself
    assert str(caught.value.message)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8613800000001", "+86 *******0001"),
        ("+447400123456", "+44 ******3456"),
        ("+8612", "+86 ****"),
        ("13800000001", "*******0001"),
        ("garbage", "*******"),
        ("", "*******"),
        (None, "*******"),
    ],
)
def test_mask_phone(e164, expected):
    assert mask_phone(e164) == expected
