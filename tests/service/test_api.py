"""The service-desk API: tickets, status, conversation, assignment, SLA policies."""

from __future__ import annotations

import json

import pytest

from kehu.service.models import SLAPolicy, Ticket
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


def _json(client, method, url, data=None, **headers):
    return getattr(client, method)(
        url,
        json.dumps(data) if data is not None else None,
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def api(client, agent):
    force_login_verified(client, agent)
    return client


def test_open_list_filter_and_get(api, agent, make_policy):
    make_policy(priority="urgent", first_response_minutes=30, resolution_minutes=120)
    created = _json(api, "post", "/api/v1/tickets", {"subject": "系统崩溃", "priority": "urgent"})
    assert created.status_code == 201
    body = created.json()
    assert body["number"].startswith("T-") and body["first_response_due_at"]
    _json(api, "post", "/api/v1/tickets", {"subject": "一般咨询"})
    urgent = api.get("/api/v1/tickets?priority=urgent").json()["items"]
    assert [t["id"] for t in urgent] == [body["id"]]
    assert api.get(f"/api/v1/tickets/{body['id']}").json()["subject"] == "系统崩溃"
    bad = _json(api, "post", "/api/v1/tickets", {"subject": "x", "priority": "whenever"})
    assert bad.status_code == 422


def test_patch_needs_a_fresh_version(api, agent, make_ticket):
    t = make_ticket(actor=agent, assignee=agent)
    url = f"/api/v1/tickets/{t.pk}"
    assert _json(api, "patch", url, {"priority": "high"}).status_code == 428
    read = api.get(url).json()["version"]
    ok = _json(api, "patch", url, {"priority": "high"}, HTTP_IF_MATCH=f'"{read}"')
    assert ok.status_code == 200 and ok.json()["version"] == read + 1
    stale = _json(api, "patch", url, {"priority": "low", "version": read})
    assert stale.status_code == 409 and stale.json()["current_version"] == read + 1


def test_status_messages_and_assign(api, agent, make_ticket, make_user):
    t = make_ticket(actor=agent, assignee=agent)
    base = f"/api/v1/tickets/{t.pk}"
    wrong = _json(api, "post", f"{base}/status", {"status": "closed", "version": 99})
    assert wrong.status_code == 409
    invalid = _json(api, "post", f"{base}/status", {"status": "follow_up"})
    assert invalid.status_code == 422 and "不能改为" in json.dumps(
        invalid.json(), ensure_ascii=False
    )
    note = _json(api, "post", f"{base}/messages", {"kind": "note", "body": "内部"})
    assert note.status_code == 201
    _json(api, "post", f"{base}/messages", {"kind": "reply", "body": "您好"})
    kinds = [m["kind"] for m in api.get(f"{base}/messages").json()]
    assert kinds == ["note", "reply"]
    assert api.get(base).json()["status"] == "in_progress"
    mate = make_user("mate", roles=("tech_support",))
    moved = _json(api, "post", f"{base}/assign", {"assignee_id": mate.pk})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["assignee_id"] == mate.pk
    done = _json(api, "post", f"{base}/status", {"status": "resolved"})
    assert done.json()["status"] == "resolved" and done.json()["resolved_at"]


def test_sales_rep_cannot_assign_or_see_others(client, make_user, make_ticket):
    rep = make_user("rep", roles=("sales_rep",))
    other = make_user("other", roles=("tech_support",))
    own = make_ticket(actor=rep, assignee=rep)
    theirs = make_ticket(actor=other, assignee=other)
    force_login_verified(client, rep)
    assert client.get(f"/api/v1/tickets/{theirs.pk}").status_code == 404
    refused = _json(client, "post", f"/api/v1/tickets/{own.pk}/assign", {"assignee_id": other.pk})
    assert refused.status_code == 403
    # a rep may read their own ticket but not change it
    assert (
        _json(client, "post", f"/api/v1/tickets/{own.pk}/messages", {"body": "x"}).status_code
        == 404
    )


def test_sla_policies_need_manage_service(client, agent, manager):
    force_login_verified(client, agent)
    payload = {
        "name": "高",
        "priority": "high",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
    }
    assert _json(client, "post", "/api/v1/sla-policies", payload).status_code == 403
    force_login_verified(client, manager)
    created = _json(client, "post", "/api/v1/sla-policies", payload)
    assert created.status_code == 201
    pk = created.json()["id"]
    changed = _json(
        client, "patch", f"/api/v1/sla-policies/{pk}", {"warn_before_minutes": 5, "version": 1}
    )
    assert changed.status_code == 200 and changed.json()["warn_before_minutes"] == 5
    stale = _json(client, "patch", f"/api/v1/sla-policies/{pk}", {"name": "x", "version": 1})
    assert stale.status_code == 409
    assert len(client.get("/api/v1/sla-policies").json()) == 1
    assert client.delete(f"/api/v1/sla-policies/{pk}").status_code == 204
    assert not SLAPolicy.objects.exists()
    assert not Ticket.objects.exists()
