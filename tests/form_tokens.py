"""Posting a creating form as a browser would: with the one-time token the form renders.

`client_request.post` adds a fresh token to every post to a creating view (one a test sets
itself, even empty, is left alone), so the views' other tests need not know about tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from admin.deliveries import DeliveryForm, NotDeliveredForm
from admin.imports import ApplyForm
from admin.plan_page import PlanItemForm, StartForm
from admin.survey import SurveyForm
from portal.form_tokens import OneSubmitForm, new_token
from portal.views.cases import CaseForm, CaseRatingForm
from portal.views.needs import NeedForm
from portal.views.plan import CorrectionForm
from portal.views.ratings import RatingForm
from portal.views.record import RecordCorrectionForm

Prefix = str | Callable[[Mapping[str, Any]], str]

#: Each creating view's form and the prefix of its fields (from the URL's arguments if needed).
CREATING_VIEWS: dict[str, tuple[type[OneSubmitForm], Prefix]] = {
    "cases.new": (CaseForm, ""),
    "cases.rate": (CaseRatingForm, "rating-"),
    "needs.new": (NeedForm, ""),
    "record.correct": (RecordCorrectionForm, ""),
    "plan.correct_item": (CorrectionForm, ""),
    "ratings.rate_delivery": (RatingForm, ""),
    "ratings.rate_plan": (RatingForm, ""),
    "admin.survey": (SurveyForm, "survey-"),
    "admin.create_delivery": (DeliveryForm, "delivery-"),
    "admin.item_not_delivered": (NotDeliveredForm, "not-delivered-"),
    "admin.resident_plan_start": (StartForm, "start-"),
    "admin.resident_plan_answer": (PlanItemForm, lambda args: f"need-{args['answer_id']}-"),
    "admin.resident_plan_add_item": (PlanItemForm, "extra-"),
    "admin.import_apply": (ApplyForm, "apply-"),
}


def signed_in_user_id(client: FlaskClient) -> int | None:
    """The id of the user the client's session is signed in as (Flask-Login's "id:version")."""
    with client.session_transaction() as session:
        login = str(session.get("_user_id") or "")
    user_id = login.partition(":")[0]
    return int(user_id) if user_id.isdigit() else None


def token_field(url: str) -> tuple[str, str] | None:
    """The token's field name and kind for a post to `url`; None if it makes nothing."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, args = adapter.match(urlsplit(url).path, method="POST")
    except HTTPException:
        return None
    if endpoint not in CREATING_VIEWS:
        return None
    form, prefix = CREATING_VIEWS[endpoint]
    return (
        prefix if isinstance(prefix, str) else prefix(args)
    ) + "form_token", form.submission_kind


def with_form_token(client: FlaskClient, url: str, data: Any) -> Any:
    """`data` with a token the form at `url` would have rendered for the signed-in user."""
    if not isinstance(data, dict):
        return data
    found = token_field(url)
    if found is None or found[0] in data:
        return data
    name, kind = found
    return {**data, name: new_token(kind, signed_in_user_id(client))}
