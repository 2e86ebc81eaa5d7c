import json

import pytest
from django.test import Client

from kehu.core import services


def test_health_reports_every_part_without_login(client, db):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "queue"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_health_answers_503_when_a_part_fails(client, db, monkeypatch):
    from kehu.core import health

    def broken():
        raise ConnectionError("down")

    monkeypatch.setattr(health.cache, "set", lambda *a, **k: broken())
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "status": "error",
        "error": "ConnectionError",
        "backend": "local-memory",
    }


def test_anonymous_calls_get_problem_json_401(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_me_with_session(logged_in, user):
    response = logged_in.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_problem_messages_follow_the_users_language(client, db):
    client.cookies["kehu_language"] = "zh-hans"
    zh = client.get("/api/v1/me").json()["title"]
    client.cookies["kehu_language"] = "en"
    en = client.get("/api/v1/me").json()["title"]
    assert en == "Authentication required."
    assert zh != en


def test_unsafe_methods_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post("/api/v1/me/notifications/read", "{}", content_type="application/json")
    assert refused.status_code in (401, 403)
    client.get("/login/")  # sets the CSRF cookie as a page would
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/me/notifications/read",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200


def test_validation_errors_are_problem_json(logged_in):
    response = logged_in.post(
        "/api/v1/me/notifications/read", '{"ids": "x"}', content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["errors"][0]["loc"][-1] == "ids"


def test_notifications_page_with_cursors(logged_in, user, other_user):
    for i in range(7):
        services.notify(recipient=user, title=f"n{i}")
    services.notify(recipient=other_user, title="not mine")
    first = logged_in.get("/api/v1/me/notifications?limit=3").json()
    assert [n["title"] for n in first["items"]] == ["n6", "n5", "n4"]
    second = logged_in.get(f"/api/v1/me/notifications?limit=3&cursor={first['next_cursor']}")
    assert [n["title"] for n in second.json()["items"]] == ["n3", "n2", "n1"]
    back = logged_in.get(
        f"/api/v1/me/notifications?limit=3&direction=prev&cursor={second.json()['prev_cursor']}"
    )
    assert [n["title"] for n in back.json()["items"]] == ["n6", "n5", "n4"]


def test_bad_cursor_is_a_clear_400(logged_in):
    response = logged_in.get("/api/v1/me/notifications?cursor=%%%")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_mark_read_only_touches_own_notifications(logged_in, user, other_user):
    mine = services.notify(recipient=user, title="mine")
    theirs = services.notify(recipient=other_user, title="theirs")
    response = logged_in.post(
        "/api/v1/me/notifications/read",
        json.dumps({"ids": [mine.pk, theirs.pk]}),
        content_type="application/json",
    )
    assert response.json() == {"count": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_openapi_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Kehu API"


@pytest.mark.django_db
def test_committed_openapi_schema_matches(settings):
    """API changes are deliberate: regenerate with `kehu manage export_openapi_schema`."""
    from pathlib import Path

    from kehu.api import api

    committed = Path(settings.BASE_DIR, "schema", "openapi.json")
    generated = api.get_openapi_schema()
    assert committed.exists(), "schema/openapi.json is missing"
    assert json.loads(committed.read_text()) == json.loads(json.dumps(generated)), (
        "The API changed: run `.venv/bin/kehu manage openapi_schema` and commit the result."
    )
