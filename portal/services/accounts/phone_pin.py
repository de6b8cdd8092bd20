"""The 4-digit PIN that, with the caller's number, lets a resident use the phone status line.

A caller ID can be spoofed, so the line also asks for a PIN the resident set in settings. Four
digits are few: the PIN is hashed with argon2 like a password, and after `LOCK_AFTER` wrong
tries in a row (over any number of calls) it stops working for `LOCK_FOR`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.models import Resident
from portal.models.base import AnySession

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=30)
_PIN = re.compile(r"[0-9]{4}")
_hasher = PasswordHasher()


class PinCheck(enum.StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"  # locked now, before this try or by it


def is_pin(text: str) -> bool:
    """Exactly four ASCII digits."""
    return bool(_PIN.fullmatch(text))


def is_guessable(pin: str) -> bool:
    """The PINs tried first by anyone guessing: one digit repeated, or a run up or down."""
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def set_pin(session: AnySession, resident: Resident, pin: str) -> None:
    """Set or change the resident's PIN (the caller has validated it); unlocks the line."""
    if not is_pin(pin):
        raise ValueError("a PIN is four digits")
    resident.phone_pin_hash = _hasher.hash(pin)
    resident.pin_failures = 0
    resident.pin_locked_until = None
    session.flush()


def is_locked(resident: Resident, now: datetime) -> bool:
    return resident.pin_locked_until is not None and now < resident.pin_locked_until


def check_pin(
    session: AnySession, residents: Sequence[Resident], pin: str, now: datetime
) -> tuple[PinCheck, Resident | None]:
    """Try `pin` for a caller who may be any of `residents` (people sharing one phone).

    RIGHT names the resident whose PIN it is. A miss counts against every unlocked resident
    on the number, and the `LOCK_AFTER`th miss in a row locks their PIN for `LOCK_FOR`.
    """
    unlocked = [resident for resident in residents if not is_locked(resident, now)]
    for resident in unlocked:
        if resident.phone_pin_hash and is_pin(pin) and _verify(resident.phone_pin_hash, pin):
            resident.pin_failures = 0
            session.flush()
            return PinCheck.RIGHT, resident
    for resident in unlocked:
        resident.pin_failures += 1
        if resident.pin_failures >= LOCK_AFTER:
            resident.pin_failures = 0
            resident.pin_locked_until = now + LOCK_FOR
    session.flush()
    if all(is_locked(resident, now) for resident in residents):
        return PinCheck.LOCKED, None
    return PinCheck.WRONG, None


def _verify(stored: str, pin: str) -> bool:
    try:
        return _hasher.verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False
