"""Sales pages over HTTP: the board (totals, money hidden, constant queries), moving by drag
and drop, the deals table and export, deal pages, forecast, flow map and settings."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.sales import services
from kehu.sales.models import Deal
from tests.conftest import force_login_verified


@pytest.fixture
def rep(make_user):
    return make_user("rep-board", display_name="小王", roles=("sales_rep",))


def login(client, user):
    force_login_verified(client, user)
    return client


def test_board_shows_counts_totals_and_weighted_for_director(client, director, make_deal, stages):
    make_deal(director, amount=1000)
    make_deal(director, amount=3000)
    services.move_deal(
        actor=director, deal=make_deal(director, amount=500), stage=stages["Follow-up"]
    )
    page = login(client, director).get("/sales/")
    assert page.status_code == 200
    html = page.content.decode()
    lead = page.context["columns"][0]
    assert lead.stage == stages["Lead"]
    assert lead.count == 2
    assert lead.total == Decimal("4000.00")
    assert lead.weighted == Decimal("400.00")  # 10 % of 4,000
    follow = page.context["columns"][1]
    assert (follow.count, follow.total, follow.weighted) == (
        1,
        Decimal("500.00"),
        Decimal("150.00"),
    )
    assert 'data-field="amount"' in html and "¥4,000" in html


def test_board_hides_money_from_rep(client, rep, make_deal):
    make_deal(rep)
    page = login(client, rep).get("/sales/")
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["columns"][0].count == 1
    assert page.context["columns"][0].total is None
    assert 'data-field="amount"' not in html and 'data-field="weighted_amount"' not in html
    assert "¥" not in html


def test_board_queries_do_not_grow_with_deals(client, director, make_deal, stages):
    login(client, director)
    make_deal(director, amount=10)
    client.get("/sales/")  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get("/sales/")
    for i in range(12):
        deal = make_deal(director, amount=i)
        if i % 3 == 0:
            services.move_deal(actor=director, deal=deal, stage=stages["Negotiation"])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/sales/")
    assert sum(c.count for c in response.context["columns"]) == 13
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_board_filters(client, director, make_user, make_deal):
    other = make_user("other-rep", roles=("sales_rep",))
    mine = make_deal(director, source="展会")
    theirs = make_deal(other, source="官网")
    login(client, director)
    html = client.get(f"/sales/?owner={other.pk}").content.decode()
    assert theirs.title in html and mine.title not in html
    html = client.get("/sales/?source=展会").content.decode()
    assert mine.title in html and theirs.title not in html
    Deal.objects.filter(pk=theirs.pk).update(is_overdue=True)
    html = client.get("/sales/?overdue=true").content.decode()
    assert theirs.title in html and mine.title not in html


def test_move_endpoint(client, rep, make_deal, stages):
    deal = make_deal(rep)
    login(client, rep)
    url = f"/sales/deals/{deal.pk}/move/"
    response = client.post(url, {"stage": stages["Follow-up"].pk, "version": deal.version})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] and body["version"] == deal.version + 1
    assert body["summary"][str(stages["Follow-up"].pk)]["count"] == 1
    assert body["summary"][str(stages["Follow-up"].pk)]["total"] == ""  # no money for a rep
    # a stale version is refused with 409
    response = client.post(url, {"stage": stages["Negotiation"].pk, "version": deal.version})
    assert response.status_code == 409
    # lost without a reason: 400 and a message; nothing changes
    response = client.post(url, {"stage": stages["Lost"].pk, "version": deal.version + 1})
    assert response.status_code == 400
    assert response.json()["message"]
    assert Deal.objects.get(pk=deal.pk).stage == stages["Follow-up"]
    response = client.post(
        url, {"stage": stages["Lost"].pk, "version": deal.version + 1, "reason": "预算不足"}
    )
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).lost_reason == "预算不足"


def test_move_out_of_scope_is_404(client, rep, make_user, make_deal, stages):
    stranger = make_user("stranger-rep", roles=("sales_rep",))
    deal = make_deal(stranger)
    response = login(client, rep).post(
        f"/sales/deals/{deal.pk}/move/", {"stage": stages["Follow-up"].pk}
    )
    assert response.status_code == 404


def test_deal_pages(client, director, make_deal, stages):
    deal = make_deal(director, amount=800)
    services.move_deal(actor=director, deal=deal, stage=stages["Lost"], reason="选了竞品")
    login(client, director)
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "选了竞品" in html and "线索获取" in html
    assert client.get(f"/sales/deals/{deal.pk}/history/").status_code == 200
    assert client.get(f"/sales/deals/{deal.pk}/edit/").status_code == 200
    listing = client.get("/sales/deals/")
    assert deal.title in listing.content.decode()
    export = client.get("/sales/deals/?export=csv")
    assert export.status_code == 200


def test_create_deal_page(client, director, make_customer, stages):
    customer = make_customer(director)
    login(client, director)
    assert client.get(f"/sales/deals/new/?customer={customer.pk}").status_code == 200
    response = client.post(
        "/sales/deals/new/",
        {
            "title": "年度采购",
            "customer": customer.pk,
            "stage": stages["Follow-up"].pk,
            "amount": "20000",
            "probability": 30,
            "owner": director.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(title="年度采购")
    assert deal.stage == stages["Follow-up"] and deal.amount == Decimal("20000.00")


def test_edit_with_stale_version_is_409(client, director, make_deal):
    deal = make_deal(director)
    login(client, director)
    services.update_deal(actor=director, deal=deal, expected_version=deal.version, title="改过")
    response = client.post(
        f"/sales/deals/{deal.pk}/edit/",
        {"title": "我的改动", "probability": 10, "owner": director.pk, "version": 1},
    )
    assert response.status_code == 409
    assert Deal.objects.get(pk=deal.pk).title == "改过"


def test_forecast_by_month(client, director, rep, make_deal):
    import datetime as dt

    make_deal(director, amount=1000, expected_close_on=dt.date(2026, 5, 3))
    make_deal(director, amount=3000, expected_close_on=dt.date(2026, 5, 28))
    make_deal(director, amount=700, expected_close_on=dt.date(2026, 6, 1))
    page = login(client, director).get("/sales/forecast/")
    months = page.context["months"]
    assert [(m.month.strftime("%Y-%m"), m.count, m.total, m.weighted) for m in months] == [
        ("2026-05", 2, Decimal("4000.00"), Decimal("400.00")),
        ("2026-06", 1, Decimal("700.00"), Decimal("70.00")),
    ]
    chart = json.loads(page.context["chart"] and json.dumps(page.context["chart"]))
    assert chart["months"] == ["2026-05", "2026-06"]
    rep_page = login(client, rep).get("/sales/forecast/").content.decode()
    assert 'data-field="amount"' not in rep_page


def test_flow_map_shows_bottleneck(client, director, make_deal, stages):
    deal = make_deal(director)
    Deal.objects.filter(pk=deal.pk).update(is_overdue=True)
    page = login(client, director).get("/sales/map/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "pm-bottleneck" in html
    assert page.context["stats"][0].overdue == 1


def test_settings_need_manage_pipelines(client, rep, director, stages):
    assert login(client, rep).get("/sales/settings/").status_code == 403
    login(client, director)
    assert client.get("/sales/settings/").status_code == 200
    lead = stages["Lead"]
    response = client.post(
        "/sales/settings/",
        {
            "action": "update_stage",
            "pipeline": lead.pipeline_id,
            "stage": lead.pk,
            f"s{lead.pk}-name": "线索",
            f"s{lead.pk}-name_en": "Lead",
            f"s{lead.pk}-kind": "open",
            f"s{lead.pk}-probability": 15,
            f"s{lead.pk}-color": "slate",
            f"s{lead.pk}-time_limit": 4,
            f"s{lead.pk}-time_limit_unit": "working_hours",
            f"s{lead.pk}-version": lead.version,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.time_limit, lead.time_limit_unit) == ("线索", 4, "working_hours")
    follow = stages["Follow-up"]
    client.post(
        "/sales/settings/", {"action": "up", "pipeline": lead.pipeline_id, "stage": follow.pk}
    )
    follow.refresh_from_db()
    lead.refresh_from_db()
    assert follow.position < lead.position


def test_customer_timeline_shows_deals(client, director, make_deal, stages):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deal = make_deal(director)
    services.move_deal(actor=director, deal=deal, stage=stages["Follow-up"])
    url = f"/customers/{deal.customer_id}/"
    login(client, director).get(url)
    with CaptureQueriesContext(connection) as one_move:
        html = client.get(url).content.decode()
    entries = [e.split("</li>")[0] for e in html.split('<li class="t-deal"')[1:]]
    moved = [e for e in entries if str(stages["Follow-up"]) in e]
    assert len(entries) == 2 and deal.title in moved[0]
    assert str(director) in moved[0]  # who moved it
    for stage in ("Negotiation", "Follow-up", "Negotiation"):
        deal.refresh_from_db()
        services.move_deal(actor=director, deal=deal, stage=stages[stage])
    with CaptureQueriesContext(connection) as four_moves:
        html = client.get(url).content.decode()
    assert html.count('<li class="t-deal"') == 5
    assert len(four_moves) == len(one_move)


def test_add_and_remove_lines_on_the_deal_page(client, director, make_deal):
    from kehu.customers import services as customer_services

    product = customer_services.create_product(
        actor=director, code="L-1", name="标签纸", price="20"
    )
    deal = make_deal(director)
    login(client, director)
    url = f"/sales/deals/{deal.pk}/lines/"
    client.post(url, {"product": product.pk, "quantity": "5", "version": deal.version})
    deal.refresh_from_db()
    assert deal.amount == Decimal("100.00") and deal.lines.count() == 1
    line = deal.lines.get()
    client.post(url, {"remove": line.pk, "version": deal.version})
    deal.refresh_from_db()
    assert deal.amount == Decimal("0.00") and not deal.lines.exists()


def test_rep_cannot_add_priced_lines(client, rep, make_deal):
    from kehu.customers.models import Product

    product = Product.objects.create(code="L-2", name="色带", price="30")
    deal = make_deal(rep)
    login(client, rep)
    client.post(f"/sales/deals/{deal.pk}/lines/", {"product": product.pk, "version": deal.version})
    deal.refresh_from_db()
    assert not deal.lines.exists() and deal.amount == Decimal("0.00")


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


def test_export_keeps_money_to_those_who_may_see_it(client, director, rep, make_deal):
    mine = make_deal(rep)
    make_deal(director, amount=4321)
    csv = _body(login(client, director).get("/sales/deals/?export=csv&cols=amount&cols=customer"))
    assert "4321" in csv and mine.customer.name in csv
    csv = _body(login(client, rep).get("/sales/deals/?export=csv&cols=amount&cols=customer"))
    assert mine.title in csv and "4321" not in csv
    assert "0.00" not in csv  # the rep's own deal's amount column is absent too


def test_saved_views_on_the_board(client, make_user, make_deal):
    from kehu.accounts.models import Team

    rep = make_user("rep-views", roles=("sales_rep",))
    mate = make_user("rep-mate", roles=("sales_rep",))
    stranger = make_user("rep-stranger", roles=("sales_rep",))
    team = Team.objects.create(name="华南销售")
    team.members.add(rep, mate)
    late = make_deal(rep, title="逾期的商机")
    make_deal(rep, title="按时的商机")
    Deal.objects.filter(pk=late.pk).update(is_overdue=True)
    login(client, rep)
    page = client.get("/sales/?overdue=true").content.decode()
    assert 'name="query" value="overdue=true"' in page
    assert "data-board-error data-fallback=" in page  # a refused drop explains itself
    saved = client.post(
        "/views/save/",
        {"table": "sales:board", "name": "我的逾期", "query": "overdue=true", "team": team.pk},
    )
    assert saved.status_code == 302 and saved["Location"] == "/sales/?overdue=true"
    page = client.get("/sales/").content.decode()
    assert 'data-view="我的逾期"' in page and 'href="/sales/?overdue=true"' in page
    shown = client.get("/sales/?overdue=true").content.decode()
    assert "逾期的商机" in shown and "按时的商机" not in shown
    # shared with the team: a teammate finds it; someone outside the team does not
    assert 'data-view="我的逾期"' in login(client, mate).get("/sales/").content.decode()
    assert 'data-view="我的逾期"' not in login(client, stranger).get("/sales/").content.decode()
