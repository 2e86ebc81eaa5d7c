"""Deal services: stage moves, the stage rule (owner, due time), lost reasons, winning."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from kehu.core.locking import StaleWriteError
from kehu.sales import services
from kehu.sales.models import Deal, StageChange

SH = ZoneInfo("Asia/Shanghai")


def test_create_deal_starts_in_first_stage_with_history(director, make_deal, stages):
    deal = make_deal(director, amount="12000")
    assert deal.stage == stages["Lead"]
    assert deal.status == Deal.Status.OPEN
    assert deal.amount == Decimal("12000.00")
    assert deal.probability == stages["Lead"].probability
    assert deal.history.count() == 1
    change = StageChange.objects.get(deal=deal)
    assert change.from_stage is None and change.to_stage == stages["Lead"]


def test_move_records_time_in_previous_stage(user, make_deal, stages):
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)
    deal = make_deal(user, now=start)
    later = start + dt.timedelta(hours=5, minutes=30)
    services.move_deal(actor=user, deal=deal, stage=stages["Follow-up"], now=later)
    change = deal.stage_changes.order_by("-at").first()
    assert change.from_stage == stages["Lead"]
    assert change.to_stage == stages["Follow-up"]
    assert change.seconds_in_previous == 5 * 3600 + 30 * 60
    assert change.by == user
    deal.refresh_from_db()
    assert deal.stage_entered_at == later
    assert deal.probability == stages["Follow-up"].probability


def test_lost_requires_reason(user, make_deal, stages):
    deal = make_deal(user)
    with pytest.raises(ValidationError) as exc:
        services.move_deal(actor=user, deal=deal, stage=stages["Lost"], reason="  ")
    assert "reason" in exc.value.message_dict
    deal.refresh_from_db()
    assert deal.stage == stages["Lead"] and deal.status == Deal.Status.OPEN
    services.move_deal(actor=user, deal=deal, stage=stages["Lost"], reason="价格太高")
    deal.refresh_from_db()
    assert deal.status == Deal.Status.LOST
    assert deal.lost_reason == "价格太高"
    assert deal.closed_at is not None
    assert deal.stage_changes.order_by("-at", "-id").first().reason == "价格太高"


def test_lost_reason_message_is_translated(user, make_deal, stages):
    from django.utils import translation

    deal = make_deal(user)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.move_deal(actor=user, deal=deal, stage=stages["Lost"])
    assert "Lost" in exc.value.message_dict["reason"][0]


def test_stale_move_is_refused(user, make_deal, stages):
    deal = make_deal(user)
    stale = deal.version
    services.update_deal(actor=user, deal=deal, expected_version=stale, title="新标题")
    with pytest.raises(StaleWriteError):
        services.move_deal(
            actor=user,
            deal=Deal.objects.get(pk=deal.pk),
            stage=stages["Follow-up"],
            expected_version=stale,
        )
    assert Deal.objects.get(pk=deal.pk).stage == stages["Lead"]


def test_stage_owner_user_takes_the_deal(user, other_user, make_deal, stages):
    stage = stages["Negotiation"]
    stage.owner_user = other_user
    stage.save()
    deal = make_deal(user)
    services.move_deal(actor=user, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner == other_user


def test_stage_owner_role_picks_least_loaded_teammate_with_role(make_user, make_deal, stages):
    from kehu.accounts.models import Role, Team

    rep = make_user("rep", roles=("sales_rep",))
    busy = make_user("busy", roles=("customer_manager",))
    free = make_user("free", roles=("customer_manager",))
    stranger = make_user("stranger", roles=("customer_manager",))
    gone = make_user("gone", roles=("customer_manager",), is_active=False)
    team = Team.objects.create(name="华东")
    team.members.add(rep, busy, free, gone)
    Team.objects.create(name="华南").members.add(stranger)
    make_deal(busy)
    make_deal(busy)
    make_deal(free)
    stage = stages["Negotiation"]
    stage.owner_role = Role.objects.get(code="customer_manager")
    stage.save()
    deal = make_deal(rep)
    services.move_deal(actor=rep, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner == free


def test_stage_owner_role_keeps_owner_who_has_it(make_user, make_deal, stages):
    from kehu.accounts.models import Role, Team

    manager = make_user("mgr", roles=("customer_manager",))
    other = make_user("mgr2", roles=("customer_manager",))
    Team.objects.create(name="华北").members.add(manager, other)
    stage = stages["Negotiation"]
    stage.owner_role = Role.objects.get(code="customer_manager")
    stage.save()
    deal = make_deal(manager)
    services.move_deal(actor=manager, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner == manager


def test_stage_owner_role_without_candidate_keeps_owner(user, make_deal, stages):
    from kehu.accounts.models import Role

    stage = stages["Negotiation"]
    stage.owner_role = Role.objects.get(code="sales_director")
    stage.save()
    deal = make_deal(user)
    services.move_deal(actor=user, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner == user


def test_win_creates_order_in_purchase_history(director, make_deal, stages):
    from kehu.customers import services as customer_services

    product = customer_services.create_product(
        actor=director, code="P-1", name="扫码枪", price="300"
    )
    deal = make_deal(director)
    services.set_deal_lines(
        actor=director,
        deal=deal,
        lines=[(product, 4, None), (product, 1, "250")],
        expected_version=None,
    )
    deal.refresh_from_db()
    assert deal.amount == Decimal("1450.00")
    services.win_deal(actor=director, deal=deal)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.stage == stages["Signed"]
    assert deal.order is not None
    assert deal.order.customer == deal.customer
    assert deal.order.total_amount == Decimal("1450.00")
    assert deal.order.lines.count() == 2
    deal.customer.refresh_from_db()
    assert deal.customer.orders_count == 1
    assert deal.customer.purchase_total == Decimal("1450.00")


def test_win_without_lines_creates_no_order(user, make_deal):
    deal = make_deal(user)
    services.win_deal(actor=user, deal=deal)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.order is None


def test_rep_without_financials_cannot_set_amount(make_user, make_customer, pipeline):
    from kehu.core.fieldrules import FieldNotWritable

    rep = make_user("rep-nofin", roles=("sales_rep",))
    customer = make_customer(rep)
    with pytest.raises(FieldNotWritable):
        services.create_deal(actor=rep, customer=customer, title="x", amount=100)
    deal = services.create_deal(actor=rep, customer=customer, title="x")
    with pytest.raises(FieldNotWritable):
        services.update_deal(actor=rep, deal=deal, expected_version=deal.version, amount=5)


def test_customer_merge_moves_deals(director, make_customer, make_deal):
    from kehu.customers import merging

    survivor = make_customer(director, name="合并保留客户有限公司")
    merged = make_customer(director, name="合并被并客户有限公司")
    deal = make_deal(director, customer=merged)
    merging.merge_customers(
        actor=director,
        survivor=survivor,
        merged=merged,
        choices={},
        survivor_version=survivor.version,
        merged_version=merged.version,
    )
    deal.refresh_from_db()
    assert deal.customer_id == survivor.pk
