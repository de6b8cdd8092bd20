"""Open311 GeoReport v2 (JSON only) at /open311/v2/: how a 12345/12385 hotline hands cases over.

The service list and definitions are public. Service requests belong to residents, so reading
and filing them needs a key made in /admin/api-keys, sent in the `X-Api-Key` header (or
`Authorization: Bearer`; the `api_key` parameter still works but reaches access logs); a key
sees and files only inside its area's subtree. Wrong keys are limited per client address. A
POST with an `Idempotency-Key` header files once. Errors use GeoReport's shape:
`[{"code": 400, "description": "..."}]`. See docs/open311.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from portal.extensions import csrf, db, limiter
from portal.input_guard import refuse_control_characters
from portal.models import ApiKey, Case
from portal.phones import PhoneError, validate_phone
from portal.services.accounts import api_keys
from portal.services.cases import open311, open311_filing
from portal.services.cases.open311 import Open311Error, Query
from portal.services.cases.open311_filing import NewRequest

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)
bp.before_request(refuse_control_characters)  # a 400 below, never a 500


def _api_key() -> str:
    """The key from `X-Api-Key`, else `Authorization: Bearer`, else the `api_key` parameter."""
    header = request.headers.get("X-Api-Key", "").strip()
    if header:
        return header
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.values.get("api_key") or ""


def _key_bucket() -> str:
    """Rate limits count per key (by its hash), whatever address the calls come from."""
    secret = _api_key()
    return "open311:" + (api_keys.key_hash(secret)[:16] if secret else request.remote_addr or "")


def _key_refused(response: Response) -> bool:
    return response.status_code == 403


#: Wrong, revoked or missing keys, per client address, over every path that needs a key: a
#: guesser is soon held back, while calls with a good key never count.
key_failures = limiter.shared_limit(
    "10 per minute; 100 per hour", scope="open311-key-failures", deduct_when=_key_refused
)


def _error(status: int, message: str) -> ResponseReturnValue:
    return jsonify([{"code": status, "description": message}]), status


@bp.errorhandler(Open311Error)
def _refused(error: Open311Error) -> ResponseReturnValue:
    db.session.rollback()
    return _error(error.status, error.message)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    db.session.rollback()
    return _error(error.code or 500, error.description or error.name)


def _require_key() -> ApiKey:
    key = api_keys.find_active_key(db.session, _api_key())
    if key is None:
        raise Open311Error(
            403, _("A valid api_key is required. Keys are issued by administrators.")
        )
    if api_keys.touch(key, datetime.now(UTC)):
        db.session.commit()  # use is recorded even when the request is then refused
    return key


def _list(name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (request.args.get(name) or "").split(",") if v.strip())


def _datetime(name: str) -> datetime | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return open311.parse_w3c(text)
    except ValueError:
        raise Open311Error(
            400, _("%(name)s must be a W3C datetime, like 2026-11-24T09:30:00+08:00.", name=name)
        ) from None


# --- public: what can be reported -------------------------------------------------------


@bp.get("/services.json")
def services() -> ResponseReturnValue:
    return jsonify(open311.services())


@bp.get("/services/<service_code>.json")
def service_definition(service_code: str) -> ResponseReturnValue:
    return jsonify(open311.service_definition(service_code))


# --- with a key: residents' requests ----------------------------------------------------


@bp.get("/requests.json")
@key_failures
@limiter.limit("120 per minute", key_func=_key_bucket)
def requests_list() -> ResponseReturnValue:
    key = _require_key()
    codes = _list("service_code")
    unknown = [c for c in codes if c not in open311.SERVICE_CODES and c != "follow_up"]
    if unknown:
        raise Open311Error(400, _("There is no service with the code %(code)s.", code=unknown[0]))
    query = Query(
        references=_list("service_request_id"),
        service_codes=codes,
        start=_datetime("start_date"),
        end=_datetime("end_date"),
        statuses=_list("status"),
    )
    found = open311.find_requests(db.session, key, query, datetime.now(UTC))
    db.session.commit()  # last_used_at
    return jsonify(found)


@bp.get("/requests/<service_request_id>.json")
@key_failures
@limiter.limit("120 per minute", key_func=_key_bucket)
def request_detail(service_request_id: str) -> ResponseReturnValue:
    key = _require_key()
    found = open311.find_request(db.session, key, service_request_id)
    db.session.commit()
    return jsonify([found])


@bp.get("/tokens/<token>.json")
@key_failures
@limiter.limit("120 per minute", key_func=_key_bucket)
def token(token: str) -> ResponseReturnValue:
    key = _require_key()
    found = open311.find_token(db.session, key, token)
    db.session.commit()
    return jsonify([found])


@bp.post("/requests.json")
@key_failures
@limiter.limit("30 per minute; 1000 per day", key_func=_key_bucket)
def create_request() -> ResponseReturnValue:
    key = _require_key()
    new = _new_request()
    now = datetime.now(UTC)
    try:
        case, created = open311_filing.create_request(
            db.session, key, new, now, request.remote_addr
        )
        answer = _filed(case)
        db.session.commit()
    except IntegrityError:  # the same Idempotency-Key or external_id at once: the other won
        db.session.rollback()
        earlier = open311_filing.filed_before(db.session, key, new)
        if earlier is None:
            raise
        return jsonify([_filed(earlier)]), 200
    return jsonify([answer]), 201 if created else 200


def _filed(case: Case) -> dict[str, Any]:
    return {
        "service_request_id": case.reference,
        "token": case.open311_token,
        "service_notice": open311_filing.service_notice(case),
        "account_id": None,
    }


def _new_request() -> NewRequest:
    form = request.form
    code = (form.get("service_code") or "").strip()
    if code not in open311.SERVICE_CODES:
        raise Open311Error(
            400,
            _("service_code is missing or unknown: see services.json for the codes.")
            if not code
            else _("There is no service with the code %(code)s.", code=code),
        )
    description = (form.get("description") or "").replace("\r\n", "\n").strip()
    if not description:
        raise Open311Error(400, _("description is required: what the resident asked for."))
    if len(description) > open311_filing.DESCRIPTION_LIMIT:
        raise Open311Error(
            400,
            _(
                "description may be at most %(limit)d characters.",
                limit=open311_filing.DESCRIPTION_LIMIT,
            ),
        )
    external_id = (form.get("external_id") or "").strip() or None
    if external_id is not None and len(external_id) > 100:
        raise Open311Error(400, _("external_id may be at most 100 characters."))
    return NewRequest(
        service_code=code,
        description=description,
        location=_location(),
        phone_e164=_phone(),
        external_id=external_id,
        idempotency_key=_idempotency_key(),
    )


def _idempotency_key() -> str | None:
    """The client's `Idempotency-Key` header: the same one files only once."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not open311_filing.IDEMPOTENCY_KEY.fullmatch(value.strip()):
        raise Open311Error(
            400,
            _(
                "Idempotency-Key must be 1 to %(limit)d visible ASCII characters, without spaces.",
                limit=open311_filing.IDEMPOTENCY_KEY_LENGTH,
            ),
        )
    return value.strip()


def _location() -> str:
    """`address_string`, else `lat` and `long` as "lat,long"; one of them is required."""
    address = " ".join((request.form.get("address_string") or "").split())
    lat, long = (request.form.get(n, "").strip() for n in ("lat", "long"))
    if address:
        if len(address) > open311_filing.LOCATION_LIMIT:
            raise Open311Error(
                400,
                _(
                    "address_string may be at most %(limit)d characters.",
                    limit=open311_filing.LOCATION_LIMIT,
                ),
            )
        return address
    if not lat and not long:
        raise Open311Error(400, _("A location is required: address_string, or lat and long."))
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise Open311Error(400, _("lat and long must both be decimal degrees.")) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, _("lat and long must both be decimal degrees."))
    return f"{latitude:.6f},{longitude:.6f}"


def _phone() -> str:
    raw = (request.form.get("phone") or "").strip()
    if not raw:
        raise Open311Error(400, _("phone is required: the resident's mobile number."))
    try:
        return validate_phone(raw)
    except PhoneError:
        raise Open311Error(400, _("phone is not a valid mobile number.")) from None
