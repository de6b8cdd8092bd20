"""A resident's settings: language, how we contact them, quiet hours and how pages look.

Display preferences (large text, high contrast, read-aloud) live on the resident for residents
and guardians, and in a cookie for everyone else; `DisplayPrefs` is the value both turn into.
Services flush, never commit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, time

from portal.models import Channel, Resident, User
from portal.models.base import AnySession

log = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "en")
#: "21:00", "9:00", "21:00:00" (a browser with seconds) and the full-width colon of Chinese IMEs.
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?$")


#: DisplayPrefs attribute → its token in the cookie and its class on `<html>`.
_TOKENS = (
    ("large_text", "large-text"),
    ("high_contrast", "high-contrast"),
    ("read_aloud", "read-aloud"),
)


class ClockError(ValueError):
    """The text is not a time of day written as HH:MM."""


def parse_clock(text: str) -> time:
    """A time of day from "HH:MM" (also "H:MM" and "HH:MM:SS"); raises `ClockError`."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ClockError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ClockError(text)
    return time(hour, minute)


def format_clock(moment: time) -> str:
    """The value an `<input type="time">` shows: "HH:MM"."""
    return moment.strftime("%H:%M")


@dataclass(frozen=True)
class DisplayPrefs:
    """How pages look: each flag is a class on `<html>` and a token in the display cookie."""

    large_text: bool = False
    high_contrast: bool = False
    read_aloud: bool = False

    @classmethod
    def of_resident(cls, resident: Resident) -> DisplayPrefs:
        return cls(
            large_text=bool(resident.large_text),
            high_contrast=bool(resident.high_contrast),
            read_aloud=bool(resident.read_aloud),
        )

    @classmethod
    def from_cookie(cls, value: str | None) -> DisplayPrefs:
        """Read the cookie ("large-text.read-aloud"); unknown tokens are ignored."""
        tokens = set((value or "").split("."))
        return cls(**{attr: token in tokens for attr, token in _TOKENS})

    def to_cookie(self) -> str:
        return ".".join(token for attr, token in _TOKENS if getattr(self, attr))

    @property
    def classes(self) -> str:
        """Space-separated classes for `<html class>`: "large-text high-contrast"."""
        return " ".join(token for attr, token in _TOKENS if getattr(self, attr))

    def with_large_text(self, on: bool) -> DisplayPrefs:
        return replace(self, large_text=on)


def update_settings(
    session: AnySession,
    resident: Resident,
    *,
    user: User,
    language: str,
    channel: Channel,
    quiet_hours_start: time,
    quiet_hours_end: time,
    large_text: bool,
    high_contrast: bool,
    read_aloud: bool,
    now: datetime,
) -> DisplayPrefs:
    """Save a resident's settings, chosen by them or by a guardian (`user`); returns the
    display preferences to mirror in the cookie.

    The language is also the signed-in user's own (a guardian reads the pages in it). Equal quiet
    hours mean none: messages go out at any hour.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language: {language!r}")
    resident.language = language
    user.language = language
    resident.channel = channel
    resident.quiet_hours_start = quiet_hours_start
    resident.quiet_hours_end = quiet_hours_end
    resident.large_text = large_text
    resident.high_contrast = high_contrast
    resident.read_aloud = read_aloud
    session.flush()
    log.info(
        "settings saved",
        extra={"resident_id": resident.id, "user_id": user.id, "at": now.isoformat()},
    )
    return DisplayPrefs.of_resident(resident)


def set_large_text(session: AnySession, resident: Resident, on: bool, now: datetime) -> None:
    """Turn the resident's large-text mode on or off (the header's "Larger text" button)."""
    resident.large_text = on
    session.flush()
    log.info("large text set", extra={"resident_id": resident.id, "on": on, "at": now.isoformat()})
