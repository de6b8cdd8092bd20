"""Resident ID and disability certificate numbers: format, date, checksum, masks."""

from datetime import date

import pytest

from portal.services.people.identifiers import (
    WARNING_UNKNOWN_PROVINCE,
    IdentifierError,
    check_character,
    mask_certificate_number,
    mask_resident_id,
    normalise,
    validate_certificate_number,
    validate_resident_id,
)

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # the worked example in GB 11643
        ("51010419900102123", "6"),
        ("46010619500101001", "9"),
        ("32010219880715107", "X"),
    ],
)
def test_check_character(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("510104 1990 0102 1236", "510104199001021236"),
        ("510104-19900102-1236", "510104199001021236"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("\u3000510104199001021236\u200b", "510104199001021236"),
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "area", "born", "sex", "warnings"),
    [
        ("510104199001021236", "510104", date(1990, 1, 2), "M", ()),
        ("11010519491231002X", "110105", date(1949, 12, 31), "F", ()),
        ("11010519491231002x", "110105", date(1949, 12, 31), "F", ()),
        ("１１０１０５１９４９１２３１００２Ｘ", "110105", date(1949, 12, 31), "F", ()),
        # Haikou's Longhua district dates from 2002, Hainan province from 1988.
        ("460106195001010019", "460106", date(1950, 1, 1), "M", ()),
        ("440304200002290022", "440304", date(2000, 2, 29), "F", ()),
        ("830000199001010012", "830000", date(1990, 1, 1), "M", ()),
        ("990101198001011236", "990101", date(1980, 1, 1), "M", (WARNING_UNKNOWN_PROVINCE,)),
        ("510104202506011230", "510104", date(2025, 6, 1), "M", ()),  # born today
        ("51010419000101123x", "510104", date(1900, 1, 1), "M", ()),
    ],
)
def test_valid_resident_id(raw, area, born, sex, warnings):
    result = validate_resident_id(raw, today=TODAY)
    assert result.number == normalise(raw)
    assert result.area_code == area
    assert result.birth_date == born
    assert result.sequence == result.number[14:17]
    assert result.sex == sex
    assert result.warnings == warnings


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_format"),
        ("51010419900102123", "id_format"),  # 17 characters
        ("5101041990010212366", "id_format"),  # 19 characters
        ("51010419900102123A", "id_format"),
        ("X10104199001021236", "id_format"),
        ("٥١٠١٠٤١٩٩٠٠١٠٢١٢٣٦", "id_format"),  # Arabic-Indic digits are not ID digits
        ("51010419900230123X", "id_date"),  # 30 February
        ("510104199013011234", "id_date"),
        ("440304190002290026", "id_date"),  # 1900 was not a leap year
        ("510104202506021236", "id_date_future"),
        ("510104189912311235", "id_date_too_early"),
        ("510104199001021237", "id_checksum"),
        ("510104199001021263", "id_checksum"),  # two digits swapped
        ("11010519491231002 1", "id_checksum"),
    ],
)
def test_invalid_resident_id(raw, code):
    with pytest.raises(IdentifierError) as caught:
        validate_resident_id(raw, today=TODAY)
    assert caught.value.code == code
    assert str(caught.value) == code  # safe to log: never the number itself
    assert str(caught.value.message)


def test_unknown_area_code_never_raises_key_error():
    result = validate_resident_id("990101198001011236", today=TODAY)
    assert result.warnings == (WARNING_UNKNOWN_PROVINCE,)


def test_today_defaults_to_the_system_date():
    assert validate_resident_id("510104199001021236").birth_date == date(1990, 1, 2)


@pytest.mark.parametrize(
    ("raw", "category", "level", "reissue"),
    [
        ("51010419900102123642", 4, 2, None),
        ("51010419900102123642B1", 4, 2, 1),
        ("51010419900102123642b1", 4, 2, 1),
        ("51010419900102123642B12", 4, 2, 12),
        ("11010519491231002x71", 7, 1, None),
        ("510104 19900102 1236 14 B2", 1, 4, 2),
        ("５１０１０４１９９００１０２１２３６４２Ｂ１", 4, 2, 1),
    ],
)
def test_valid_certificate_number(raw, category, level, reissue):
    result = validate_certificate_number(raw, today=TODAY)
    assert result.number == normalise(raw)
    assert result.resident_id.number == result.number[:18]
    assert (result.category, result.level, result.reissue) == (category, level, reissue)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("510104199001021236", "cert_format"),  # the ID number alone
        ("5101041990010212364", "cert_format"),
        ("510104199001021236421", "cert_format"),
        ("51010419900102123642C1", "cert_format"),
        ("51010419900102123602", "cert_category"),
        ("51010419900102123682", "cert_category"),
        ("51010419900102123640", "cert_level"),
        ("51010419900102123645", "cert_level"),
        ("51010419900102123642B", "cert_reissue"),
        ("51010419900102123642B0", "cert_reissue"),
        ("51010419900102123642B01", "cert_reissue"),
        ("51010419900102123742", "id_checksum"),
        ("51010419900230123X42", "id_date"),
    ],
)
def test_invalid_certificate_number(raw, code):
    with pytest.raises(IdentifierError) as caught:
        validate_certificate_number(raw, today=TODAY)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("510104199001021236", "510104********1236"),
        ("11010519491231002x", "110105********002X"),
        ("51010419900102123", "********23"),
        ("", "********"),
        ("12", "********"),
        (None, "********"),
    ],
)
def test_mask_resident_id(number, expected):
    assert mask_resident_id(number) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("51010419900102123642", "510104********1236 42"),
        ("51010419900102123642B1", "510104********1236 42B1"),
        ("51010419900102123642B12", "510104********1236 42B12"),
        ("510104199001021236", "********36"),
        ("51010419900102123692", "********92"),
        ("", "********"),
        (None, "********"),
    ],
)
def test_mask_certificate_number(number, expected):
    assert mask_certificate_number(number) == expected
