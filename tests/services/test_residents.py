"""Registering residents: identifiers validated, encrypted, looked up and masked."""

from datetime import date, time

import pytest

from portal.extensions import db
from portal.models import Channel
from portal.services.people.identifiers import IdentifierError
from portal.services.people.residents import (
    CertificateMismatchError,
    DuplicateResidentError,
    find_by_id_number,
    register_resident,
    reveal_id_number,
)
from tests.factories import create_area

TODAY = date(2026, 3, 2)
ID_NUMBER = "510104199001021236"
CERTIFICATE = ID_NUMBER + "42"


def _register(**kw):
    kw.setdefault("area", create_area())
    kw.setdefault("name", "张秀英")
    kw.setdefault("disability_category", 4)
    return register_resident(db.session, today=TODAY, **kw)


def test_identifiers_are_encrypted_and_masked(app):
    resident = _register(certificate_number=CERTIFICATE, phone="138 0000 0001")

    assert resident.id is not None
    assert resident.id_number_encrypted is not None
    assert ID_NUMBER.encode() not in resident.id_number_encrypted
    assert CERTIFICATE.encode() not in resident.certificate_encrypted
    assert ID_NUMBER not in resident.id_number_lookup
    assert resident.id_number_masked == "510104********1236"
    assert resident.certificate_masked == "510104********1236 42"
    assert resident.disability_level == 2  # taken from the certificate
    assert resident.birth_date == date(1990, 1, 2)
    assert resident.sex == "M"
    assert resident.phone == "+8613800000001"
    assert reveal_id_number(resident) == ID_NUMBER


@pytest.mark.parametrize(
    "raw",
    [
        ID_NUMBER,
        "510104 1990 0102 1236",
        "５１０１０４１９９００１０２１２３６",
        CERTIFICATE,
        CERTIFICATE + "B1",  # a later card still finds the holder through the ID number
    ],
)
def test_find_by_id_number(app, raw):
    resident = _register(certificate_number=CERTIFICATE)

    assert find_by_id_number(db.session, raw) == resident


def test_find_by_reissued_certificate(app):
    resident = _register(certificate_number=CERTIFICATE + "B1")

    assert resident.certificate_masked == "510104********1236 42B1"
    assert find_by_id_number(db.session, CERTIFICATE + "B1") == resident
    assert find_by_id_number(db.session, ID_NUMBER) == resident


@pytest.mark.parametrize("raw", ["", "510104199001021245", "not a number"])
def test_find_by_id_number_finds_nobody(app, raw):
    _register(certificate_number=CERTIFICATE)

    assert find_by_id_number(db.session, raw) is None


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"disability_category": 1}, "cert_category_mismatch"),
        ({"disability_level": 3}, "cert_level_mismatch"),
        ({"id_number": "11010519491231002X"}, "cert_id_mismatch"),
    ],
)
def test_certificate_must_agree(app, kw, code):
    with pytest.raises(CertificateMismatchError) as error:
        _register(certificate_number=CERTIFICATE, **kw)

    assert isinstance(error.value, ValueError)
    assert error.value.code == code


def test_invalid_identifier_is_refused(app):
    with pytest.raises(IdentifierError):
        _register(id_number="510104199001021235")


def test_same_id_number_twice_is_refused(app):
    _register(id_number=ID_NUMBER)

    with pytest.raises(DuplicateResidentError):
        _register(certificate_number=CERTIFICATE)


def test_no_certificate_and_no_level(app):
    resident = _register(disability_category=5, channel=Channel.VOICE, large_text=True)

    assert resident.disability_level is None
    assert resident.certificate_encrypted is None
    assert resident.certificate_lookup is None
    assert resident.id_number_lookup is None
    assert resident.birth_date is None
    assert resident.channel == Channel.VOICE
    assert resident.large_text is True
    assert resident.quiet_hours_start == time(21, 0)


def test_id_number_without_certificate(app):
    resident = _register(id_number=ID_NUMBER, disability_category=5)

    assert resident.disability_level is None
    assert resident.certificate_masked is None
    assert find_by_id_number(db.session, ID_NUMBER) == resident


def test_unknown_preference_is_a_programming_error(app):
    with pytest.raises(TypeError):
        _register(favourite_colour="blue")
