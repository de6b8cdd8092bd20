"""How many SMS parts a text takes: GSM-7 when every character is in its alphabet, else UCS-2.

GSM 03.38: a single message holds 160 septets, each part of a longer one 153 (the rest is the
concatenation header); the extension characters (^ { } \\ [ ] ~ | €, form feed) take two
septets. UCS-2 (any Chinese text): 70 UTF-16 code units, 67 per part of a longer one; a
character outside the Basic Multilingual Plane (most emoji) takes two.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")
GSM7, UCS2 = "GSM-7", "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def count(text: str) -> Segments:
    """The encoding, length in its units, and number of SMS parts of `text`."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding = GSM7
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    else:
        encoding = UCS2
        units = len(text.encode("utf-16-le")) // 2
    single, per_part = LIMITS[encoding]
    parts = 0 if units == 0 else 1 if units <= single else -(-units // per_part)
    return Segments(encoding, units, parts)
