"""Tasks on the customer page's timeline, and through a customer merge."""

from __future__ import annotations

from typing import Any

from kehu.customers import merging
from kehu.customers.selectors import customer_timeline
from kehu.work import services


def test_customer_timeline_shows_visible_tasks(
    user: Any, other_user: Any, make_user: Any, make_customer: Any
) -> None:
    customer = make_customer(user, name="云帆科技有限公司")
    services.create_task(actor=user, title="上门回访", customer=customer, responsible=user)
    services.create_task(
        actor=other_user, title="别人的跟进", customer=customer, responsible=other_user
    )
    titles = [e.title for e in customer_timeline(user, customer) if e.kind == "task"]
    assert len(titles) == 1 and "上门回访" in titles[0]
    director = make_user(roles=("sales_director",))
    assert len([e for e in customer_timeline(director, customer) if e.kind == "task"]) == 2


def test_merging_customers_moves_their_tasks(make_user: Any, make_customer: Any) -> None:
    director = make_user(roles=("sales_director",))
    survivor = make_customer(director, name="甲公司")
    merged = make_customer(director, name="甲公司（重复）")
    task = services.create_task(actor=director, title="跟进", customer=merged)
    merging.merge_customers(actor=director, survivor=survivor, merged=merged)
    task.refresh_from_db()
    assert task.customer == survivor
