"""SMS part counting, at the edges of each encoding's limits."""

import pytest

from portal.services.outbound.sms_segments import GSM7, UCS2, count


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("{" * 80, GSM7, 160, 1),  # extension characters take two septets
        ("{" * 81, GSM7, 162, 2),
        ("Hotline 12385 €", GSM7, 16, 1),
        ("问" * 70, UCS2, 70, 1),
        ("问" * 71, UCS2, 71, 2),
        ("问" * 134, UCS2, 134, 2),
        ("问" * 135, UCS2, 135, 3),
        ("a" * 69 + "问", UCS2, 70, 1),  # one Chinese character makes it all UCS-2
        ("😀" * 35, UCS2, 70, 1),  # outside the BMP: two code units each
        ("😀" * 36, UCS2, 72, 2),
    ],
)
def test_encoding_length_and_parts(text, encoding, units, parts):
    result = count(text)
    assert (result.encoding, result.units, result.parts) == (encoding, units, parts)
