"""Sales API: deals CRUD and moves (version → 409), money hidden without view_financials,
pipelines and stages only with manage_pipelines."""

from __future__ import annotations

import json

import pytest

from kehu.sales.models import Deal, Stage
from tests.conftest import force_login_verified


@pytest.fixture
def rep(make_user):
    return make_user("api-rep", roles=("sales_rep",))


def as_user(client, user):
    force_login_verified(client, user)
    return client


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_create_get_list_patch_delete(client, director, make_customer, stages):
    customer = make_customer(director)
    as_user(client, director)
    response = post(
        client, "/api/v1/deals", {"title": "API 商机", "customer_id": customer.pk, "amount": "900"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "900.00" and body["stage_id"] == stages["Lead"].pk
    deal_id = body["id"]
    assert client.get(f"/api/v1/deals/{deal_id}").json()["title"] == "API 商机"
    items = client.get("/api/v1/deals?status=open").json()["items"]
    assert [i["id"] for i in items] == [deal_id]
    response = client.patch(
        f"/api/v1/deals/{deal_id}",
        json.dumps({"title": "改名"}),
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/deals/{deal_id}",
        json.dumps({"title": "旧版本", "version": 1}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert client.delete(f"/api/v1/deals/{deal_id}").status_code == 204
    assert not Deal.objects.filter(pk=deal_id).exists()


def test_move_needs_version_and_reason(client, rep, make_deal, stages):
    deal = make_deal(rep)
    as_user(client, rep)
    url = f"/api/v1/deals/{deal.pk}/move"
    assert post(client, url, {"stage_id": stages["Follow-up"].pk}).status_code == 428
    response = post(client, url, {"stage_id": stages["Follow-up"].pk}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response.json()["stage_id"] == stages["Follow-up"].pk
    assert (
        post(client, url, {"stage_id": stages["Negotiation"].pk, "version": 1}).status_code == 409
    )
    refused = post(client, url, {"stage_id": stages["Lost"].pk, "version": 2})
    assert refused.status_code in (400, 422)
    assert Deal.objects.get(pk=deal.pk).stage == stages["Follow-up"]
    ok = post(client, url, {"stage_id": stages["Lost"].pk, "version": 2, "reason": "没预算"})
    assert ok.status_code == 200 and ok.json()["lost_reason"] == "没预算"


def test_money_absent_for_rep(client, rep, director, make_deal, pipeline):
    deal = make_deal(rep)
    as_user(client, rep)
    body = client.get(f"/api/v1/deals/{deal.pk}").json()
    assert "amount" not in body and "weighted_amount" not in body
    listing = client.get("/api/v1/deals").json()
    assert "amount" not in json.dumps(listing)
    board = client.get(f"/api/v1/pipelines/{pipeline.pk}/board").json()
    assert board[0]["count"] == 1 and "total" not in board[0] and "weighted" not in board[0]
    as_user(client, director)
    board = client.get(f"/api/v1/pipelines/{pipeline.pk}/board").json()
    assert board[0]["total"] == "0.00" and "weighted" in board[0]


def test_rep_cannot_smuggle_amount(client, rep, make_customer, pipeline):
    customer = make_customer(rep)
    as_user(client, rep)
    response = post(
        client, "/api/v1/deals", {"title": "x", "customer_id": customer.pk, "amount": 5}
    )
    assert response.status_code == 403
    assert not Deal.objects.exists()


def test_pipelines_and_stages_need_manage_pipelines(client, rep, director, pipeline, stages):
    as_user(client, rep)
    assert client.get("/api/v1/pipelines").status_code == 200
    assert (
        post(client, f"/api/v1/pipelines/{pipeline.pk}/stages", {"name": "演示"}).status_code == 403
    )
    assert (
        client.patch(
            f"/api/v1/stages/{stages['Lead'].pk}",
            json.dumps({"time_limit": 3}),
            content_type="application/json",
        ).status_code
        == 403
    )
    as_user(client, director)
    created = post(
        client,
        f"/api/v1/pipelines/{pipeline.pk}/stages",
        {
            "name": "方案演示",
            "name_en": "Demo",
            "time_limit": 8,
            "time_limit_unit": "working_hours",
        },
    )
    assert created.status_code == 201, created.content
    stage_id = created.json()["id"]
    changed = client.patch(
        f"/api/v1/stages/{stage_id}",
        json.dumps({"time_limit": 3, "version": 1}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["time_limit"] == 3
    order = [stage_id, *[s.pk for s in stages.values()]]
    response = client.put(
        f"/api/v1/pipelines/{pipeline.pk}/stages/order",
        json.dumps({"stage_ids": order}),
        content_type="application/json",
    )
    assert [s["id"] for s in response.json()["stages"]] == order
    assert client.delete(f"/api/v1/stages/{stage_id}").status_code == 204
    assert not Stage.objects.filter(pk=stage_id).exists()
    new = post(client, "/api/v1/pipelines", {"name": "渠道销售"})
    assert new.status_code == 201
    assert client.delete(f"/api/v1/pipelines/{new.json()['id']}").status_code == 204
