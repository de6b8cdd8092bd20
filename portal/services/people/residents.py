"""Registering residents and finding them by their identifiers.

Identifiers are sensitive personal information (the certificate number reveals a disability):
they are validated by `services.identifiers`, stored encrypted, found through a keyed hash of
their normalised form, and shown masked. Nothing here logs or returns an identifier in clear
except `reveal_id_number`, whose callers record an audit event.

Services flush, never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select

from portal.models import Area, Channel, Resident
from portal.models.base import AnySession
from portal.phones import validate_phone
from portal.services.people import identifiers
from portal.services.people.crypto import cipher

#: Resident columns a caller may set through `register_resident(**prefs)`.
PREFERENCE_FIELDS = frozenset(
    {"quiet_hours_start", "quiet_hours_end", "large_text", "high_contrast", "read_aloud"}
)


class ResidentDataError(ValueError):
    """The data given for a resident is inconsistent; `code` is stable and safe to log."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CertificateMismatchError(ResidentDataError):
    """The certificate's ID, category or level disagrees with the other arguments."""


class DuplicateResidentError(ResidentDataError):
    """A resident with this ID number (or certificate number) is already registered."""


def register_resident(
    session: AnySession,
    *,
    name: str,
    area: Area,
    disability_category: int,
    disability_level: int | None = None,
    id_number: str | None = None,
    certificate_number: str | None = None,
    phone: str | None = None,
    channel: Channel = Channel.SMS,
    language: str = "zh_CN",
    today: date,
    address: str | None = None,
    institution_id: int | None = None,
    **prefs: Any,
) -> Resident:
    """Validate and store a new resident, identifiers encrypted; returns the flushed row.

    A certificate number implies the ID number (its first 18 characters): an `id_number` given
    as well must be the same person's, and the certificate's category must equal
    `disability_category`. A missing `disability_level` is taken from the certificate; a given
    one must agree. Without a certificate (suspected cases, young children) the level may be
    absent. Raises `identifiers.IdentifierError`, `phones.PhoneError` or a `ResidentDataError`
    (all `ValueError`s).
    """
    unknown = set(prefs) - PREFERENCE_FIELDS
    if unknown:
        raise TypeError(f"unknown resident preferences: {sorted(unknown)}")
    if not 1 <= disability_category <= 7:
        raise ResidentDataError("category_range")
    if disability_level is not None and not 1 <= disability_level <= 4:
        raise ResidentDataError("level_range")
    certificate, resident_id = _parse_identifiers(id_number, certificate_number, today)
    if certificate is not None:
        if certificate.category != disability_category:
            raise CertificateMismatchError("cert_category_mismatch")
        if disability_level is None:
            disability_level = certificate.level
        elif certificate.level != disability_level:
            raise CertificateMismatchError("cert_level_mismatch")
    resident = Resident(
        name=name,
        area_id=area.id,
        disability_category=disability_category,
        disability_level=disability_level,
        phone=validate_phone(phone) if phone else None,
        channel=channel,
        language=language,
        address=address,
        institution_id=institution_id,
        **prefs,
    )
    if resident_id is not None:
        _store_id_number(session, resident, resident_id)
    if certificate is not None:
        _store_certificate(resident, certificate.number)
    session.add(resident)
    session.flush()
    return resident


def _parse_identifiers(
    id_number: str | None, certificate_number: str | None, today: date
) -> tuple[identifiers.CertificateNumber | None, identifiers.ResidentId | None]:
    certificate = None
    resident_id = None
    if certificate_number:
        certificate = identifiers.validate_certificate_number(certificate_number, today=today)
        resident_id = certificate.resident_id
    if id_number:
        given = identifiers.validate_resident_id(id_number, today=today)
        if resident_id is not None and given.number != resident_id.number:
            raise CertificateMismatchError("cert_id_mismatch")
        resident_id = given
    return certificate, resident_id


def _store_id_number(
    session: AnySession, resident: Resident, resident_id: identifiers.ResidentId
) -> None:
    fields = cipher()
    lookup = fields.lookup(resident_id.number)
    if session.scalar(select(Resident.id).where(Resident.id_number_lookup == lookup)):
        raise DuplicateResidentError("id_number_taken")
    resident.id_number_encrypted = fields.encrypt(resident_id.number)
    resident.id_number_lookup = lookup
    resident.id_number_masked = identifiers.mask_resident_id(resident_id.number)
    resident.birth_date = resident_id.birth_date
    resident.sex = resident_id.sex


def _store_certificate(resident: Resident, number: str) -> None:
    fields = cipher()
    resident.certificate_encrypted = fields.encrypt(number)
    resident.certificate_lookup = fields.lookup(number)
    resident.certificate_masked = identifiers.mask_certificate_number(number)


def find_by_id_number(session: AnySession, raw: str) -> Resident | None:
    """The resident whose ID number or certificate number is `raw` (any spacing or width).

    A certificate number also finds its holder through the ID number it contains, so an old
    card's number still finds a resident whose card was reissued (`…42` vs `…42B1`).
    """
    number = identifiers.normalise(raw)
    if not number:
        return None
    fields = cipher()
    hashes = {fields.lookup(number)}
    if len(number) > 18:
        hashes.add(fields.lookup(number[:18]))
    return session.scalar(
        select(Resident)
        .where(or_(Resident.id_number_lookup.in_(hashes), Resident.certificate_lookup.in_(hashes)))
        .order_by(Resident.id)
        .limit(1)
    )


def reveal_id_number(resident: Resident) -> str:
    """The resident's ID number in clear. Callers must record an audit event for the read."""
    if resident.id_number_encrypted is None:
        raise LookupError("this resident has no ID number on record")
    return cipher().decrypt(resident.id_number_encrypted)
