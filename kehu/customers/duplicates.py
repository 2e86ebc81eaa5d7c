"""Which customers possibly duplicate another: the ``possible_duplicate`` flag.

A customer is a possible duplicate when another customer has the same Unified Social Credit
Code, the same name (``name_key``), the same distinctive name (``core_key``), or a contact with
the same mobile or e-mail (e-mails compared in lower case) — the rules of the duplicates report.
Grouping a million customers by five keys takes seconds, too slow for a table filter, so the
answer is stored on the customer and kept current:

- every write through the customer services refreshes the customers it may have affected —
  itself and whoever shares (or shared, before the write) one of its keys — inside the writer's
  transaction (in-transaction subscribers in ``kehu.customers.subscribers``);
- bulk writes that bypass the services (imports, the benchmark generator) call
  :func:`refresh_for` with what they wrote, or :func:`refresh_all`;
- the data audit refreshes everything before it counts, so an audit is exact whatever happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Lower

from kehu.customers.models import Contact, Customer

CUSTOMER_KEYS = ("uscc", "name_key", "core_key")
CONTACT_KEYS = ("mobile", "email")
CHUNK = 2000


def keys_of(customer_ids: Iterable[int]) -> dict[str, set[str]]:
    """The duplicate keys the given customers have now (to pass as ``old_keys`` before a write
    changes or deletes them)."""
    ids = list(customer_ids)
    keys: dict[str, set[str]] = {k: set() for k in (*CUSTOMER_KEYS, *CONTACT_KEYS)}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for row in Customer.objects.filter(pk__in=part).values_list(*CUSTOMER_KEYS):
            for name, value in zip(CUSTOMER_KEYS, row, strict=True):
                if value:
                    keys[name].add(value)
        for mobile, email in Contact.objects.filter(customer_id__in=part).values_list(
            "mobile", "email"
        ):
            if mobile:
                keys["mobile"].add(mobile)
            if email:
                keys["email"].add(email.lower())
    return keys


def _holders(keys: dict[str, set[str]]) -> set[int]:
    """Customers holding one of ``keys`` whose flag a write may have changed.

    Only small groups matter: a key held by three or more customers now kept them flagged
    before a write added or removed one holder, and still does. So only the holders of keys
    held by at most two customers are re-examined — a write to a customer whose distinctive
    name a thousand others share costs no more than any other."""
    ids: set[int] = set()
    for name in CUSTOMER_KEYS:
        values = sorted(keys.get(name, ()))
        for start in range(0, len(values), CHUNK):
            small = (
                Customer.objects.filter(**{f"{name}__in": values[start : start + CHUNK]})
                .order_by()
                .values(name)
                .annotate(n=Count("id"))
                .filter(n__lte=2)
                .values(name)
            )
            ids.update(
                Customer.objects.filter(**{f"{name}__in": small})
                .values_list("pk", flat=True)
                .order_by()
            )
    for name in CONTACT_KEYS:
        values = sorted(keys.get(name, ()))
        expr = F("mobile") if name == "mobile" else Lower("email")
        for start in range(0, len(values), CHUNK):
            keyed = Contact.objects.annotate(k=expr)
            small = (
                keyed.filter(k__in=values[start : start + CHUNK])
                .order_by()
                .values("k")
                .annotate(n=Count("customer_id", distinct=True))
                .filter(n__lte=2)
                .values("k")
            )
            ids.update(keyed.filter(k__in=small).values_list("customer_id", flat=True).order_by())
    return ids


def _flagged_among(ids: list[int]) -> set[int]:
    """Of ``ids``, those that share a key with another customer."""
    flagged: set[int] = set()
    own = keys_of(ids)
    for name in CUSTOMER_KEYS:
        values = sorted(own[name])
        for start in range(0, len(values), CHUNK):
            repeated = (
                Customer.objects.filter(**{f"{name}__in": values[start : start + CHUNK]})
                .order_by()
                .values(name)
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .values(name)
            )
            flagged.update(
                Customer.objects.filter(pk__in=ids, **{f"{name}__in": repeated}).values_list(
                    "pk", flat=True
                )
            )
    for name in CONTACT_KEYS:
        values = sorted(own[name])
        expr = F("mobile") if name == "mobile" else Lower("email")
        for start in range(0, len(values), CHUNK):
            part = values[start : start + CHUNK]
            shared = (
                Contact.objects.annotate(k=expr)
                .filter(k__in=part)
                .order_by()
                .values("k")
                .annotate(n=Count("customer_id", distinct=True))
                .filter(n__gt=1)
                .values("k")
            )
            flagged.update(
                Contact.objects.annotate(k=expr)
                .filter(customer_id__in=ids, k__in=shared)
                .values_list("customer_id", flat=True)
            )
    return flagged


def refresh_for(customer_ids: Iterable[int], *, old_keys: dict[str, Any] | None = None) -> int:
    """Recompute the flag of the given customers and of every customer sharing one of their
    keys now or one of ``old_keys`` (their keys before the write). Returns how many changed."""
    ids = {int(i) for i in customer_ids}
    keys = keys_of(ids)
    for name, values in (old_keys or {}).items():
        keys.setdefault(name, set()).update(v for v in values if v)
    affected = sorted(ids | _holders(keys))
    changed = 0
    for start in range(0, len(affected), CHUNK):
        part = affected[start : start + CHUNK]
        flagged = _flagged_among(part)
        changed += (
            Customer.objects.filter(pk__in=flagged, possible_duplicate=False)
            .order_by()
            .update(possible_duplicate=True)
        )
        changed += (
            Customer.objects.filter(pk__in=part, possible_duplicate=True)
            .exclude(pk__in=flagged)
            .order_by()
            .update(possible_duplicate=False)
        )
    return changed


def refresh_for_new_distinct(customer_ids: Iterable[int]) -> int:
    """Set the flag for customers just created that are known to share no exact key — no
    Unified Social Credit Code, name, contact mobile or e-mail — with any other customer (an
    import's duplicate check proved it for every row it creates), and for the customers they
    now share a distinctive name (``core_key``) with. Creating such customers can only raise
    flags, so two statements per call do it, whatever the size of the table. Returns how many
    changed."""
    ids = sorted({int(i) for i in customer_ids})
    changed = 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        keys = Customer.objects.filter(pk__in=part).exclude(core_key="").values("core_key")
        shared = (
            Customer.objects.filter(core_key__in=keys)
            .order_by()
            .values("core_key")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values("core_key")
        )
        changed += (
            Customer.objects.filter(core_key__in=shared, possible_duplicate=False)
            .order_by()
            .update(possible_duplicate=True)
        )
    return changed


def refresh_all() -> int:
    """Recompute every customer's flag; returns how many customers are flagged now.

    In one transaction (others keep reading the old flags until it commits): clear every flag,
    then one set-wise UPDATE per duplicate rule. One statement per rule matters on PostgreSQL:
    each ``IN (…)`` becomes a hashed semi-join (seconds on a million customers), while the OR of
    the five in one statement was planned as subqueries scanned again for every row."""
    from kehu.customers.selectors import duplicate_conditions

    with transaction.atomic():
        Customer.objects.filter(possible_duplicate=True).order_by().update(possible_duplicate=False)
        flagged = 0
        for condition in duplicate_conditions(Customer.objects.all()):
            flagged += (
                Customer.objects.filter(condition, possible_duplicate=False)
                .order_by()
                .update(possible_duplicate=True)
            )
    return flagged
