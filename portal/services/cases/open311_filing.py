"""Open311 GeoReport v2: filing a service request (POST), once per request.

A request files a case for the one resident in the key's area with the phone given, through
`services.cases.file_case`; a repeat with the same `Idempotency-Key` or `external_id` answers
with the case filed before. `portal.services.cases.open311` reads requests. Functions flush,
never commit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.models import ApiKey, AuditEvent, Case, CaseChannel, CaseType, FormSubmission, Resident
from portal.models.base import AnySession
from portal.services.cases.cases import file_case
from portal.services.cases.open311 import Open311Error
from portal.services.people.access import cases_in_area, residents_in_area
from portal.services.sla.sla import local_zone

DESCRIPTION_LIMIT = 2000  # as on the resident's form (views.cases)
LOCATION_LIMIT = 200  # Case.location
TOKEN_NAMESPACE = uuid.UUID("6f1c1a52-5a4e-4f5e-9f47-0d8c3b1f3111")
#: A client's `Idempotency-Key`: visible ASCII, at most 100 characters (FormSubmission.token
#: holds "open311:<key id>:" before it, in 160).
IDEMPOTENCY_KEY_LENGTH = 100
IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_LENGTH}}}")  # fullmatch
SUBMISSION_KIND = "open311"


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str
    location: str
    phone_e164: str
    external_id: str | None = None
    idempotency_key: str | None = None  # the client's Idempotency-Key header


def token_for(key: ApiKey, external_id: str | None) -> str:
    """A fresh token, or the same one for the same key and `external_id` (idempotent POST)."""
    if external_id:
        return str(uuid.uuid5(TOKEN_NAMESPACE, f"{key.id}:{external_id}"))
    return str(uuid.uuid4())


def existing_for(session: AnySession, key: ApiKey, external_id: str | None) -> Case | None:
    if not external_id:
        return None
    token = token_for(key, external_id)
    return session.scalar(cases_in_area(session, key.area).where(Case.open311_token == token))


def submission_token(key: ApiKey, idempotency_key: str) -> str:
    """The `form_submission` token of a POST with an Idempotency-Key, per API key."""
    return f"{SUBMISSION_KIND}:{key.id}:{idempotency_key}"


def earlier_request(session: AnySession, key: ApiKey, idempotency_key: str) -> Case | None:
    """The case this key filed before with this Idempotency-Key, if any."""
    record_id = session.scalar(
        select(FormSubmission.record_id).where(
            FormSubmission.token == submission_token(key, idempotency_key)
        )
    )
    return session.get(Case, record_id) if record_id is not None else None


def filed_before(session: AnySession, key: ApiKey, new: NewRequest) -> Case | None:
    """The case an earlier POST of the same request made: same Idempotency-Key or external_id."""
    if new.idempotency_key:
        earlier = earlier_request(session, key, new.idempotency_key)
        if earlier is not None:
            return earlier
    return existing_for(session, key, new.external_id)


def find_resident(session: AnySession, key: ApiKey, phone_e164: str) -> Resident:
    """The one living resident in the key's area with this phone number."""
    matches = session.scalars(
        residents_in_area(session, key.area)
        .where(Resident.phone == phone_e164, Resident.deceased_on.is_(None))
        .limit(2)
    ).all()
    if not matches:
        raise Open311Error(
            400,
            _l(
                "No resident with this phone number is registered in your area. "
                "Ask the resident to register with their village, or hand the matter over "
                "to the village by phone."
            ),
        )
    if len(matches) > 1:
        raise Open311Error(
            400,
            _l(
                "More than one resident in your area has this phone number. "
                "Hand the matter over to the village by phone."
            ),
        )
    return matches[0]


def create_request(
    session: AnySession, key: ApiKey, new: NewRequest, now: datetime, ip_address: str | None
) -> tuple[Case, bool]:
    """File the case, or find the one filed before for the same request: (case, created).

    With an Idempotency-Key, the key is claimed first (`form_submission`, unique token) and
    the case is stored with it, so a repeat, even one racing this, never files a second case:
    its insert of the same token fails (IntegrityError) and its view answers with
    `filed_before`.
    """
    earlier = filed_before(session, key, new)
    if earlier is not None:
        return earlier, False
    resident = find_resident(session, key, new.phone_e164)
    claimed = _claim(session, key, new.idempotency_key, now) if new.idempotency_key else None
    case = file_case(
        session,
        resident=resident,
        filed_by=None,
        case_type=CaseType(new.service_code),
        description=new.description,
        now=now,
        channel=CaseChannel.HOTLINE,
        language=resident.language,
    )
    case.location = new.location
    case.open311_token = token_for(key, new.external_id)
    session.add(
        AuditEvent(
            actor_id=None,
            action="case.open311_create",
            resident_id=resident.id,
            object_type="case",
            object_id=case.id,
            ip_address=ip_address,
            data={"api_key_id": key.id, "key_prefix": key.key_prefix},
            created_at=now,
        )
    )
    if claimed is not None:
        claimed.record_id = case.id
    session.flush()
    return case, True


def _claim(session: AnySession, key: ApiKey, idempotency_key: str, now: datetime) -> FormSubmission:
    """Take the Idempotency-Key before filing; IntegrityError when another request has it."""
    claimed = FormSubmission(
        token=submission_token(key, idempotency_key),
        kind=SUBMISSION_KIND,
        user_id=None,
        created_at=now,
    )
    session.add(claimed)
    session.flush()
    return claimed


def service_notice(case: Case) -> str:
    due = case.resolve_due_at
    return str(
        _l(
            "Received as %(reference)s. The answer is due by %(due)s.",
            reference=case.reference,
            due=f"{due.astimezone(local_zone()):%Y-%m-%d %H:%M}" if due else "-",
        )
    )
