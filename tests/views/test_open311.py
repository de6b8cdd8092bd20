"""Open311 GeoReport v2: services, filing with an API key, reading within the key's area."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AreaLevel,
    AuditEvent,
    Case,
    CaseChannel,
    CaseEvent,
    CaseStatus,
    FormSubmission,
    Notification,
    Role,
)
from portal.services.accounts import api_keys
from portal.services.cases import open311, open311_filing, staff_actions
from tests.case_factories import resolve
from tests.factories import create_area, create_case, create_resident, create_user

PHONE = "+8613912345678"


@pytest.fixture
def world():
    county = create_area("511321000000", AreaLevel.COUNTY, name_en="Yilong County")
    township = create_area("511321101000", AreaLevel.TOWNSHIP, parent_id=county.id)
    village = create_area("511321101201", AreaLevel.VILLAGE, parent_id=township.id)
    other_county = create_area("511322000000", AreaLevel.COUNTY)
    other_village = create_area("511322101201", AreaLevel.VILLAGE, parent_id=other_county.id)
    resident = create_resident(village, name="张盲", phone=PHONE)
    outsider = create_resident(other_village, name="李聋", phone="+8613912340000")
    staff = create_user(Role.VILLAGE_WORKER, area_id=village.id)
    new = api_keys.create_key(
        db.session, name="12345", area=county, actor_id=None, now=datetime.now(UTC)
    )
    other = api_keys.create_key(
        db.session, name="other", area=other_county, actor_id=None, now=datetime.now(UTC)
    )
    db.session.commit()
    return {
        "county": county,
        "village": village,
        "other_village": other_village,
        "resident": resident,
        "outsider": outsider,
        "staff": staff,
        "key": new.secret,
        "key_row": new.row,
        "other_key": other.secret,
    }


def _form(world, **changes):
    data = {
        "api_key": world["key"],
        "service_code": "complaint",
        "description": "路口的盲道被占用了",
        "address_string": "幸福村村委会门口",
        "phone": "13912345678",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- services ---------------------------------------------------------------------------


def test_services_list_has_one_service_per_fileable_case_type(client):
    response = client.get("/open311/v2/services.json", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    services = response.get_json()
    assert [s["service_code"] for s in services] == list(open311.SERVICE_CODES)
    assert "follow_up" not in open311.SERVICE_CODES
    complaint = next(s for s in services if s["service_code"] == "complaint")
    assert complaint["service_name"] == "Complaint"
    assert complaint["metadata"] is False
    assert complaint["type"] == "realtime"
    assert "投诉" in complaint["keywords"]
    assert complaint["group"] and complaint["description"]


def test_service_definition_follows_the_spec_shape(client):
    response = client.get("/open311/v2/services/complaint.json")
    assert response.get_json() == {"service_code": "complaint", "attributes": []}
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404
    [error] = missing.get_json()
    assert error["code"] == 404 and error["description"]


# --- filing -----------------------------------------------------------------------------


def test_post_files_a_hotline_case_with_its_deadline(client, world):
    response = client.post("/open311/v2/requests.json", data=_form(world))
    assert response.status_code == 201, response.get_data(as_text=True)
    [answer] = response.get_json()
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    assert answer["account_id"] is None
    case = db.session.scalar(select(Case))
    assert case.reference == answer["service_request_id"]
    assert case.open311_token == answer["token"] and len(answer["token"]) == 36
    assert case.channel == CaseChannel.HOTLINE
    assert case.location == "幸福村村委会门口"
    assert case.resident_id == world["resident"].id and case.area_id == world["village"].id
    assert case.reference in answer["service_notice"]
    # The first event, the resident's acknowledgement and an audit row naming the key.
    assert [e.kind.value for e in db.session.scalars(select(CaseEvent))] == ["created"]
    ack = db.session.scalar(select(Notification).where(Notification.case_id == case.id))
    assert ack.dedupe_key.startswith(f"case_ack:{case.id}") and ack.template == "case_ack"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.open311_create"))
    assert audit.data["api_key_id"] == world["key_row"].id
    db.session.refresh(world["key_row"])
    assert world["key_row"].last_used_at is not None
    # expected_datetime is the resolution deadline.
    [shown] = client.get(
        f"/open311/v2/requests/{case.reference}.json", query_string={"api_key": world["key"]}
    ).get_json()
    assert shown["expected_datetime"] == open311.w3c(case.resolve_due_at)
    assert datetime.fromisoformat(shown["expected_datetime"]) == case.resolve_due_at
    assert shown["status"] == "open" and shown["address"] == "幸福村村委会门口"


def test_post_accepts_coordinates_instead_of_an_address(client, world):
    data = _form(world, address_string=None, lat="29.4321", long="105.9876")
    assert client.post("/open311/v2/requests.json", data=data).status_code == 201
    case = db.session.scalar(select(Case))
    assert case.location == "29.432100,105.987600"
    [shown] = client.get(
        f"/open311/v2/requests/{case.reference}.json", query_string={"api_key": world["key"]}
    ).get_json()
    assert (shown["lat"], shown["long"]) == (29.4321, 105.9876)


def test_post_with_the_same_external_id_files_once(client, world):
    first = client.post("/open311/v2/requests.json", data=_form(world, external_id="A-1"))
    again = client.post("/open311/v2/requests.json", data=_form(world, external_id="A-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()[0]["token"] == again.get_json()[0]["token"]
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"]
    assert _count(Case) == 1
    other = client.post("/open311/v2/requests.json", data=_form(world, external_id="A-2"))
    assert other.status_code == 201 and _count(Case) == 2


@pytest.mark.parametrize("key", [None, "", "wx311_not-a-real-key", "revoked"])
def test_post_without_a_valid_key_is_refused_and_changes_nothing(client, world, key):
    if key == "revoked":
        api_keys.revoke_key(
            db.session, world["key_row"], actor_id=None, now=datetime.now(UTC), ip_address=None
        )
        db.session.commit()
        key = world["key"]
    response = client.post("/open311/v2/requests.json", data=_form(world, api_key=key))
    assert response.status_code == 403
    [error] = response.get_json()
    assert error["code"] == 403 and "api_key" in error["description"]
    assert _count(Case) == 0 and _count(Notification) == 0


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"service_code": "parking"}, "parking"),
        ({"service_code": None}, "service_code"),
        ({"service_code": "follow_up"}, "follow_up"),
        ({"description": "   "}, "description"),
        ({"description": "字" * 2001}, "2000"),
        ({"address_string": None}, "address_string"),
        ({"address_string": None, "lat": "north", "long": "1"}, "lat"),
        ({"address_string": None, "lat": "95", "long": "1"}, "lat"),
        ({"phone": None}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "13800000000"}, "No resident"),  # nobody registered with it
        ({"phone": "13912340000"}, "No resident"),  # a resident in another county
    ],
)
def test_post_refuses_bad_requests_and_changes_nothing(client, world, changes, words):
    response = client.post(
        "/open311/v2/requests.json", data=_form(world, **changes), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and words in error["description"]
    assert _count(Case) == 0 and _count(Notification) == 0 and _count(CaseEvent) == 0


def test_post_refuses_an_ambiguous_phone_number(client, world):
    create_resident(world["village"], phone=PHONE, name="张盲的家人")
    db.session.commit()
    response = client.post(
        "/open311/v2/requests.json", data=_form(world), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400 and _count(Case) == 0
    assert "More than one resident" in response.get_json()[0]["description"]


def test_post_refuses_a_deceased_resident(client, world):
    world["resident"].deceased_on = date(2026, 1, 1)
    db.session.commit()
    response = client.post("/open311/v2/requests.json", data=_form(world))
    assert response.status_code == 400 and _count(Case) == 0


def test_post_is_rate_limited_per_key(client, world):
    data = _form(world, description="")
    codes = [client.post("/open311/v2/requests.json", data=data).status_code for _ in range(31)]
    assert codes[:30] == [400] * 30
    assert codes[30] == 429
    [error] = client.post("/open311/v2/requests.json", data=data).get_json()
    assert error["code"] == 429
    # Another key has its own allowance.
    other = client.post("/open311/v2/requests.json", data=_form(world, api_key=world["other_key"]))
    assert other.status_code == 400  # its area has no such resident, but it is not limited


# --- reading ----------------------------------------------------------------------------


def _get(client, world, path="/open311/v2/requests.json", **params):
    params.setdefault("api_key", world["key"])
    return client.get(path, query_string=params, headers={"Accept-Language": "en"})


def test_get_lists_only_cases_in_the_keys_area_without_personal_data(client, world):
    mine = create_case(world["resident"])
    theirs = create_case(world["outsider"])
    db.session.commit()
    response = _get(client, world)
    assert response.status_code == 200
    found = response.get_json()
    assert [r["service_request_id"] for r in found] == [mine.reference]
    [row] = found
    assert row["service_code"] == "complaint" and row["service_name"] == "Complaint"
    assert row["agency_responsible"] == world["village"].name_en
    assert row["description"] == mine.description
    assert row["requested_datetime"] == open311.w3c(mine.created_at)
    assert row["status_notes"] == "Received"
    text = response.get_data(as_text=True)
    assert "张盲" not in text and "13912345678" not in text
    assert not {"name", "phone", "email", "first_name", "last_name"} & set(row)
    # A case in another county is never returned, not even by its id.
    by_id = _get(client, world, service_request_id=f"{mine.reference},{theirs.reference}")
    assert [r["service_request_id"] for r in by_id.get_json()] == [mine.reference]
    missing = _get(client, world, f"/open311/v2/requests/{theirs.reference}.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404
    # The other county's key sees its own case only.
    other = _get(client, world, api_key=world["other_key"])
    assert [r["service_request_id"] for r in other.get_json()] == [theirs.reference]


def test_get_filters_by_status_type_and_dates(client, world):
    now = datetime.now(UTC)
    old = create_case(world["resident"], now=now - timedelta(days=120))
    recent = create_case(
        world["resident"], now=now - timedelta(days=2), case_type=open311.CaseType.HELP
    )
    done = create_case(world["resident"], now=now - timedelta(days=1))
    resolve(done, now - timedelta(hours=1))
    db.session.commit()

    def refs(**params):
        response = _get(client, world, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {r["service_request_id"] for r in response.get_json()}

    assert refs() == {recent.reference, done.reference}  # the last 90 days by default
    assert refs(status="open") == {recent.reference}
    assert refs(status="closed") == {done.reference}
    assert refs(service_code="help") == {recent.reference}
    start = open311.w3c(now - timedelta(days=130))
    end = open311.w3c(now - timedelta(days=100))
    assert refs(start_date=start, end_date=end) == {old.reference}
    assert refs(end_date=open311.w3c(now - timedelta(days=100))) == {old.reference}
    assert refs(service_request_id=old.reference) == {old.reference}  # overrides the window
    [closed] = _get(client, world, status="closed").get_json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已经处理好了。"


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"status": "pending"},
        {"service_code": "parking"},
        {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
        {"start_date": "2026-02-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"},
    ],
)
def test_get_refuses_bad_filters(client, world, params):
    response = _get(client, world, **params)
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


def test_status_notes_show_the_latest_public_staff_word(client, world):
    case = create_case(world["resident"])
    now = datetime.now(UTC)
    staff_actions.public_reply(
        db.session, case, actor=world["staff"], text="我们明天去现场查看", now=now
    )
    # An internal note is never shown.
    staff_actions.note(db.session, case, actor=world["staff"], text="内部：联系城管", now=now)
    db.session.commit()
    [row] = _get(client, world, f"/open311/v2/requests/{case.reference}.json").get_json()
    assert row["status_notes"] == "我们明天去现场查看" and row["status"] == "open"
    staff_actions.pause(db.session, case, actor=world["staff"], reason="请提供照片", now=now)
    db.session.commit()
    [row] = _get(client, world, f"/open311/v2/requests/{case.reference}.json").get_json()
    assert row["status_notes"] == "请提供照片" and row["status"] == "open"
    assert case.status == CaseStatus.WAITING
    assert "内部" not in _get(client, world).get_data(as_text=True)


def test_token_lookup_answers_within_the_keys_area(client, world):
    filed = client.post("/open311/v2/requests.json", data=_form(world)).get_json()[0]
    response = _get(client, world, f"/open311/v2/tokens/{filed['token']}.json")
    assert response.status_code == 200
    assert response.get_json() == [
        {"service_request_id": filed["service_request_id"], "token": filed["token"]}
    ]
    other = _get(
        client, world, f"/open311/v2/tokens/{filed['token']}.json", api_key=world["other_key"]
    )
    assert other.status_code == 404
    unknown = _get(client, world, "/open311/v2/tokens/00000000-0000-0000-0000-000000000000.json")
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/open311/v2/requests.json", "/open311/v2/requests/1.json", "/open311/v2/tokens/x.json"],
)
def test_reading_needs_a_key(client, world, path):
    create_case(world["resident"])
    db.session.commit()
    assert client.get(path).status_code == 403
    assert client.get(path, query_string={"api_key": "nope"}).status_code == 403


# --- the key in a header, failures limited per address (#11, point 8) --------------------


def _no_key(world, **changes):
    return _form(world, api_key=None, **changes)


@pytest.mark.parametrize(
    "header",
    [lambda key: {"X-Api-Key": key}, lambda key: {"Authorization": f"Bearer {key}"}],
    ids=["x-api-key", "bearer"],
)
def test_the_key_may_come_in_a_header(client, world, header):
    posted = client.post(
        "/open311/v2/requests.json", data=_no_key(world), headers=header(world["key"])
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
    reference = posted.get_json()[0]["service_request_id"]
    read = client.get(f"/open311/v2/requests/{reference}.json", headers=header(world["key"]))
    assert read.status_code == 200 and read.get_json()[0]["service_request_id"] == reference
    # A header names the key, whatever the query string says.
    wrong = client.get(
        "/open311/v2/requests.json",
        query_string={"api_key": world["key"]},
        headers=header("wx311_not-a-real-key"),
    )
    assert wrong.status_code == 403


def _from(address):
    return {"REMOTE_ADDR": address}


def test_wrong_keys_are_limited_per_client_address(client, world):
    codes = [
        client.get(
            "/open311/v2/requests.json",
            headers={"X-Api-Key": f"wx311_guess-{n}"},
            environ_base=_from("198.51.100.7"),
        ).status_code
        for n in range(11)
    ]
    assert codes == [403] * 10 + [429]
    # Every path with a key counts against the same allowance, a POST too.
    assert (
        client.post(
            "/open311/v2/requests.json",
            data=_form(world, api_key="wx311_guess-x"),
            environ_base=_from("198.51.100.7"),
        ).status_code
        == 429
    )
    # Another address is not held back by the guesser.
    other = client.get(
        "/open311/v2/requests.json",
        headers={"X-Api-Key": world["key"]},
        environ_base=_from("198.51.100.8"),
    )
    assert other.status_code == 200


def test_good_keys_do_not_use_up_the_failure_allowance(client, world):
    for _ in range(30):
        response = client.get(
            "/open311/v2/requests.json",
            headers={"X-Api-Key": world["key"]},
            environ_base=_from("198.51.100.9"),
        )
        assert response.status_code == 200
    bad = [
        client.get(
            "/open311/v2/requests.json",
            headers={"X-Api-Key": "wx311_wrong"},
            environ_base=_from("198.51.100.9"),
        ).status_code
        for _ in range(10)
    ]
    assert bad == [403] * 10


# --- Idempotency-Key: one case per client key (#11, point 1) ------------------------------


def _post(client, world, idempotency_key, **changes):
    return client.post(
        "/open311/v2/requests.json",
        data=_form(world, **changes),
        headers={"Idempotency-Key": idempotency_key, "Accept-Language": "en"},
    )


def test_a_repeated_idempotency_key_answers_with_the_same_case(client, world):
    first = _post(client, world, "hotline-7f3a")
    again = _post(client, world, "hotline-7f3a")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert _count(Case) == 1 and _count(Notification) == 1
    [row] = db.session.scalars(select(FormSubmission)).all()
    case = db.session.scalar(select(Case))
    assert row.token == f"open311:{world['key_row'].id}:hotline-7f3a"
    assert (row.kind, row.record_id, row.user_id) == ("open311", case.id, None)
    # Another client key files another case.
    assert _post(client, world, "hotline-7f3b").status_code == 201 and _count(Case) == 2


def test_a_refused_post_does_not_use_up_its_idempotency_key(client, world):
    assert _post(client, world, "retry-1", phone="12").status_code == 400
    assert _count(FormSubmission) == 0
    assert _post(client, world, "retry-1").status_code == 201 and _count(Case) == 1


def test_idempotency_keys_belong_to_their_api_key(client, world):
    assert _post(client, world, "shared-1").status_code == 201
    theirs = _post(client, world, "shared-1", api_key=world["other_key"])
    # The other county's key does not get this county's case: it files its own (and has no
    # resident with the number).
    assert theirs.status_code == 400 and "No resident" in theirs.get_json()[0]["description"]


@pytest.mark.parametrize("value", ["x" * 101, "two words", "键"])
def test_a_malformed_idempotency_key_is_refused(client, world, value):
    response = client.post(
        "/open311/v2/requests.json",
        data=_form(world),
        headers=[("Idempotency-Key", value.encode().decode("latin-1"))],
    )
    assert (
        response.status_code == 400 and "Idempotency-Key" in response.get_json()[0]["description"]
    )
    assert _count(Case) == 0


def test_two_posts_racing_with_one_idempotency_key_make_one_case(client, world, monkeypatch):
    first = _post(client, world, "race-1")
    # The second request looked before the first one committed: it sees nothing, files, and
    # the unique token stops it; it answers with the first one's case.
    looked = []
    earlier = open311_filing.earlier_request

    def not_yet(session, key, client_key):
        looked.append(client_key)
        return None if len(looked) == 1 else earlier(session, key, client_key)

    monkeypatch.setattr(open311_filing, "earlier_request", not_yet)
    again = _post(client, world, "race-1")
    assert again.status_code == 200 and len(looked) == 2
    assert again.get_json() == first.get_json()
    assert _count(Case) == 1 and _count(Notification) == 1 and _count(FormSubmission) == 1
