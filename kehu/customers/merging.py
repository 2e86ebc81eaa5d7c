"""Merging two customers into one (查重合并) without losing anything.

Every record that points at a customer is found through Django's model metadata, so relations
added later by other apps (deals, tickets, tasks, group messages…) move too without this module
knowing about them. Explicit shares move; the merged customer's history stays queryable under its
old id; the survivor gets a history entry and a :class:`~kehu.customers.models.CustomerMerge`
row with a snapshot of the merged customer, the values kept and what moved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit
from kehu.core.fieldrules import check_writable
from kehu.core.locking import StaleWriteError, save_versioned
from kehu.customers import services, validators
from kehu.customers.models import Customer, CustomerMerge

# The fields a merge lets the user choose between (everything a person can set).
CHOOSABLE = services.EDITABLE_FIELDS  # the follow-up (date and plan) included


def differing_fields(survivor: Customer, merged: Customer) -> list[str]:
    """The choosable fields where the two customers hold different values."""
    return [
        name
        for name in CHOOSABLE
        if getattr(survivor, _attname(name)) != getattr(merged, _attname(name))
    ]


def default_choices(survivor: Customer, merged: Customer) -> dict[str, str]:
    """Keep the survivor's value unless it is empty and the merged one is not."""
    choices = {}
    for name in differing_fields(survivor, merged):
        mine = getattr(survivor, _attname(name))
        choices[name] = "merged" if mine in (None, "") else "survivor"
    return choices


def _attname(name: str) -> str:
    return str(Customer._meta.get_field(name).attname)  # type: ignore[union-attr]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(customer: Customer) -> dict[str, Any]:
    data = {f.attname: _plain(getattr(customer, f.attname)) for f in Customer._meta.concrete_fields}
    data["tags"] = sorted(customer.tags.values_list("name", flat=True))
    data["collaborators"] = sorted(customer.collaborators.values_list("pk", flat=True))
    return data


def customer_relations() -> list[Any]:
    """Every relation that points at a customer: foreign keys of other records (reverse
    one-to-many and one-to-one) and many-to-many relations in either direction."""
    reverse = [
        rel
        for rel in Customer._meta.related_objects
        if rel.related_model is not Customer and not rel.related_model._meta.auto_created
    ]
    forward_m2m = list(Customer._meta.many_to_many)
    return [*reverse, *forward_m2m]


@transaction.atomic
def merge_customers(
    *,
    actor: Any,
    survivor: Customer,
    merged: Customer,
    choices: dict[str, str] | None = None,
    survivor_version: int | None = None,
    merged_version: int | None = None,
) -> CustomerMerge:
    """Fold ``merged`` into ``survivor``: chosen values, every child record, shares, tags and
    collaborators move; ``merged`` is deleted; the merge is recorded. Callers check that the actor
    may change both and delete ``merged``."""
    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged with itself."), code="same")
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    }
    if len(locked) != 2:
        raise Customer.DoesNotExist
    for obj, expected in ((survivor, survivor_version), (merged, merged_version)):
        if expected is not None and locked[obj.pk].version != expected:
            raise StaleWriteError(locked[obj.pk], expected)
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    choices = {**default_choices(survivor, merged), **(choices or {})}
    unknown = set(choices) - set(CHOOSABLE)
    bad = set(choices.values()) - {"survivor", "merged"}
    if unknown or bad:
        raise ValidationError(_("Unknown merge choices."), code="bad_choices")
    taken = [name for name, side in choices.items() if side == "merged"]
    check_writable(actor, Customer, taken)
    before = snapshot(merged)
    from kehu.customers.duplicates import keys_of

    old_keys = {k: sorted(v) for k, v in keys_of([survivor.pk, merged.pk]).items()}

    # 1. every record pointing at the merged customer now points at the survivor
    moved: dict[str, Any] = {}
    for rel in customer_relations():
        if isinstance(rel, models.ManyToManyField):  # the customer's own tags, collaborators
            moved[f"customers.customer.{rel.name}"] = _move_links(
                rel.remote_field.through,
                rel.m2m_field_name(),
                rel.m2m_reverse_field_name(),
                survivor.pk,
                merged.pk,
            )
        elif rel.many_to_many:  # another record's many-to-many to customers
            moved[f"{rel.related_model._meta.label_lower}.{rel.field.name}"] = _move_links(
                rel.through,
                rel.field.m2m_reverse_field_name(),
                rel.field.m2m_field_name(),
                survivor.pk,
                merged.pk,
            )
        else:
            manager = rel.related_model._base_manager
            ids = list(manager.filter(**{rel.field.name: merged.pk}).values_list("pk", flat=True))
            if ids:
                manager.filter(pk__in=ids).update(**{rel.field.name: survivor.pk})
            moved[f"{rel.related_model._meta.label_lower}.{rel.field.name}"] = len(ids)

    # 2. explicit shares of the merged customer now share the survivor
    from kehu.core.models import Share

    ct = ContentType.objects.get_for_model(Customer)
    existing = set(
        Share.objects.filter(content_type=ct, object_id=survivor.pk).values_list(
            "user_id", "team_id"
        )
    )
    shares = Share.objects.filter(content_type=ct, object_id=merged.pk)
    keep = [s.pk for s in shares if (s.user_id, s.team_id) not in existing]
    Share.objects.filter(pk__in=keep).update(object_id=survivor.pk)
    shares.exclude(pk__in=keep).delete()
    moved["core.share"] = len(keep)

    # 3. the chosen values, the follow-up dates and the purchase summary
    changed = []
    for name in taken:
        attname = _attname(name)
        setattr(survivor, attname, getattr(merged, attname))
        changed.append(name)
    if merged.last_contact_at and (
        survivor.last_contact_at is None or merged.last_contact_at > survivor.last_contact_at
    ):
        survivor.last_contact_at = merged.last_contact_at
        changed.append("last_contact_at")
    if "name" in changed:
        survivor.name_key = validators.name_key(survivor.name)
        survivor.core_key = validators.core_key(survivor.name)
        changed += ["name_key", "core_key"]
    if {"next_follow_up_at", "follow_up_plan"} & set(changed):
        # the merged customer's follow-up, with the interaction it came from (which moves too)
        survivor.follow_up_from_id = merged.follow_up_from_id
        changed.append("follow_up_from")
    if "uscc" in changed:
        survivor.uscc_invalid = validators.uscc_flagged(survivor.uscc)
        changed.append("uscc_invalid")
    merged_id, merged_name = merged.pk, merged.name
    merged._history_user = actor  # type: ignore[attr-defined]
    merged.delete()  # nothing points at it any more; its history keeps what it was
    save_versioned(survivor, expected_version=survivor.version, update_fields=changed, user=actor)
    services.refresh_purchase_summary(survivor)
    record = CustomerMerge.objects.create(
        survivor=survivor,
        merged_customer_id=merged_id,
        merged_name=merged_name,
        snapshot=before,
        choices=choices,
        moved=moved,
        merged_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(
        "merge",
        actor=actor,
        obj=survivor,
        summary=f"{merged_name} → {survivor.name}",
        merged_id=merged_id,
        moved=moved,
    )
    services._emit(
        "customer.deleted",
        actor,
        "customer",
        merged_id,
        data={"merged_into": survivor.pk, "old_keys": old_keys},
    )
    services._emit(
        "customer.updated",
        actor,
        "customer",
        survivor.pk,
        data={"fields": changed, "merged": merged_id},
    )
    _reindex_children(survivor)
    return record


def _move_links(through: Any, source: str, target: str, survivor_id: int, merged_id: int) -> int:
    """Give the survivor the merged customer's links of one many-to-many (no doubles)."""
    mine = set(
        through.objects.filter(**{f"{source}_id": survivor_id}).values_list(
            f"{target}_id", flat=True
        )
    )
    theirs = set(
        through.objects.filter(**{f"{source}_id": merged_id}).values_list(f"{target}_id", flat=True)
    )
    new = sorted(theirs - mine)
    through.objects.filter(**{f"{source}_id": merged_id}).delete()
    through.objects.bulk_create(
        [through(**{f"{source}_id": survivor_id, f"{target}_id": t}) for t in new]
    )
    return len(new)


def _reindex_children(customer: Customer) -> None:
    """Search entries of moved contacts show the survivor's name."""
    from kehu.core import search

    for contact in customer.contacts.select_related("customer"):
        search.index(contact)
