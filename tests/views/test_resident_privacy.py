"""Privacy (issue 3, point 12): every resident route, given a stranger's ids, answers 404.

The routes are read from `app.url_map`, so a journey added later is walked too. Each integer
parameter is filled with resident B's object of the matching kind (by parameter name); a
parameter this test cannot map fails it, so nobody can add a route that escapes the walk.
"""

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Case,
    CaseEvent,
    CaseType,
    Delivery,
    ItemStatus,
    NeedItem,
    Notification,
    Plan,
    PlanItem,
    PlanPart,
    PlanStatus,
    Rating,
    Role,
    User,
)
from tests.case_factories import resolve
from tests.factories import (
    create_area,
    create_case,
    create_guardianship,
    create_resident_user,
    create_user,
)

INT_PARAM = re.compile(r"<int:([a-z_]+)>")
#: Every plausible field a resident form might read, filled so a leaking handler would act.
PAYLOAD = {
    "reply-text": "陌生人的回复",
    "reopen-reason": "陌生人要重办",
    "rating-level": "dissatisfied",
    "rating-comment": "陌生人",
    "level": "dissatisfied",
    "comment": "陌生人",
    "reason": "陌生人",
    "text": "陌生人",
    "description": "陌生人说这里不对",
    "part": "other",
    "confirm": "yes",
}


def _strangers_objects():
    """Resident B with a resolved complaint, an open need, and a current plan with a delivery."""
    _, b = create_resident_user(create_area())
    complaint = resolve(create_case(b))
    need = create_case(b, case_type=CaseType.NEED)
    need_item = db.session.scalar(select(NeedItem).where(NeedItem.kind != "status").limit(1))
    plan = Plan(resident_id=b.id, year=date.today().year, status=PlanStatus.ACTIVE)
    item = PlanItem(
        part=PlanPart.ASSISTANCE,
        need_item_id=need_item.id,
        status=ItemStatus.DELIVERED,
        description="轮椅",
    )
    plan.items.append(item)
    db.session.add(plan)
    db.session.flush()
    delivery = Delivery(
        plan_item_id=item.id,
        delivered_on=date.today() - timedelta(days=1),
        responsible="县残联",
        project_name="辅具适配",
        funds_yuan=Decimal("800.00"),
        measures="上门适配",
        effect="能出门了",
    )
    db.session.add(delivery)
    db.session.commit()
    ids = {
        "case_id": [complaint.id, need.id],
        "need_id": [need.id],
        "plan_id": [plan.id],
        "item_id": [item.id],
        "delivery_id": [delivery.id],
    }
    return b, ids


def _state(resident_id):
    """Everything a stranger's request could change about resident B."""
    db.session.expire_all()
    cases = db.session.execute(
        select(Case.id, Case.status, Case.reopen_count, Case.escalation_level, Case.closed_at)
        .where(Case.resident_id == resident_id)
        .order_by(Case.id)
    ).all()
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (CaseEvent, Rating, Notification, Case)
    ]
    items = db.session.execute(
        select(PlanItem.id, PlanItem.status).join(Plan).where(Plan.resident_id == resident_id)
    ).all()
    plans = db.session.execute(
        select(Plan.id, Plan.status, Plan.agreed_at).where(Plan.resident_id == resident_id)
    ).all()
    return [tuple(r) for r in cases], counts, [tuple(r) for r in items], [tuple(r) for r in plans]


def _resident_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        # Webhooks answer only Twilio's signature (403 otherwise: tests/webhooks).
        if not rule.endpoint.startswith(("admin.", "webhooks.")) and INT_PARAM.search(rule.rule)
    ]


def _urls(rule, ids):
    names = INT_PARAM.findall(rule.rule)
    unknown = [name for name in names if name not in ids]
    assert not unknown, (
        f"{rule.endpoint} ({rule.rule}) has integer parameter(s) {unknown} this test cannot fill "
        "with a stranger's object: map them in tests/views/test_resident_privacy.py"
    )
    for values in itertools.product(*(ids[name] for name in names)):
        url = rule.rule
        for name, value in zip(names, values, strict=True):
            url = url.replace(f"<int:{name}>", str(value), 1)
        yield url


def _sign_in_as(who, client_request, b):
    if who == "resident":
        user, _ = create_resident_user(create_area())
    else:
        user = create_user(Role.GUARDIAN)
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        create_guardianship(user, b, valid_from=date(2020, 1, 1), expires_on=yesterday)
    db.session.commit()
    client_request.login(user)


@pytest.mark.parametrize("who", ["resident", "expired_guardian"])
def test_every_resident_route_answers_404_for_a_strangers_ids(app, client_request, who):
    b, ids = _strangers_objects()
    _sign_in_as(who, client_request, b)
    before = _state(b.id)
    rules = _resident_rules(app)
    assert {"cases.show", "cases.reply", "cases.rate"} <= {r.endpoint for r in rules}
    wrong = []
    for rule in rules:
        for url in _urls(rule, ids):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client_request.client.open(url, method=method, data=PAYLOAD)
                if response.status_code != 404:
                    wrong.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
    assert not wrong, "a stranger's ids must answer 404:\n" + "\n".join(wrong)
    assert _state(b.id) == before, "a stranger's request changed resident B's records"


def test_the_walk_fails_for_a_parameter_it_cannot_map(app):
    class FakeRule:
        endpoint = "x.y"
        rule = "/things/<int:thing_id>"

    with pytest.raises(AssertionError, match="thing_id"):
        list(_urls(FakeRule(), {"case_id": [1]}))


def test_control_the_owner_reaches_the_same_objects(app, client_request):
    b, ids = _strangers_objects()
    owner = db.session.scalar(select(User).where(User.resident_id == b.id))
    client_request.login(owner)
    for case_id in ids["case_id"]:
        response = client_request.client.get(f"/cases/{case_id}")
        assert response.status_code == 200, case_id
