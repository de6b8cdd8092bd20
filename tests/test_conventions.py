"""Meta-tests that keep the project's conventions from drifting (see style.md)."""

import ast
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.clients import job_queue
from portal.extensions import db
from portal.models import Base

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_ENDPOINTS = {
    "home.index",
    "auth.sign_in",
    "auth.sign_in_password",
    "auth.enter_code",  # without a phone in the session it sends people back to /sign-in
    "auth.new_code",
    "health.healthz",
    "health.healthz_messages",
    "static",
    "language.switch",
    "settings.toggle_large_text",  # visitors need larger text before they can sign in
    "directory.index",  # what services exist and the hotline: for everyone
    "open311.services",  # Open311: which case types a hotline may file
    "open311.service_definition",
}
#: Machine-to-machine routes (Open311): no sign-in, but an `api_key`; without one they refuse.
API_KEY_ENDPOINTS = {
    "open311.requests_list",
    "open311.request_detail",
    "open311.create_request",
    "open311.token",
}
URL_RULE = re.compile(r"^(/|(/([a-z0-9]+(-[a-z0-9]+)*|<(int|uuid):[a-z_]+>))+/?)$")
#: Open311 GeoReport v2 fixes its own paths: `/open311/v2/<noun>[/<id>].json`.
OPEN311_RULE = re.compile(r"^/open311/v2/[a-z]+(/<[a-z_]+>)?\.json$")


#: Files served under names browsers and the static route fix, not pages (public by nature).
FILE_ENDPOINTS = {"static", "favicon"}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in FILE_ENDPOINTS]


def test_every_admin_route_is_for_staff_only(app):
    for rule in _rules(app):
        if rule.endpoint.startswith("admin."):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "staff_only", False), f"{rule} lacks @staff_required"


def test_every_non_public_route_requires_sign_in(app, client):
    for rule in _rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint in API_KEY_ENDPOINTS:
            continue
        if rule.endpoint.startswith("webhooks."):
            continue  # Twilio has no session: its signature is checked instead (test below)
        url = re.sub(r"<(int|uuid):[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert response.location.startswith("/sign-in"), f"{method} {url}"


def test_every_webhook_refuses_an_unsigned_request(app, client):
    """Webhooks are open to the internet: without Twilio's signature they answer 403."""
    rules = [rule for rule in _rules(app) if rule.endpoint.startswith("webhooks.")]
    assert rules
    for rule in rules:
        url = re.sub(r"<(int|uuid):[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, f"{method} {url} answered {response.status_code}"


def test_api_key_routes_refuse_without_a_key(app, client):
    """Neither public nor for signed-in people: every call without a valid key gets 403."""
    rules = [rule for rule in _rules(app) if rule.endpoint in API_KEY_ENDPOINTS]
    assert {rule.endpoint for rule in rules} == API_KEY_ENDPOINTS
    for rule in rules:
        url = re.sub(r"<[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for query in ("", "?api_key=not-a-key"):
                response = client.open(url + query, method=method)
                assert response.status_code == 403, f"{method} {url}{query}"
                assert response.get_json()[0]["code"] == 403


def test_urls_are_lowercase_kebab_case_with_typed_parameters(app):
    for rule in _rules(app):
        if rule.endpoint.startswith("open311."):
            assert OPEN311_RULE.match(rule.rule), f"{rule.rule} is not a GeoReport v2 path"
            continue
        assert URL_RULE.match(rule.rule), (
            f"{rule.rule} is not lowercase kebab-case with typed parameters"
        )


def test_every_queue_has_a_worker(app, monkeypatch):
    listened = []

    class FakeWorker:
        stop_signalled = False

        def __init__(self, queues, **_):
            listened.extend(q.name for q in queues)

        def work(self, **_):
            return True

    import fakeredis

    from portal.jobs import worker

    monkeypatch.setattr(worker, "WenxuWorker", FakeWorker)
    app.extensions["redis"] = fakeredis.FakeRedis()
    try:
        worker.run_worker(burst=True)
    finally:
        del app.extensions["redis"]
    constants = {v for k, v in vars(job_queue).items() if k.startswith("QUEUE_")}
    assert constants == set(job_queue.QUEUES) == set(listened)


def test_after_commit_refuses_an_unknown_queue():
    with pytest.raises(ValueError, match="unknown queue"):
        job_queue.after_commit(db.session, "nope", print)


def test_migrations_from_empty_equal_the_models(app):
    """The session's schema was built by `flask db upgrade` from empty (see conftest)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migration_revisions_are_numbered():
    names = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert names and all(re.match(r"^\d{4}_[a-z0-9_]+\.py$", n) for n in names)
    assert [n[:4] for n in names] == [f"{i:04d}" for i in range(1, len(names) + 1)]


def test_no_print_in_application_code():
    for package in ("portal", "admin"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
            assert not any(isinstance(c.func, ast.Name) and c.func.id == "print" for c in calls), (
                path
            )


def _form_classes():
    """Every WTForms form class defined in portal/ or admin/ (the app imports them all)."""
    from wtforms import Form

    found, todo = set(), [Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in ("portal", "admin"):
                found.add(sub)
    return found


def test_every_form_inherits_the_base_form_that_refuses_control_characters(app):
    """portal.forms.BaseForm gives every field the control-character check by construction."""
    from portal.forms import BaseForm

    forms = _form_classes()
    assert len(forms) > 30
    assert not [f"{f.__module__}.{f.__qualname__}" for f in forms if not issubclass(f, BaseForm)]
    # A module nobody imports yet would escape the check above: read the sources too.
    for package in ("portal", "admin"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "portal" / "forms.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = {ast.unparse(base) for base in node.bases}
                    assert not bases & {"FlaskForm", "Form", "wtforms.Form"}, (
                        f"{path.relative_to(ROOT)}: {node.name} must inherit portal.forms.BaseForm"
                    )


#: Issue #13: a module longer than this, or a function longer than that, is split along a seam.
MODULE_MAX_LINES = 400
FUNCTION_MAX_LINES = 60


def test_modules_and_functions_stay_short():
    """No module in portal/ or admin/ over 400 lines, no function over 60 (`def` to its last
    line, decorators not counted); the message lists every offender."""
    offenders = []
    for package in ("portal", "admin"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            name = path.relative_to(ROOT).as_posix()
            lines = len(source.splitlines())
            if lines > MODULE_MAX_LINES:
                offenders.append(f"{name}: {lines} lines")
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > FUNCTION_MAX_LINES:
                        offenders.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not offenders, "\n".join(offenders)
