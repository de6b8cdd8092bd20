"""One-time sign-in codes: 6 digits, 5 minutes, a new one after 60 s, at most 5 tries.

Codes are stored as keyed hashes; the plain code exists only in the message being sent. While a
code is awaited, the session holds an opaque token of the pending sign-in, never the number
(the session cookie is signed, not encrypted). Every sign-in and every failed one is audited.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, and_, select, update

from portal.models import AuditEvent, Channel, MessageChannel, Resident, SignInCode, User
from portal.models.base import AnySession
from portal.phones import mask_phone
from portal.services.outbound.notifications import queue_message

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 5
#: Kept in the plaintext of a pending sign-in's token, so no other encrypted value passes for one.
PENDING_PURPOSE = "sign-in-pending:"

#: Audit actions: a sign-in, a refused password or code, a refused authenticator-app code.
SIGNED_IN = "sign_in.succeeded"
SIGN_IN_FAILED = "sign_in.failed"
TWO_FACTOR_FAILED = "sign_in.two_factor_failed"


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too_many_tries"
    NO_CODE = "no_code"


def latest_code(session: AnySession, user: User) -> SignInCode | None:
    """The user's newest code that was neither used nor replaced."""
    return session.scalar(
        select(SignInCode)
        .where(
            SignInCode.user_id == user.id,
            SignInCode.used_at.is_(None),
            SignInCode.revoked_at.is_(None),
        )
        .order_by(SignInCode.id.desc())
        .limit(1)
    )


def seconds_until_resend(session: AnySession, user: User, now: datetime) -> int:
    """How long before another code may be sent; 0 when one may be sent now."""
    code = latest_code(session, user)
    if code is None:
        return 0
    wait = code.created_at + RESEND_AFTER - now
    return max(0, int(wait.total_seconds() + 0.999))


def code_channel(session: AnySession, user: User) -> MessageChannel:
    """A voice call for voice-first residents; a text message for everyone else.

    A sign-in code is asked for by the person now, so a "no messages" preference does not
    apply to it.
    """
    resident = session.get(Resident, user.resident_id) if user.resident_id else None
    if resident is not None and resident.channel in (Channel.VOICE, Channel.BOTH):
        return MessageChannel.VOICE
    return MessageChannel.SMS


def send_code(
    session: AnySession, user: User, *, now: datetime, digest: Callable[[str], str]
) -> SignInCode:
    """Replace any earlier code with a new one and queue it to the user's phone."""
    session.execute(
        update(SignInCode)
        .where(SignInCode.user_id == user.id, SignInCode.used_at.is_(None))
        .where(SignInCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    plain = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    channel = code_channel(session, user)
    code = SignInCode(
        user_id=user.id,
        code_hash=digest(f"sign-in:{user.id}:{plain}"),
        channel=channel,
        expires_at=now + CODE_TTL,
        created_at=now,
    )
    session.add(code)
    session.flush()
    queue_message(
        session,
        dedupe_key=f"sign_in_code:{code.id}",
        user_id=user.id,
        resident_id=user.resident_id,
        channel=channel,
        to_phone=user.phone,
        template="sign_in_code",
        params={"code": plain},
        language=user.language,
        created_at=now,
    )
    return code


def check_code(
    session: AnySession, user: User, typed: str, *, now: datetime, digest: Callable[[str], str]
) -> CodeCheck:
    """Check a typed code; every try counts, and a right one is used up.

    The try is counted before the code is compared, by one UPDATE that only succeeds while
    tries are left (`attempts < MAX_TRIES`): concurrent guesses cannot all read the same count
    and get more than MAX_TRIES comparisons between them. Using the code is a second
    conditional UPDATE, so a right code sent twice at once signs in once.
    """
    code = latest_code(session, user)
    if code is None:
        return CodeCheck.NO_CODE
    if code.expires_at <= now:
        return CodeCheck.EXPIRED
    code_hash = code.code_hash
    tries = session.scalar(
        update(SignInCode)
        .where(_still_open(code.id), SignInCode.attempts < MAX_TRIES)
        .values(attempts=SignInCode.attempts + 1)
        .returning(SignInCode.attempts)
        .execution_options(synchronize_session=False)
    )
    session.expire(code)  # the row changed under the ORM's copy
    if tries is None:
        # No try left, or a concurrent request used or replaced the code meanwhile.
        still_open = code.used_at is None and code.revoked_at is None
        return CodeCheck.TOO_MANY_TRIES if still_open else CodeCheck.NO_CODE
    if not secrets.compare_digest(code_hash, digest(f"sign-in:{user.id}:{typed}")):
        return CodeCheck.TOO_MANY_TRIES if tries >= MAX_TRIES else CodeCheck.WRONG
    used = session.scalar(
        update(SignInCode)
        .where(_still_open(code.id))
        .values(used_at=now)
        .returning(SignInCode.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(code)
    return CodeCheck.OK if used is not None else CodeCheck.NO_CODE


def _still_open(code_id: int) -> ColumnElement[bool]:
    return and_(
        SignInCode.id == code_id, SignInCode.used_at.is_(None), SignInCode.revoked_at.is_(None)
    )


def pending_token(phone_e164: str, *, encrypt: Callable[[str], bytes]) -> str:
    """An opaque token of a sign-in waiting for its code, to keep in the session.

    The number is encrypted (Fernet: authenticated, with a random IV), so the readable session
    cookie shows nothing personal, and a number with an account looks like one without.
    """
    return encrypt(PENDING_PURPOSE + phone_e164).decode("ascii")


def pending_phone(token: object, *, decrypt: Callable[[bytes], str]) -> str | None:
    """The number of a pending sign-in's token; None for anything else (forged, old, absent)."""
    if not isinstance(token, str) or not token:
        return None
    try:
        text = decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return None
    if not text.startswith(PENDING_PURPOSE):
        return None
    return text.removeprefix(PENDING_PURPOSE)


def audit_sign_in(
    session: AnySession,
    action: str,
    *,
    user: User | None,
    phone: str,
    method: str,
    ip_address: str | None,
    now: datetime,
    **details: str,
) -> None:
    """Record a sign-in (`SIGNED_IN`) or a failed one, with the number masked.

    `method` is how the first step was passed or tried ("password", "code"); `details` say why
    it failed (`reason`) or what followed (`second_factor`). Only a sign-in has the account as
    its actor: a failure may be anyone's, so the account is only what it was about.
    """
    data: dict[str, Any] = {"method": method, "phone": mask_phone(phone), **details}
    session.add(
        AuditEvent(
            actor_id=user.id if user is not None and action == SIGNED_IN else None,
            action=action,
            resident_id=user.resident_id if user is not None else None,
            object_type="user" if user is not None else None,
            object_id=user.id if user is not None else None,
            ip_address=ip_address,
            data=data,
            created_at=now,
        )
    )
    session.flush()
