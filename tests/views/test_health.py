from unittest import mock

from sqlalchemy.exc import OperationalError


def test_healthz_reports_database_and_inline_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "queue": "inline"}


def test_healthz_is_503_when_the_database_is_down(client):
    error = OperationalError("SELECT 1", {}, Exception("connection refused"))
    with mock.patch("portal.views.health.db.session.execute", side_effect=error):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"
