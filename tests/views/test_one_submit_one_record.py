"""One submit, one record (#11, point 1): every creating form is idempotent per rendered form.

Each scenario posts one creating form with a token the form would have rendered. The same
post twice (a double click, a resend) makes one record and the second answer is the first's
(the same page and the same message); the same post twice at once, from two threads, makes
one; a token the site never rendered (or rendered for another form or person) is refused
beside the form, which comes back with a fresh one, and nothing is made.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.form_tokens import issued, new_token
from portal.forms import BaseForm
from portal.models import (
    AreaLevel,
    AuditEvent,
    Case,
    CaseType,
    Delivery,
    ImportRun,
    NeedsAnswer,
    NeedsRecord,
    Plan,
    PlanItem,
    PlanStatus,
    Rating,
    Role,
    User,
)
from portal.models.submission import FormSubmission
from portal.services.surveys.survey_import import stored_file, template_header
from tests.case_factories import create_resolved_case
from tests.factories import create_area, create_resident_user, create_user
from tests.html import ClientRequest, error_summary
from tests.import_files import id_number, survey_row, to_csv
from tests.plan_factories import create_delivered_plan, create_plan, create_plan_item, need_item

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's default TIMEZONE
REFUSED = (
    "This form was not sent from this page, so nothing was saved. "
    "Check your answers and send it again."
)


@dataclass
class Post:
    """One creating form's post: who sends it, where, what, and what counts as its record."""

    user: User
    url: str
    data: dict[str, str]
    kind: str
    prefix: str
    made: Callable[[], Any]  # the records the post makes, counted
    redirect: int = 302  # the answer to a post that made (or had made) its record

    @property
    def field(self) -> str:
        return self.prefix + "form_token"

    def with_token(self, token: str | None = None) -> dict[str, str]:
        return {**self.data, self.field: token or new_token(self.kind, self.user.id)}


def count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audits(action: str) -> int:
    return count(AuditEvent, AuditEvent.action == action)


def _village():
    county = create_area("511321000000", AreaLevel.COUNTY)
    return create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)


def _resident(**kw: Any):
    return create_resident_user(_village(), **kw)


def case_post() -> Post:
    user, _ = _resident()
    data = {"case_type": "complaint", "category": need_item().code, "description": "盲道被占用了"}
    return Post(user, "/cases/new", data, "case", "", lambda: count(Case))


def need_post() -> Post:
    user, _ = _resident()
    data = {"item": "ACC.WHEELCHAIR", "details": "轮椅坏了", "contact_time": ""}
    return Post(user, "/needs/new", data, "need", "", lambda: count(Case))


def record_correction_post() -> Post:
    user, _ = _resident()
    data = {"part": "disability", "what_is_wrong": "应为三级"}
    return Post(user, "/record/correction", data, "record_correction", "", lambda: count(Case))


def plan_correction_post() -> Post:
    user, resident = _resident()
    item = create_plan_item(create_plan(resident, status=PlanStatus.ACTIVE))
    url = f"/plan/items/{item.id}/correction"
    data = {"what_is_wrong": "我已经有轮椅了"}
    return Post(user, url, data, "plan_correction", "", lambda: count(Case))


def delivery_rating_post() -> Post:
    user, resident = _resident()
    _plan, _item, delivery = create_delivered_plan(resident)
    url = f"/plan/deliveries/{delivery.id}/rating"
    data = {"level": "dissatisfied", "comment": "轮椅太重"}
    follow_ups = Case.type == CaseType.FOLLOW_UP
    return Post(user, url, data, "rating", "", lambda: (count(Rating), count(Case, follow_ups)))


def case_rating_post() -> Post:
    user, resident = _resident()
    case = create_resolved_case(resident)
    url = f"/cases/{case.id}/rating"
    data = {"rating-level": "dissatisfied", "rating-comment": "还是没修好"}
    return Post(user, url, data, "case_rating", "rating-", lambda: count(Rating))


def _staff_world():
    village = _village()
    _user, resident = create_resident_user(village)
    staff = create_user(Role.VILLAGE_WORKER, area_id=village.id)
    return staff, resident


def survey_post() -> Post:
    staff, resident = _staff_world()
    wheelchair = need_item("ACC.WHEELCHAIR").id
    data = {
        "survey-surveyed_on": TODAY.isoformat(),
        "survey-surveyed_by": str(staff.id),
        "survey-living_arrangement": "alone",
        "survey-income_support": "y",
        f"survey-need_{wheelchair}": "y",
        f"survey-note_{wheelchair}": "轮椅坏了",
    }
    url = f"/admin/residents/{resident.id}/survey/{TODAY.year}"
    return Post(
        staff, url, data, "survey", "survey-", lambda: (count(NeedsRecord), audits("survey.save"))
    )


def _active_item():
    staff, resident = _staff_world()
    plan = create_plan(resident, year=TODAY.year, status=PlanStatus.ACTIVE)
    return staff, create_plan_item(plan, code="ACC.WHEELCHAIR")


def delivery_post() -> Post:
    staff, item = _active_item()
    data = {
        "delivery-delivered_on": TODAY.isoformat(),
        "delivery-responsible": "区残联康复科",
        "delivery-project": "ACC.WHEELCHAIR",
        "delivery-funds_yuan": "1200.50",
        "delivery-measures": "上门评估并配发轮椅",
        "delivery-effect": "可以自己出门买菜",
    }
    url = f"/admin/plan-items/{item.id}/deliveries/new"
    return Post(staff, url, data, "delivery", "delivery-", lambda: count(Delivery))


def not_delivered_post() -> Post:
    staff, item = _active_item()
    url = f"/admin/plan-items/{item.id}/not-delivered"
    data = {"not-delivered-reason": "今年的轮椅已发完"}
    made = lambda: audits("plan_item.not_delivered")  # noqa: E731
    return Post(staff, url, data, "not_delivered", "not-delivered-", made)


def _needs_record(resident) -> NeedsRecord:
    record = NeedsRecord(
        resident_id=resident.id, year=TODAY.year, surveyed_on=date(TODAY.year, 1, 10)
    )
    record.answers = [NeedsAnswer(need_item_id=need_item("ACC.WHEELCHAIR").id, needed=True)]
    db.session.add(record)
    db.session.flush()
    return record


def plan_start_post() -> Post:
    staff, resident = _staff_world()
    _needs_record(resident)
    url = f"/admin/residents/{resident.id}/plan/start"
    return Post(staff, url, {}, "plan_start", "start-", lambda: count(Plan))


PLANNED = {
    "decision": "planned",
    "part": "assistance",
    "description": "Fit a wheelchair",
    "responsible": "County rehab office",
    "planned_by": f"{TODAY.year}-06-30",
}


def _draft(resident) -> Plan:
    return create_plan(resident, year=TODAY.year, status=PlanStatus.DRAFT, is_current=False)


def plan_answer_post() -> Post:
    staff, resident = _staff_world()
    answer = _needs_record(resident).answers[0]
    plan = _draft(resident)
    url = f"/admin/residents/{resident.id}/plan/{plan.id}/needs/{answer.id}"
    prefix = f"need-{answer.id}-"
    data = {prefix + key: value for key, value in PLANNED.items()}
    return Post(staff, url, data, "plan_item", prefix, lambda: count(PlanItem))


def plan_item_post() -> Post:
    staff, resident = _staff_world()
    _needs_record(resident)
    plan = _draft(resident)
    url = f"/admin/residents/{resident.id}/plan/{plan.id}/items"
    data = {"extra-" + key: value for key, value in PLANNED.items()}
    data["extra-need_item"] = str(need_item("ACC.WHEELCHAIR").id)
    return Post(staff, url, data, "plan_item", "extra-", lambda: count(PlanItem))


#: The import runs handed to the job (it runs inline in tests): one apply, one job.
APPLY_JOBS: list[int] = []


def _counted_apply(run_id: int) -> None:
    from portal.jobs.imports import apply_import

    APPLY_JOBS.append(run_id)
    apply_import(run_id)


def import_apply_post() -> Post:
    county = create_area("511321000000", AreaLevel.COUNTY)
    create_area("511321101201", AreaLevel.VILLAGE, parent_id=county.id)
    staff = create_user(Role.COUNTY_STAFF, area_id=county.id)
    header = template_header(db.session)
    data = to_csv([header, survey_row(header, id_number=id_number(1), name="王一")])
    run = ImportRun(
        user_id=staff.id,
        area_id=county.id,
        filename="survey.csv",
        sha256=hashlib.sha256(data).hexdigest(),
        year=TODAY.year,
        status="checked",
        rows_total=1,
    )
    db.session.add(run)
    db.session.flush()
    stored_file(Path(current_app.config["IMPORT_FOLDER"]), run).write_bytes(data)
    url = f"/admin/imports/{run.id}/apply"
    return Post(staff, url, {}, "import_apply", "apply-", lambda: len(APPLY_JOBS), 303)


POSTS = {
    "case": case_post,
    "need": need_post,
    "record correction": record_correction_post,
    "plan correction": plan_correction_post,
    "delivery rating": delivery_rating_post,
    "case rating": case_rating_post,
    "survey": survey_post,
    "delivery": delivery_post,
    "not delivered": not_delivered_post,
    "plan start": plan_start_post,
    "plan answer": plan_answer_post,
    "plan item": plan_item_post,
    "import apply": import_apply_post,
}


@pytest.fixture(params=list(POSTS), ids=list(POSTS))
def post(request, app, monkeypatch, tmp_path) -> Post:
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(tmp_path))
    monkeypatch.setattr("admin.imports.apply_import", _counted_apply)
    APPLY_JOBS.clear()
    made = POSTS[request.param]()
    db.session.commit()
    return made


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    """The messages the last answer left for the next page (taken, as that page would)."""
    with client.session_transaction() as session:
        return [tuple(message) for message in session.pop("_flashes", [])]


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = ClientRequest(app.test_client())
    client.login(user)
    client.set_locale("en")
    return client.client


def test_the_same_post_twice_makes_one_record_and_shows_it_again(app, post):
    client = signed_in(app, post.user)
    before = post.made()
    data = post.with_token()
    first = client.post(post.url, data=data)
    assert first.status_code == post.redirect, first.get_data(as_text=True)[:500]
    made, first_flashes = post.made(), flashes(client)
    assert made != before
    second = client.post(post.url, data=data)
    assert (second.status_code, second.location) == (first.status_code, first.location)
    assert flashes(client) == first_flashes
    assert post.made() == made
    [submission] = db.session.scalars(select(FormSubmission)).all()
    assert submission.token == data[post.field] and submission.user_id == post.user.id
    assert submission.kind.partition(".")[0] == post.kind and submission.record_id is not None


def test_the_same_post_twice_at_once_makes_one_record(app, post, monkeypatch):
    """Both requests pass their checks together, then race to make the record: one does."""
    both_checked = threading.Barrier(2, timeout=5)
    validate = BaseForm.validate

    def validate_together(form, *args, **kwargs):
        try:
            both_checked.wait()
        except threading.BrokenBarrierError:
            pass  # the other request is already past this point
        return validate(form, *args, **kwargs)

    monkeypatch.setattr(BaseForm, "validate", validate_together)
    before = post.made()
    data = post.with_token()
    clients = [signed_in(app, post.user) for _ in range(2)]
    answers: list[Any] = [None, None]

    def send(index: int) -> None:
        try:
            with app.app_context():
                answers[index] = clients[index].post(post.url, data=data)
        except Exception as error:  # a server error: the test client raises it
            answers[index] = error

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not [a for a in answers if isinstance(a, Exception)], answers
    statuses = [answer.status_code for answer in answers]
    assert statuses == [post.redirect] * 2, statuses
    assert answers[0].location == answers[1].location
    assert flashes(clients[0]) == flashes(clients[1])
    made = post.made()
    assert made != before
    if isinstance(made, tuple):
        assert all(n == 1 for n in made), made
    else:
        assert made == 1
    assert count(FormSubmission) == 1


def _refused_page(client_request: ClientRequest, post: Post, token: str, status: int):
    page = client_request.post(post.url, {**post.data, post.field: token}, expected_status=status)
    assert REFUSED in error_summary(page)
    link = page.find(class_="error-summary").find("a", string=REFUSED)
    error = page.find(id=link["href"][1:])
    assert error is not None and REFUSED in error.get_text(" ", strip=True)
    fresh = page.find("input", attrs={"name": post.field})["value"]
    assert fresh != token and issued(post.kind, post.user.id, fresh)
    return fresh


def _status_of_refusal(post: Post) -> int:
    return 400 if post.url.startswith("/admin/") else 200


@pytest.mark.parametrize("token", ["", "made-up", "x" * 200], ids=["empty", "forged", "long"])
def test_a_token_the_site_never_rendered_is_refused_beside_the_form(client_request, post, token):
    client_request.login(post.user)
    client_request.set_locale("en")
    before = post.made()
    fresh = _refused_page(client_request, post, token, _status_of_refusal(post))
    assert post.made() == before and count(FormSubmission) == 0
    # Sent again as the page now has it: it is made.
    client_request.post(post.url, {**post.data, post.field: fresh}, expected_status=post.redirect)
    assert post.made() != before and count(FormSubmission) == 1


def test_a_token_rendered_for_another_form_or_person_is_refused(client_request, post):
    client_request.login(post.user)
    client_request.set_locale("en")
    before = post.made()
    status = _status_of_refusal(post)
    other = "need" if post.kind != "need" else "case"
    _refused_page(client_request, post, new_token(other, post.user.id), status)
    _refused_page(client_request, post, new_token(post.kind, post.user.id + 1000), status)
    assert post.made() == before and count(FormSubmission) == 0


def test_each_rendering_of_a_form_carries_a_fresh_token(client_request):
    user, _ = _resident()
    db.session.commit()
    client_request.login(user)
    tokens = [
        client_request.get("/cases/new").find("input", attrs={"name": "form_token"})["value"]
        for _ in range(2)
    ]
    assert tokens[0] != tokens[1]
    assert all(issued("case", user.id, token) for token in tokens)


def test_a_form_sent_back_with_errors_keeps_its_token_and_then_makes_one(client_request):
    user, _ = _resident()
    db.session.commit()
    client_request.login(user)
    token = new_token("case", user.id)
    data = {"case_type": "complaint", "category": need_item().code, "form_token": token}
    page = client_request.post("/cases/new", data, expected_status=200)  # no description
    assert page.find("input", attrs={"name": "form_token"})["value"] == token
    assert count(Case) == 0
    data["description"] = "盲道被占用了"
    client_request.post("/cases/new", data)
    client_request.post("/cases/new", data)
    assert count(Case) == 1
