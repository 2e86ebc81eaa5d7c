"""The interactions and orders tables' in-place edits and bulk bars, played for every role
against the actor's own, a teammate's and an outsider's records: rows the role may not touch
answer 403/404 or are left alone, with no history row and the same version."""

from __future__ import annotations

from typing import Any

from kehu.accounts.models import Role
from kehu.core.permissions import combine
from kehu.customers.models import Interaction, Order
from tests.permissions.cases import _interaction, _order
from tests.permissions.harness import RoleCase, expected, history_count, register_role_case

RELATIONS = (("own", "actor"), ("team", "teammate"), ("other", "outsider"))


def _records(make: Any, world: dict[str, Any]) -> dict[str, Any]:
    return {rel: make(world[owner]) for rel, owner in RELATIONS}


def _login(client: Any, actor: Any) -> None:
    from tests.conftest import force_login_verified

    force_login_verified(client, actor)


def _fresh(obj: Any) -> Any:
    return type(obj).objects.filter(pk=obj.pk).first()


def _check_cells(role: str, client: Any, records: dict[str, Any], key: str, post: Any) -> None:
    """POST one cell of each record: 200 and one history row where the role may change it,
    404 and nothing written elsewhere."""
    for rel, obj in records.items():
        allowed = expected((role,), key, "change", rel)
        before = history_count(obj)
        url, data = post(obj)
        response = client.post(url, {**data, "version": obj.version})
        assert response.status_code == (200 if allowed else 404), f"{role} {key} cell {rel}"
        assert history_count(obj) == before + (1 if allowed else 0), f"{role} {key} cell {rel}"


def _check_bulk(
    role: str, client: Any, url: str, records: dict[str, Any], key: str, action: str, data: Any
) -> Any:
    """POST ``action`` with every record ticked at once: 403 without the permission (answers
    None), else the response."""
    ids = [obj.pk for obj in records.values()]
    response = client.post(url, {"action": action, "ids": ids, **data})
    code = {"export": "export", "delete": "delete"}.get(action, "change")
    if not combine(list(Role.objects.filter(code=role))).has(f"{key}.{code}"):
        assert response.status_code == 403, f"{role} {key} bulk {action}"
        return None
    return response


def _csv(response: Any) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _cells_and_export(
    role: str, client: Any, world: dict[str, Any], key: str, make: Any, cell: Any, label: Any
) -> dict[str, Any]:
    """Make the three records, edit a cell of each, export all three ticked; answers the
    records as they are now."""
    _login(client, world["actor"])
    records = _records(make, world)
    _check_cells(role, client, records, key, cell)
    records = {rel: _fresh(obj) for rel, obj in records.items()}
    url = f"/customers/{key}s/bulk/"
    response = _check_bulk(role, client, url, records, key, "export", {})
    if response is not None:
        body = _csv(response)
        for rel, obj in records.items():
            shown = label(obj) in body
            assert shown == expected((role,), key, "view", rel), f"{role} {key} export {rel}"
        money = combine(list(world["actor"].roles.all())).has("view_financials")
        assert ("297.00" in body) == (money and key == "order"), f"{role}: amounts exported"
    return records


def check_interaction_table(role: str, *, client: Any, world: dict[str, Any]) -> None:
    url = "/customers/interactions/bulk/"
    records = _cells_and_export(
        role,
        client,
        world,
        "interaction",
        _interaction,
        lambda i: (f"/customers/interactions/{i.pk}/cell/outcome/", {"outcome": "矩阵改结果"}),
        lambda i: i.summary,
    )
    new_by = world["teammate"].pk
    response = _check_bulk(role, client, url, records, "interaction", "reassign", {"value": new_by})
    for rel, i in records.items():
        now = Interaction.objects.get(pk=i.pk)
        allowed = response is not None and expected((role,), "interaction", "change", rel)
        moved = allowed and i.user_id != new_by
        wanted = (new_by, i.version + 1) if moved else (i.user_id, i.version)
        assert (now.user_id, now.version) == wanted, f"{role} reassign {rel}"
    response = _check_bulk(role, client, url, records, "interaction", "delete", {"confirmed": "1"})
    for rel, i in records.items():
        gone = response is not None and expected((role,), "interaction", "delete", rel)
        assert Interaction.objects.filter(pk=i.pk).exists() is not gone, f"{role} delete {rel}"


def check_order_table(role: str, *, client: Any, world: dict[str, Any]) -> None:
    records = _cells_and_export(
        role,
        client,
        world,
        "order",
        _order,
        lambda o: (f"/customers/orders/{o.pk}/cell/status/", {"status": "delivered"}),
        lambda o: o.number,
    )
    status = {"value": "cancelled"}
    url = "/customers/orders/bulk/"
    response = _check_bulk(role, client, url, records, "order", "set_status", status)
    for rel, o in records.items():
        now = Order.objects.get(pk=o.pk)
        changed = response is not None and expected((role,), "order", "change", rel)
        wanted = ("cancelled", o.version + 1) if changed else (o.status, o.version)
        assert (now.status, now.version) == wanted, f"{role} bulk status {rel}"


register_role_case(
    RoleCase(
        "interaction_table",
        check_interaction_table,
        routes={"customers:interaction_bulk"},
    )
)
register_role_case(RoleCase("order_table", check_order_table, routes={"customers:order_bulk"}))
