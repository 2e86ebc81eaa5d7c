"""Every write to customers, contacts and interactions."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.fieldrules import check_writable
from kehu.core.locking import StaleWriteError, save_versioned
from kehu.customers import validators
from kehu.customers.models import (
    Contact,
    Customer,
    Interaction,
    Order,
    OrderLine,
    Product,
    Return,
    Tag,
)


def _emit(name: str, actor: Any, object_type: str, object_id: Any, data: Any = None) -> None:
    """Publish the domain event of a write (search, notifications and webhooks listen)."""
    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type=object_type,
            object_id=object_id,
            data=data or {},
        )
    )


class DuplicateCustomer(ValidationError):
    """The customer exists already; says who owns it instead of creating a second copy."""

    def __init__(self, existing: Customer, reason: str) -> None:
        self.existing = existing
        owner = existing.owner.name if existing.owner else _("nobody")
        super().__init__(
            _(
                "%(name)s is already a customer (same %(reason)s), looked after by %(owner)s. "
                "Ask them or your director instead of creating a second copy."
            )
            % {"name": existing.name, "reason": reason, "owner": owner},
            code="duplicate",
        )


def find_existing(
    *, name: str = "", uscc: str = "", mobile: str = "", email: str = ""
) -> tuple[Customer | None, str]:
    """An existing customer that is certainly the same one (whoever owns it), and why.

    Checked across all customers on purpose: a rep must learn that a colleague already owns a
    customer (撞单) even when they cannot see it. Only the name and owner are revealed.
    """
    from kehu.customers.models import Contact

    if uscc:
        found = Customer.objects.select_related("owner").filter(uscc=uscc).first()
        if found:
            return found, str(_("Unified Social Credit Code"))
    key = validators.name_key(name)
    if key:
        found = Customer.objects.select_related("owner").filter(name_key=key).first()
        if found:
            return found, str(_("name"))
    if mobile:
        contact = (
            Contact.objects.select_related("customer__owner")
            .filter(Q(mobile=mobile) | Q(mobile2=mobile))
            .first()
        )
        if contact:
            return contact.customer, str(_("mobile"))
    if email:
        contact = (
            Contact.objects.select_related("customer__owner").filter(email__iexact=email).first()
        )
        if contact:
            return contact.customer, str(_("e-mail"))
    return None, ""


def similar_customer_ids(name: str, *, exclude: int | None = None, limit: int = 5) -> list[int]:
    """The ids of customers whose names look like ``name`` (same distinctive part, or close
    to it by rapidfuzz), best first. Candidates come from indexed lookups, never a scan of all
    names, and only ids and keys are read."""
    from rapidfuzz import fuzz

    key = validators.core_key(name)
    if len(key) < 2:
        return []
    ids = list(
        Customer.objects.filter(core_key=key)
        .exclude(pk=exclude or 0)
        .values_list("pk", flat=True)[:limit]
    )
    if len(ids) < limit:
        # Names sharing the first two characters of the distinctive part, scored by similarity.
        # (a range instead of LIKE: the plain index serves it on SQLite and PostgreSQL alike)
        prefix = Customer.objects.filter(core_key__gte=key[:2], core_key__lt=key[:2] + "\uffff")
        seen = set(ids) | ({exclude} if exclude else set())
        scored = sorted(
            (
                (fuzz.ratio(key, core), pk)
                for pk, core in prefix.exclude(pk__in=seen)
                .order_by("core_key")
                .values_list("pk", "core_key")[:200]
            ),
            key=lambda x: -x[0],
        )
        ids += [pk for score, pk in scored if score >= 80][: limit - len(ids)]
    return ids[:limit]


def similar_customers(name: str, *, exclude: int | None = None, limit: int = 5) -> list[Customer]:
    """The customers of :func:`similar_customer_ids`, best first, with their owners."""
    ids = similar_customer_ids(name, exclude=exclude, limit=limit)
    found = Customer.objects.select_related("owner").in_bulk(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found]


def similar_name_warning(name: str, owner: str) -> str:
    """The warning about an existing customer with a similar name and who manages it."""
    return _("A customer with a similar name exists: %(name)s (customer manager: %(owner)s).") % {
        "name": name,
        "owner": owner or _("nobody"),
    }


def similar_name_warnings(actor: Any, name: str, *, exclude: int | None = None) -> list[str]:
    """Non-blocking warnings about customers with similar names (who owns each, not more)."""
    return [
        similar_name_warning(c.name, c.owner.name if c.owner else "")
        for c in similar_customers(name, exclude=exclude)
    ]


def _check_customer_fields(customer: Customer) -> list[str]:
    """Normalise and validate typed values; returns warnings that must not block saving."""
    warnings: list[str] = []
    try:
        customer.uscc, warning = validators.clean_uscc(customer.uscc)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.messages}) from None
    if warning:
        warnings.append(warning)
    return warnings


@transaction.atomic
def create_customer(*, actor: Any, name: str, owner: Any = None, **fields: Any) -> Customer:
    """Create a customer owned by ``owner`` (default: the actor).

    Non-blocking problems (a USCC check character that does not match) are left in
    ``customer.warnings`` for the caller to show.
    """
    customer = Customer(name=name.strip(), owner=owner or actor, created_by=actor, updated_by=actor)
    for key, value in fields.items():
        setattr(customer, key, value)
    customer.warnings = _check_customer_fields(customer)  # type: ignore[attr-defined]
    _check_follow_up(customer.next_follow_up_at)
    customer.name_key = validators.name_key(customer.name)
    customer.core_key = validators.core_key(customer.name)
    customer.uscc_invalid = validators.uscc_flagged(customer.uscc)
    existing, reason = find_existing(name=customer.name, uscc=customer.uscc)
    if existing is not None:
        raise DuplicateCustomer(existing, reason)
    customer.warnings += similar_name_warnings(actor, customer.name)  # type: ignore[attr-defined]
    customer.full_clean()
    customer.save()
    _emit("customer.created", actor, "customer", customer.pk)
    return customer


CONTACT_FIELDS = (
    "name",
    "title",
    "mobile",
    "mobile2",
    "phone",
    "email",
    "wechat",
    "birthday",
    "is_primary",
)


def _check_contact(contact: Contact) -> None:
    """Normalise the phones and refuse what cannot be right (every problem at once)."""
    errors: dict[str, list[str]] = {}
    contact.name = (contact.name or "").strip()
    if not contact.name:
        errors["name"] = [_("A contact needs a name.")]
    for name in ("mobile", "mobile2", "phone"):
        try:
            setattr(contact, name, validators.normalize_phone(getattr(contact, name)))
        except ValidationError as exc:
            errors[name] = exc.messages
    try:
        validators.not_in_future(contact.birthday, field_label=_("Birthday"))
    except ValidationError as exc:
        errors["birthday"] = exc.messages
    if errors:
        raise ValidationError(errors)


def _contact_keys(contacts: Iterable[Contact]) -> dict[str, list[str]]:
    """The duplicate keys (mobile, e-mail) contacts hold, to re-examine after they change."""
    keys: dict[str, list[str]] = {"mobile": [], "email": []}
    for contact in contacts:
        if contact.mobile:
            keys["mobile"].append(contact.mobile)
        if contact.email:
            keys["email"].append(contact.email.lower())
    return {k: v for k, v in keys.items() if v}


def _demote_other_primaries(actor: Any, contact: Contact) -> None:
    """A customer has one primary contact: the others stop being it (with history)."""
    others = Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(
        pk=contact.pk
    )
    for other in others:
        other.is_primary = False
        save_versioned(other, expected_version=None, update_fields=["is_primary"], user=actor)
        _emit("contact.updated", actor, "contact", other.pk, data={"fields": ["is_primary"]})


@transaction.atomic
def add_contact(*, actor: Any, customer: Customer, name: str, **fields: Any) -> Contact:
    """Add a contact; the first contact of a customer is its primary one, and a new primary
    contact takes over from the previous one."""
    contact = Contact(customer=customer, name=name, created_by=actor, updated_by=actor)
    for key, value in fields.items():
        setattr(contact, key, value)
    _check_contact(contact)
    if not contact.is_primary:
        contact.is_primary = not Contact.objects.filter(
            customer_id=customer.pk, is_primary=True
        ).exists()
    contact.full_clean()
    contact.save()
    if contact.is_primary:
        _demote_other_primaries(actor, contact)
    _emit("contact.created", actor, "contact", contact.pk)
    return contact


@transaction.atomic
def update_contact(
    *, actor: Any, contact: Contact, expected_version: int | None, **changes: Any
) -> Contact:
    """Apply ``changes`` if nobody saved the contact since ``expected_version`` was read.

    Making a contact primary makes the previous primary contact an ordinary one; the primary
    contact stops being it only by choosing another one."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = Contact(mobile=contact.mobile, email=contact.email)
    was_primary = contact.is_primary
    for key, value in changes.items():
        setattr(contact, key, value)
    _check_contact(contact)
    if was_primary and not contact.is_primary:
        raise ValidationError(
            {
                "is_primary": [
                    _(
                        "%(name)s is the primary contact: make another contact primary "
                        "instead, and this one stops being it."
                    )
                    % {"name": contact.name}
                ]
            }
        )
    current = Contact.objects.get(pk=contact.pk)
    changed = [k for k in CONTACT_FIELDS if getattr(current, k) != getattr(contact, k)]
    contact.full_clean()
    save_versioned(contact, expected_version=expected_version, update_fields=changed, user=actor)
    if contact.is_primary and not was_primary:
        _demote_other_primaries(actor, contact)
    data: dict[str, Any] = {"fields": changed}
    if {"mobile", "email"} & set(changed):
        data["old_keys"] = _contact_keys([before])
    _emit("contact.updated", actor, "contact", contact.pk, data=data)
    return contact


@transaction.atomic
def delete_contact(*, actor: Any, contact: Contact) -> None:
    """Delete a contact (history keeps it); when it was the primary one, the longest-known
    remaining contact becomes primary. Interactions keep their record without it."""
    customer_id = contact.customer_id
    pk = contact.pk
    old_keys = _contact_keys([contact])
    was_primary = contact.is_primary
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.delete()
    if was_primary:
        successor = Contact.objects.filter(customer_id=customer_id).order_by("pk").first()
        if successor is not None:
            successor.is_primary = True
            save_versioned(
                successor, expected_version=None, update_fields=["is_primary"], user=actor
            )
            _emit(
                "contact.updated", actor, "contact", successor.pk, data={"fields": ["is_primary"]}
            )
    _emit(
        "contact.deleted",
        actor,
        "contact",
        pk,
        data={"customer_id": customer_id, "old_keys": old_keys},
    )


def _check_interaction_contacts(customer: Customer, contacts: Iterable[Contact] | None) -> None:
    strangers = [c for c in contacts or () if c.customer_id != customer.pk]
    if strangers:
        raise ValidationError(
            {
                "contacts": [
                    _("%(names)s is not a contact of %(customer)s.")
                    % {"names": "、".join(c.name for c in strangers), "customer": customer}
                ]
            }
        )


@transaction.atomic
def log_interaction(
    *,
    actor: Any,
    customer: Customer,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    next_follow_up_at: dt.datetime | None = None,
    contacts: Iterable[Contact] | None = None,
) -> Interaction:
    """Record an interaction; the customer's last contact follows the newest one and the next
    follow-up is taken from the interaction's next step when one is given."""
    try:
        validators.not_in_future(occurred_at, field_label=_("When"))
    except ValidationError as exc:
        raise ValidationError({"occurred_at": exc.messages}) from None
    contacts = list(contacts or [])
    _check_interaction_contacts(customer, contacts)
    interaction = Interaction(
        customer=customer,
        kind=kind,
        occurred_at=occurred_at,
        user=actor,
        summary=summary,
        outcome=outcome,
        next_step=next_step,
        created_by=actor,
        updated_by=actor,
    )
    interaction.full_clean()
    interaction.save()
    if contacts:
        interaction.contacts.set(contacts)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    update_fields = []
    if locked.last_contact_at is None or occurred_at > locked.last_contact_at:
        locked.last_contact_at = occurred_at
        update_fields.append("last_contact_at")
    if next_follow_up_at is not None:
        locked.next_follow_up_at = next_follow_up_at
        locked.follow_up_plan = next_step
        locked.follow_up_from = interaction
        update_fields += ["next_follow_up_at", "follow_up_plan", "follow_up_from"]
    if update_fields:
        locked.save(update_fields=update_fields)
        for name in update_fields:
            setattr(customer, name, getattr(locked, name))
    _emit(
        "interaction.logged",
        actor,
        "interaction",
        interaction.pk,
        data={"customer_id": customer.pk},
    )
    return interaction


INTERACTION_FIELDS = ("kind", "occurred_at", "summary", "outcome", "next_step")

_UNSET: Any = object()


def follow_up_came_from(customer: Customer, interaction: Interaction) -> bool:
    """Whether the customer's planned follow-up is the one this interaction set (logging an
    interaction with a follow-up date links it; planning one by hand unlinks it)."""
    return customer.next_follow_up_at is not None and customer.follow_up_from_id == interaction.pk


def _refresh_contact_times(
    actor: Any,
    customer_id: int,
    *,
    follow_up: tuple[dt.datetime | None, str] | None = None,
    source: Interaction | None = None,
) -> Customer:
    """Recompute the customer's last contact from its interactions, and set its follow-up to
    ``follow_up`` (date, plan) when given, as planned at ``source``."""
    from django.db.models import Max

    locked = Customer.objects.select_for_update().get(pk=customer_id)
    latest = Interaction.objects.filter(customer_id=customer_id).aggregate(m=Max("occurred_at"))[
        "m"
    ]
    changed = []
    if locked.last_contact_at != latest:
        locked.last_contact_at = latest
        changed.append("last_contact_at")
    if follow_up is not None:
        source_id = source.pk if source is not None and follow_up[0] is not None else None
        if (locked.next_follow_up_at, locked.follow_up_plan) != follow_up:
            locked.next_follow_up_at, locked.follow_up_plan = follow_up
            changed += ["next_follow_up_at", "follow_up_plan"]
        if locked.follow_up_from_id != source_id:
            locked.follow_up_from_id = source_id
            changed.append("follow_up_from")
    if changed:
        # Like logging an interaction: derived values, not an edit of the profile, so the
        # version stays and nobody editing the customer meanwhile gets a conflict.
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=changed)
    return locked


@transaction.atomic
def update_interaction(
    *,
    actor: Any,
    interaction: Interaction,
    expected_version: int | None,
    contacts: Iterable[Contact] | None = None,
    next_follow_up_at: dt.datetime | None = _UNSET,
    **changes: Any,
) -> Interaction:
    """Correct an interaction if nobody saved it since ``expected_version`` was read.

    The customer's last contact follows the corrected time. When the customer's follow-up came
    from this interaction, its plan follows the corrected next step; ``next_follow_up_at``
    (when given) sets the follow-up date with this interaction's next step as the plan."""
    unknown = set(changes) - set(INTERACTION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    customer = Customer.objects.get(pk=interaction.customer_id)
    came_from = follow_up_came_from(customer, interaction)
    errors: dict[str, list[str]] = {}
    if "occurred_at" in changes:
        try:
            validators.not_in_future(changes["occurred_at"], field_label=_("When"))
        except ValidationError as exc:
            errors["occurred_at"] = exc.messages
    if contacts is not None:
        contacts = list(contacts)
        try:
            _check_interaction_contacts(customer, contacts)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    changed = [k for k, v in changes.items() if getattr(interaction, k) != v]
    for key in changed:
        setattr(interaction, key, changes[key])
    interaction.full_clean()
    related_changed = False
    if contacts is not None:
        before = set(interaction.contacts.values_list("pk", flat=True))
        related_changed = before != {c.pk for c in contacts}
    save_versioned(
        interaction, expected_version=expected_version, update_fields=changed, user=actor
    )
    if related_changed:
        interaction.contacts.set(contacts or [])
        changed.append("contacts")
    follow_up: tuple[dt.datetime | None, str] | None = None
    if next_follow_up_at is not _UNSET and next_follow_up_at is not None:
        follow_up = (next_follow_up_at, interaction.next_step)
    elif came_from:
        follow_up = (customer.next_follow_up_at, interaction.next_step)
    _refresh_contact_times(actor, customer.pk, follow_up=follow_up, source=interaction)
    _emit(
        "interaction.updated",
        actor,
        "interaction",
        interaction.pk,
        data={"customer_id": customer.pk, "fields": changed},
    )
    return interaction


@transaction.atomic
def delete_interaction(*, actor: Any, interaction: Interaction) -> None:
    """Delete an interaction logged by mistake (history keeps it). The customer's last contact
    goes back to the newest remaining interaction; a follow-up this interaction planned is
    cleared with it."""
    customer = Customer.objects.get(pk=interaction.customer_id)
    came_from = follow_up_came_from(customer, interaction)
    pk = interaction.pk
    interaction._history_user = actor  # type: ignore[attr-defined]
    interaction.delete()
    _refresh_contact_times(actor, customer.pk, follow_up=(None, "") if came_from else None)
    _emit("interaction.deleted", actor, "interaction", pk, data={"customer_id": customer.pk})


@transaction.atomic
def reassign_interaction(
    *, actor: Any, interaction: Interaction, user: Any, expected_version: int | None
) -> bool:
    """Say who had the interaction (one logged on a colleague's behalf); False when it already
    says so. Who may see the interaction does not change: that follows its customer."""
    if user is None or not user.is_active:
        raise ValidationError({"user": [_("Choose an active colleague.")]})
    if interaction.user_id == user.pk:
        return False
    interaction.user = user
    save_versioned(
        interaction, expected_version=expected_version, update_fields=["user"], user=actor
    )
    _emit(
        "interaction.updated",
        actor,
        "interaction",
        interaction.pk,
        data={"customer_id": interaction.customer_id, "fields": ["user"]},
    )
    return True


EDITABLE_FIELDS = (
    "name",
    "short_name",
    "kind",
    "level",
    "status",
    "source",
    "industry",
    "province",
    "city",
    "district",
    "address",
    "website",
    "uscc",
    "owner",
    "purchase_intent",
    "purchase_intent_note",
    "satisfaction",
    "credit_limit",
    "need_description",
    "preferences",
    "notes",
    "next_follow_up_at",
    "follow_up_plan",
)


@transaction.atomic
def update_customer(
    *, actor: Any, customer: Customer, expected_version: int | None, **changes: Any
) -> Customer:
    """Apply ``changes`` if nobody saved the customer since ``expected_version`` was read."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    check_writable(actor, Customer, changes)
    changed = [k for k, v in changes.items() if getattr(customer, k) != v]
    if "next_follow_up_at" in changed and _same_minute(
        customer.next_follow_up_at, changes["next_follow_up_at"]
    ):
        changed.remove("next_follow_up_at")  # a form shows minutes: the same time, re-sent
    old_keys = {}
    if {"name", "uscc"} & set(changed):
        from kehu.customers.duplicates import keys_of

        old_keys = {k: sorted(v) for k, v in keys_of([customer.pk]).items() if v}
    for key in changed:
        setattr(customer, key, changes[key])
    customer.warnings = _check_customer_fields(customer)  # type: ignore[attr-defined]
    if "next_follow_up_at" in changed:
        _check_follow_up(customer.next_follow_up_at)
    if "name" in changed:
        customer.name_key = validators.name_key(customer.name)
        customer.core_key = validators.core_key(customer.name)
        changed += ["name_key", "core_key"]
    if {"next_follow_up_at", "follow_up_plan"} & set(changed) and customer.follow_up_from_id:
        customer.follow_up_from = None  # planned by hand now
        changed.append("follow_up_from")
    if "uscc" in changed:
        customer.uscc_invalid = validators.uscc_flagged(customer.uscc)
        changed.append("uscc_invalid")
    customer.full_clean()
    save_versioned(customer, expected_version=expected_version, update_fields=changed, user=actor)
    data: dict[str, Any] = {"fields": changed}
    if old_keys:
        data["old_keys"] = old_keys
    _emit("customer.updated", actor, "customer", customer.pk, data=data)
    return customer


def _same_minute(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def _check_follow_up(when: dt.datetime | None) -> None:
    """A follow-up planned by hand is today or later (an overdue one is simply left as is)."""
    from django.utils import timezone

    if when is not None and timezone.localdate(when) < timezone.localdate():
        raise ValidationError(
            {"next_follow_up_at": [_("The next follow-up cannot be planned in the past.")]}
        )


@transaction.atomic
def set_collaborators(*, actor: Any, customer: Customer, users: Iterable[Any]) -> None:
    """Make the customer's collaborators exactly ``users`` (they see and work on it with its
    manager); choosing them, like the manager, needs the right to assign customers."""
    check_writable(actor, Customer, ["collaborators"])
    wanted = {u.pk: u for u in users if u is not None}
    before = set(customer.collaborators.values_list("pk", flat=True))
    if before == set(wanted):
        return
    customer.collaborators.set(list(wanted.values()))
    _customer_changed(
        actor, customer, ["collaborators"], {"collaborators": [sorted(before), sorted(wanted)]}
    )


@transaction.atomic
def delete_customer(*, actor: Any, customer: Customer) -> None:
    """Delete a customer with its contacts and interactions; history keeps what was there."""
    if customer.orders.exists() or customer.returns.exists():
        raise ValidationError(
            _(
                "%(name)s has orders on record and cannot be deleted; mark it lost instead, "
                "or merge it into the customer it duplicates."
            )
            % {"name": customer.name},
            code="has_orders",
        )
    customer._history_user = actor  # type: ignore[attr-defined]
    pk = customer.pk
    contact_ids = list(customer.contacts.values_list("pk", flat=True))
    from kehu.customers.duplicates import keys_of

    old_keys = {k: sorted(v) for k, v in keys_of([pk]).items() if v}
    customer.delete()
    _emit(
        "customer.deleted",
        actor,
        "customer",
        pk,
        data={"contact_ids": contact_ids, "old_keys": old_keys},
    )


@transaction.atomic
def create_customer_with_contact(
    *, actor: Any, customer_fields: dict[str, Any], contact_fields: dict[str, Any]
) -> Customer:
    """A new customer and, when a name is given, its primary contact; duplicates refused."""
    mobile, email = contact_fields.get("mobile", ""), contact_fields.get("email", "")
    existing, reason = find_existing(mobile=mobile, email=email)
    if existing is not None:
        raise DuplicateCustomer(existing, reason)
    fields = dict(customer_fields)
    name = fields.pop("name")
    customer = create_customer(actor=actor, name=name, **fields)
    if contact_fields.get("name"):
        add_contact(actor=actor, customer=customer, is_primary=True, **contact_fields)
    return customer


# ---- tags ---------------------------------------------------------------------------------------

TAG_MAX = 32


def clean_tag_names(raw: str | Iterable[str]) -> list[str]:
    """Tag names from a list or from text split on commas (either width), 、 and semicolons."""
    import re

    parts = re.split(r"[,，、;；]", raw) if isinstance(raw, str) else list(raw)
    names: list[str] = []
    for part in parts:
        name = " ".join(str(part).split())
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise ValidationError(
                _("A tag has at most %(n)d characters: “%(tag)s”.") % {"n": TAG_MAX, "tag": name},
                code="tag_too_long",
            )
        if name not in names:
            names.append(name)
    return names


def _tags_named(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in names]


@transaction.atomic
def set_tags(*, actor: Any, customer: Customer, names: list[str]) -> list[Tag]:
    """Make the customer's tags exactly ``names`` (new tags are created as typed)."""
    tags = _tags_named(clean_tag_names(names))
    before = sorted(customer.tags.values_list("name", flat=True))
    customer.tags.set(tags)
    after = sorted(t.name for t in tags)
    if before != after:
        _customer_changed(actor, customer, ["tags"], {"tags": [before, after]})
    return tags


def _customer_changed(
    actor: Any, customer: Customer, fields: list[str], changes: dict[str, Any] | None = None
) -> None:
    """Bump the version and history of a customer whose related rows (tags) changed."""
    save_versioned(customer, expected_version=None, update_fields=[], user=actor)
    _emit(
        "customer.updated",
        actor,
        "customer",
        customer.pk,
        data={"fields": fields, **({"changes": changes} if changes else {})},
    )


# ---- bulk changes -------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    """What a bulk change did: how many changed, and every refusal with its reason."""

    changed: int = 0
    unchanged: int = 0
    refused: list[tuple[Any, str]] = dc_field(default_factory=list)


def apply_each(items: Iterable[Any], change: Callable[[Any], bool]) -> BulkOutcome:
    """``change`` applied to each of ``items`` in its own transaction, so one refusal (a stale
    record, an invalid value) does not undo the others; ``change`` answers whether it changed
    anything."""
    outcome = BulkOutcome()
    for item in items:
        try:
            with transaction.atomic():
                changed = change(item)
        except (ValidationError, PermissionDenied, StaleWriteError) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            outcome.refused.append((item, reason))
        else:
            outcome.changed += int(changed)
            outcome.unchanged += int(not changed)
    return outcome


BULK_ACTIONS = ("assign_owner", "add_tag", "remove_tag", "set_level", "set_status")


def bulk_change_customers(
    *, actor: Any, customers: Iterable[Customer], action: str, value: Any
) -> BulkOutcome:
    """Apply one change to several customers, each in its own transaction so one refusal (a
    stale record, a field the actor may not set) does not undo the others."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    outcome = BulkOutcome()
    tag_names = clean_tag_names(value) if action in {"add_tag", "remove_tag"} else []
    for customer in customers:
        try:
            with transaction.atomic():
                if action in {"add_tag", "remove_tag"}:
                    current = list(customer.tags.values_list("name", flat=True))
                    if action == "add_tag":
                        wanted = current + [n for n in tag_names if n not in current]
                    else:
                        wanted = [n for n in current if n not in tag_names]
                    if wanted == current:
                        outcome.unchanged += 1
                        continue
                    set_tags(actor=actor, customer=customer, names=wanted)
                else:
                    name = {"assign_owner": "owner", "set_level": "level", "set_status": "status"}[
                        action
                    ]
                    if getattr(customer, name) == value:
                        outcome.unchanged += 1
                        continue
                    update_customer(
                        actor=actor,
                        customer=customer,
                        expected_version=customer.version,
                        **{name: value},
                    )
        except ValidationError as exc:
            outcome.refused.append((customer, "; ".join(exc.messages)))
        except PermissionDenied as exc:
            outcome.refused.append((customer, str(exc)))
        except StaleWriteError as exc:
            outcome.refused.append((customer, str(exc)))
        else:
            outcome.changed += 1
    return outcome


# ---- products, orders and returns ---------------------------------------------------------------

CENT = Decimal("0.01")


def _money(value: Any, *, field_name: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field_name: [_("%(field)s must be a number.") % {"field": label}]}
        ) from None
    if amount < 0:
        raise ValidationError({field_name: [_("%(field)s cannot be negative.") % {"field": label}]})
    return amount


PRODUCT_FIELDS = ("code", "name", "category", "unit", "price", "is_active")


@transaction.atomic
def create_product(*, actor: Any, code: str, name: str, price: Any, **fields: Any) -> Product:
    """Add a product to the catalogue (callers check that the actor may set its price)."""
    product = Product(
        code=code.strip().upper(),
        name=name.strip(),
        price=_money(price, field_name="price", label=_("List price")),
        created_by=actor,
        updated_by=actor,
        **fields,
    )
    if Product.objects.filter(code=product.code).exists():
        raise ValidationError(
            {"code": [_("Product code %(code)s is taken.") % {"code": product.code}]}
        )
    product.full_clean()
    product.save()
    _emit("product.created", actor, "product", product.pk)
    return product


@transaction.atomic
def update_product(
    *, actor: Any, product: Product, expected_version: int | None, **changes: Any
) -> Product:
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    check_writable(actor, Product, changes)
    if "price" in changes:
        changes["price"] = _money(changes["price"], field_name="price", label=_("List price"))
    if "code" in changes:
        changes["code"] = str(changes["code"]).strip().upper()
        if Product.objects.filter(code=changes["code"]).exclude(pk=product.pk).exists():
            raise ValidationError(
                {"code": [_("Product code %(code)s is taken.") % {"code": changes["code"]}]}
            )
    changed = [k for k, v in changes.items() if getattr(product, k) != v]
    for key in changed:
        setattr(product, key, changes[key])
    product.full_clean()
    save_versioned(product, expected_version=expected_version, update_fields=changed, user=actor)
    _emit("product.updated", actor, "product", product.pk, data={"fields": changed})
    return product


@dataclass
class LineInput:
    product: Product
    quantity: Any
    unit_price: Any = None  # the product's list price when not given


def _next_order_number(day: dt.date) -> str:
    while True:
        number = f"SO{day:%Y%m%d}-{secrets.token_hex(3).upper()}"
        if not Order.objects.filter(number=number).exists():
            return number


def refresh_purchase_summary(customer: Customer) -> None:
    """Recompute the customer's order count, purchases, returns and last order date."""
    from django.db.models import Count, Max, Sum

    live = Order.objects.filter(customer=customer).exclude(status=Order.Status.CANCELLED)
    totals = live.aggregate(n=Count("id"), total=Sum("total_amount"), last=Max("ordered_on"))
    returned = Return.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"]
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=totals["n"] or 0,
        purchase_total=totals["total"] or Decimal(0),
        returns_total=returned or Decimal(0),
        last_order_on=totals["last"],
    )
    customer.refresh_from_db(
        fields=["orders_count", "purchase_total", "returns_total", "last_order_on"]
    )


@transaction.atomic
def create_order(
    *,
    actor: Any,
    customer: Customer,
    ordered_on: dt.date,
    lines: list[LineInput],
    sales_rep: Any = None,
    status: str = Order.Status.CONFIRMED,
    notes: str = "",
    number: str = "",
) -> Order:
    """Record a purchase with its lines; the customer's purchase summary follows."""
    errors: dict[str, list[str]] = {}
    try:
        validators.not_in_future(ordered_on, field_label=_("Order date"))
    except ValidationError as exc:
        errors["ordered_on"] = exc.messages
    if not lines:
        errors["lines"] = [_("An order needs at least one line.")]
    priced: list[tuple[Product, Decimal, Decimal]] = []
    for index, line in enumerate(lines, start=1):
        try:
            quantity = Decimal(str(line.quantity))
        except (InvalidOperation, ValueError):
            quantity = Decimal(-1)
        if quantity <= 0:
            errors.setdefault("lines", []).append(
                _("Line %(n)d: the quantity must be more than zero.") % {"n": index}
            )
            continue
        price = line.product.price if line.unit_price in (None, "") else line.unit_price
        try:
            unit_price = _money(price, field_name="lines", label=_("Unit price"))
        except ValidationError as exc:
            errors.setdefault("lines", []).append(
                _("Line %(n)d: %(problem)s") % {"n": index, "problem": exc.messages[0]}
            )
            continue
        priced.append((line.product, quantity, unit_price))
    number = (number or "").strip()
    if number and Order.objects.filter(number=number).exists():
        errors["number"] = [_("Order number %(number)s is taken.") % {"number": number}]
    if errors:
        raise ValidationError(errors)
    order = Order(
        customer=customer,
        number=number or _next_order_number(ordered_on),
        ordered_on=ordered_on,
        sales_rep=sales_rep or actor,
        status=status,
        notes=notes,
        created_by=actor,
        updated_by=actor,
    )
    amounts = [(q * p).quantize(CENT, rounding=ROUND_HALF_UP) for _product, q, p in priced]
    order.total_amount = sum(amounts, Decimal(0))
    order.full_clean()
    order.save()
    for (product, quantity, unit_price), amount in zip(priced, amounts, strict=True):
        OrderLine.objects.create(
            order=order, product=product, quantity=quantity, unit_price=unit_price, amount=amount
        )
    refresh_purchase_summary(customer)
    _emit("order.created", actor, "order", order.pk, data={"customer_id": customer.pk})
    return order


def set_order_status(
    *, actor: Any, order: Order, status: str, expected_version: int | None
) -> Order:
    return update_order(actor=actor, order=order, expected_version=expected_version, status=status)


ORDER_FIELDS = ("status", "ordered_on")


def _check_order_changes(order: Order, changes: dict[str, Any]) -> None:
    """An order's status is a known one, and not "cancelled" once goods came back; its date
    is not in the future, nor after its first return."""
    from django.db.models import Min

    errors: dict[str, list[str]] = {}
    status = changes.get("status", order.status)
    if status not in Order.Status.values:
        errors["status"] = [_("Unknown order status.")]
    elif "status" in changes and status == Order.Status.CANCELLED and order.returns_exist():
        errors["status"] = [_("An order with returns cannot be cancelled; record returns instead.")]
    if "ordered_on" in changes:
        day = changes["ordered_on"]
        try:
            validators.not_in_future(day, field_label=_("Order date"))
        except ValidationError as exc:
            errors["ordered_on"] = exc.messages
        first = Return.objects.filter(line__order=order).aggregate(d=Min("returned_on"))["d"]
        if first is not None and day is not None and day > first:
            errors.setdefault("ordered_on", []).append(
                _("The order date cannot be after its first return (%(date)s).")
                % {"date": first.isoformat()}
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_order(
    *, actor: Any, order: Order, expected_version: int | None, **changes: Any
) -> Order:
    """Change an order's status or date if nobody saved it since ``expected_version`` was read;
    the customer's purchase summary (orders, purchases, last order) follows. Amounts come from
    the lines and returns, never from here."""
    unknown = set(changes) - set(ORDER_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_order_changes(order, changes)
    changed = [k for k, v in changes.items() if getattr(order, k) != v]
    for key in changed:
        setattr(order, key, changes[key])
    save_versioned(order, expected_version=expected_version, update_fields=changed, user=actor)
    refresh_purchase_summary(order.customer)
    _emit(
        "order.updated",
        actor,
        "order",
        order.pk,
        data={"customer_id": order.customer_id, "fields": changed},
    )
    return order


@transaction.atomic
def record_return(
    *, actor: Any, line: OrderLine, quantity: Any, reason: str, returned_on: dt.date
) -> Return:
    """Goods sent back from one order line: at most what was bought and not yet returned."""
    from django.db.models import Sum

    line = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
    order = line.order
    errors: dict[str, list[str]] = {}
    try:
        qty = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        qty = Decimal(-1)
    already = line.returns.aggregate(q=Sum("quantity"))["q"] or Decimal(0)
    if qty <= 0:
        errors["quantity"] = [_("The quantity returned must be more than zero.")]
    elif qty > line.quantity - already:
        errors["quantity"] = [
            _("At most %(left)s can still be returned from this line.")
            % {"left": f"{(line.quantity - already).normalize():f}"}
        ]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the goods came back.")]
    try:
        validators.not_in_future(returned_on, field_label=_("Return date"))
    except ValidationError as exc:
        errors["returned_on"] = exc.messages
    if returned_on and returned_on < order.ordered_on:
        errors.setdefault("returned_on", []).append(
            _("The return date cannot be before the order date (%(date)s).")
            % {"date": order.ordered_on.isoformat()}
        )
    if order.status == Order.Status.CANCELLED:
        errors["line"] = [_("This order was cancelled; nothing can be returned from it.")]
    if errors:
        raise ValidationError(errors)
    amount = (qty * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    returned = Return.objects.create(
        customer_id=order.customer_id,
        line=line,
        quantity=qty,
        amount=amount,
        reason=reason.strip(),
        returned_on=returned_on,
        created_by=actor,
        updated_by=actor,
    )
    Order.objects.filter(pk=order.pk).update(
        returned_amount=Return.objects.filter(line__order=order).aggregate(t=Sum("amount"))["t"]
    )
    refresh_purchase_summary(order.customer)
    _emit(
        "return.recorded",
        actor,
        "return",
        returned.pk,
        data={"customer_id": order.customer_id, "order_id": order.pk},
    )
    return returned


@transaction.atomic
def delete_product(*, actor: Any, product: Product) -> None:
    if product.order_lines.exists():
        raise ValidationError(
            _("%(product)s appears in orders and cannot be deleted; take it off sale instead.")
            % {"product": product},
            code="in_use",
        )
    product._history_user = actor  # type: ignore[attr-defined]
    pk = product.pk
    product.delete()
    _emit("product.deleted", actor, "product", pk)


@transaction.atomic
def delete_order(*, actor: Any, order: Order) -> None:
    """Delete an order entered by mistake (not one with returns: those are history)."""
    if order.returns_exist():
        raise ValidationError(
            _("Order %(number)s has returns and cannot be deleted; cancel it instead.")
            % {"number": order.number},
            code="has_returns",
        )
    customer = order.customer
    order._history_user = actor  # type: ignore[attr-defined]
    pk = order.pk
    order.delete()
    refresh_purchase_summary(customer)
    _emit("order.deleted", actor, "order", pk, data={"customer_id": customer.pk})


@transaction.atomic
def delete_return(*, actor: Any, returned: Return) -> None:
    """Undo a return recorded by mistake; the order's and customer's totals follow."""
    from django.db.models import Sum

    order = returned.line.order
    returned._history_user = actor  # type: ignore[attr-defined]
    pk = returned.pk
    returned.delete()
    Order.objects.filter(pk=order.pk).update(
        returned_amount=Return.objects.filter(line__order=order).aggregate(t=Sum("amount"))["t"]
        or Decimal(0)
    )
    refresh_purchase_summary(order.customer)
    _emit("return.deleted", actor, "return", pk, data={"customer_id": order.customer_id})
