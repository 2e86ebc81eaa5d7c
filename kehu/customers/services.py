"""Every write to customers, contacts and interactions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.fieldrules import check_writable
from kehu.core.locking import save_versioned
from kehu.customers import validators
from kehu.customers.models import Contact, Customer, Interaction


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
        contact = Contact.objects.select_related("customer__owner").filter(mobile=mobile).first()
        if contact:
            return contact.customer, str(_("mobile"))
    if email:
        contact = (
            Contact.objects.select_related("customer__owner").filter(email__iexact=email).first()
        )
        if contact:
            return contact.customer, str(_("e-mail"))
    return None, ""


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
    customer.name_key = validators.name_key(customer.name)
    existing, reason = find_existing(name=customer.name, uscc=customer.uscc)
    if existing is not None:
        raise DuplicateCustomer(existing, reason)
    customer.full_clean()
    customer.save()
    publish(
        Event(
            "customer.created",
            actor_id=getattr(actor, "pk", None),
            object_type="customer",
            object_id=customer.pk,
        )
    )
    return customer


@transaction.atomic
def add_contact(*, actor: Any, customer: Customer, name: str, **fields: Any) -> Contact:
    contact = Contact(customer=customer, name=name.strip(), created_by=actor, updated_by=actor)
    for key, value in fields.items():
        setattr(contact, key, value)
    errors: dict[str, list[str]] = {}
    for field in ("mobile", "phone"):
        try:
            setattr(contact, field, validators.normalize_phone(getattr(contact, field)))
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    contact.full_clean()
    contact.save()
    publish(
        Event(
            "contact.created",
            actor_id=getattr(actor, "pk", None),
            object_type="contact",
            object_id=contact.pk,
        )
    )
    return contact


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
    contacts: list[Contact] | None = None,
) -> Interaction:
    """Record an interaction; the customer's last contact follows the newest one and the next
    follow-up is taken from the interaction's next step when one is given."""
    try:
        validators.not_in_future(occurred_at, field_label=_("When"))
    except ValidationError as exc:
        raise ValidationError({"occurred_at": exc.messages}) from None
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
        update_fields += ["next_follow_up_at", "follow_up_plan"]
    if update_fields:
        locked.save(update_fields=update_fields)
        for name in update_fields:
            setattr(customer, name, getattr(locked, name))
    publish(
        Event(
            "interaction.logged",
            actor_id=getattr(actor, "pk", None),
            object_type="interaction",
            object_id=interaction.pk,
            data={"customer_id": customer.pk},
        )
    )
    return interaction


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
    "address",
    "uscc",
    "owner",
    "purchase_intent",
    "credit_limit",
    "need_description",
    "preferences",
    "notes",
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
    for key in changed:
        setattr(customer, key, changes[key])
    customer.warnings = _check_customer_fields(customer)  # type: ignore[attr-defined]
    if "name" in changed:
        customer.name_key = validators.name_key(customer.name)
        changed.append("name_key")
    customer.full_clean()
    save_versioned(customer, expected_version=expected_version, update_fields=changed, user=actor)
    publish(
        Event(
            "customer.updated",
            actor_id=getattr(actor, "pk", None),
            object_type="customer",
            object_id=customer.pk,
            data={"fields": changed},
        )
    )
    return customer


@transaction.atomic
def delete_customer(*, actor: Any, customer: Customer) -> None:
    """Delete a customer with its contacts and interactions; history keeps what was there."""
    customer._history_user = actor  # type: ignore[attr-defined]
    pk = customer.pk
    contact_ids = list(customer.contacts.values_list("pk", flat=True))
    customer.delete()
    publish(
        Event(
            "customer.deleted",
            actor_id=getattr(actor, "pk", None),
            object_type="customer",
            object_id=pk,
            data={"contact_ids": contact_ids},
        )
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
