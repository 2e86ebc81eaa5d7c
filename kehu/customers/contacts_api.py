"""Contacts and interactions API: the same selectors, services and filters as the tables."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core.apisupport import KeysetPagination, expected_version, require_perm
from kehu.customers import selectors, services
from kehu.customers.models import Contact, Customer, Interaction

router = Router(tags=["contacts"])

BULK_MAX = 500


def _filtered(request: HttpRequest, filterset_class: Any, qs: Any) -> Any:
    """``qs`` narrowed by the table's filters read from the query string (422 when invalid)."""
    data = request.GET.copy()
    for key in ("cursor", "direction", "limit", "customer_id"):
        data.pop(key, None)
    filterset = filterset_class(data, queryset=qs, request=request)
    if not filterset.is_valid():
        raise DjangoValidationError(
            {field: list(errors) for field, errors in filterset.errors.items()}
        )
    return filterset.qs


class BulkResult(Schema):
    created: list[int]
    errors: dict[int, str]


def _bulk(items: list[Any], create: Callable[[Any], Any]) -> dict[str, Any]:
    """Create each item on its own; refusals are reported by position, the rest are kept."""
    if len(items) > BULK_MAX:
        raise HttpError(422, f"At most {BULK_MAX} items per request.")
    created: list[int] = []
    errors: dict[int, str] = {}
    for position, item in enumerate(items):
        try:
            with transaction.atomic():
                created.append(create(item).pk)
        except (DjangoValidationError, PermissionDenied) as exc:
            errors[position] = " ".join(getattr(exc, "messages", [str(exc)]))
        except HttpError as exc:
            errors[position] = str(exc.message)
        except Http404:  # the item's customer is out of reach
            errors[position] = str(_("Customer not found."))
    return {"created": created, "errors": errors}


# ---- contacts -------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    mobile: str
    mobile2: str
    phone: str
    email: str
    wechat: str
    birthday: dt.date | None
    is_primary: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactIn(Schema):
    customer_id: int
    name: str
    title: str = ""
    mobile: str = ""
    mobile2: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    birthday: dt.date | None = None
    is_primary: bool = False


class ContactPatch(Schema):
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    mobile2: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    birthday: dt.date | None = None
    is_primary: bool | None = None
    version: int | None = None


def contact_out(user: Any, contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in ContactOut.model_fields}


def _check_email(data: dict[str, Any]) -> None:
    from django.core.validators import validate_email

    if data.get("email"):
        try:
            validate_email(data["email"])
        except DjangoValidationError as exc:
            raise DjangoValidationError({"email": exc.messages}) from None


def _create_contact(user: Any, payload: ContactIn) -> Contact:
    customer = selectors.get_customer_for(user, payload.customer_id)
    data = payload.dict(exclude={"customer_id"})
    _check_email(data)
    return services.add_contact(actor=user, customer=customer, **data)


@router.get("/contacts", response=list[ContactOut], summary="List contacts")
@paginate(KeysetPagination, ordering=["name", "id"], serialize=contact_out)
def list_contacts(
    request: HttpRequest,
    customer_id: int | None = None,
    q: str | None = None,
    is_primary: bool | None = None,
    owner: int | None = None,
    birthday: str | None = None,
    reachable: str | None = None,
) -> Any:
    """Filters combine as in the contacts table: ``q`` finds names (Chinese, pinyin,
    initials), any four or more last digits of a phone, and e-mail words; ``owner`` is the
    customer manager's id; ``birthday`` is ``month`` or ``next_month``; ``reachable`` is
    ``mobile``, ``email`` or ``none``."""
    from kehu.customers.filters import ContactFilter

    qs = selectors.contacts_visible_to(request.auth)  # type: ignore[attr-defined]
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return _filtered(request, ContactFilter, qs)


@router.post(
    "/contacts/bulk",
    response={200: BulkResult},
    summary="Add many contacts",
    description="Each item is created on its own; the answer lists the new ids and, by "
    f"position, the reason each failed item was refused. At most {BULK_MAX} items.",
)
def bulk_create_contacts(request: HttpRequest, payload: list[ContactIn]) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "contact.create")
    return _bulk(payload, lambda item: _create_contact(user, item))


@router.post("/contacts", response={201: ContactOut}, summary="Add a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "contact.create")
    return Status(201, contact_out(user, _create_contact(user, payload)))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return contact_out(user, selectors.get_contact_for(user, contact_id))


@router.patch(
    "/contacts/{contact_id}",
    response=ContactOut,
    summary="Change a contact",
    description="Send the `version` you read (field or `If-Match` header); a stale write "
    "answers 409 with the current version, a write without a version 428. Making a contact "
    "primary makes the previous primary contact an ordinary one.",
)
def patch_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    contact = selectors.get_contact_for(user, contact_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data)
    _check_email(data)
    contact = services.update_contact(
        actor=user, contact=contact, expected_version=expected, **data
    )
    return contact_out(user, contact)


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    contact = selectors.get_contact_for(user, contact_id, "delete")
    services.delete_contact(actor=user, contact=contact)
    return Status(204, None)


# ---- interactions ---------------------------------------------------------------------------


class InteractionOut(Schema):
    id: int
    customer_id: int
    kind: str
    occurred_at: dt.datetime
    user_id: int | None
    summary: str
    outcome: str
    next_step: str
    contact_ids: list[int]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class InteractionIn(Schema):
    customer_id: int
    kind: str = Interaction.Kind.CALL
    occurred_at: dt.datetime
    summary: str
    outcome: str = ""
    next_step: str = ""
    next_follow_up_at: dt.datetime | None = None
    contact_ids: list[int] = []


class InteractionPatch(Schema):
    kind: str | None = None
    occurred_at: dt.datetime | None = None
    summary: str | None = None
    outcome: str | None = None
    next_step: str | None = None
    next_follow_up_at: dt.datetime | None = None
    contact_ids: list[int] | None = None
    version: int | None = None


def interaction_out(user: Any, interaction: Interaction) -> dict[str, Any]:
    data = {
        name: getattr(interaction, name)
        for name in InteractionOut.model_fields
        if name != "contact_ids"
    }
    data["contact_ids"] = sorted(c.pk for c in interaction.contacts.all())
    return data


def _contacts_of(customer: Customer, ids: list[int]) -> list[Contact]:
    """The contacts named by id, all of them of ``customer`` (422 otherwise)."""
    found = list(Contact.objects.filter(customer_id=customer.pk, pk__in=ids))
    missing = sorted(set(ids) - {c.pk for c in found})
    if missing:
        raise DjangoValidationError(
            {"contact_ids": [f"Not contacts of this customer: {', '.join(map(str, missing))}."]}
        )
    return found


def _interactions(user: Any) -> Any:
    return selectors.interactions_visible_to(user).prefetch_related("contacts")


def _log(user: Any, payload: InteractionIn) -> Interaction:
    customer = selectors.get_customer_for(user, payload.customer_id)
    data = payload.dict(exclude={"customer_id", "contact_ids"})
    if data["kind"] not in Interaction.Kind.values:
        raise DjangoValidationError({"kind": [f"Unknown kind {data['kind']!r}."]})
    contacts = _contacts_of(customer, payload.contact_ids)
    return services.log_interaction(actor=user, customer=customer, contacts=contacts, **data)


@router.get("/interactions", response=list[InteractionOut], summary="List interactions")
@paginate(KeysetPagination, ordering=["-occurred_at", "-id"], serialize=interaction_out)
def list_interactions(
    request: HttpRequest,
    customer_id: int | None = None,
    q: str | None = None,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    mine: bool | None = None,
    user: int | None = None,
) -> Any:
    """Newest first. Filters combine as in the interactions table: ``q`` finds interactions
    with customers matching by name, or by a contact's name, phone or e-mail; ``user`` is who
    logged them."""
    from kehu.customers.filters import InteractionFilter

    qs = _interactions(request.auth)  # type: ignore[attr-defined]
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return _filtered(request, InteractionFilter, qs)


@router.post(
    "/interactions/bulk",
    response={200: BulkResult},
    summary="Log many interactions",
    description="Each item is logged on its own; the answer lists the new ids and, by "
    f"position, the reason each failed item was refused. At most {BULK_MAX} items.",
)
def bulk_log_interactions(request: HttpRequest, payload: list[InteractionIn]) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "interaction.create")
    return _bulk(payload, lambda item: _log(user, item))


@router.post("/interactions", response={201: InteractionOut}, summary="Log an interaction")
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Any:
    """The customer's last contact follows; ``next_follow_up_at`` plans the next follow-up
    with ``next_step`` as its plan."""
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "interaction.create")
    interaction = _log(user, payload)
    return Status(201, interaction_out(user, _interactions(user).get(pk=interaction.pk)))


@router.get("/interactions/{interaction_id}", response=InteractionOut, summary="One interaction")
def get_interaction(request: HttpRequest, interaction_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return interaction_out(user, selectors.get_interaction_for(user, interaction_id))


@router.patch(
    "/interactions/{interaction_id}",
    response=InteractionOut,
    summary="Correct an interaction",
    description="Send the `version` you read (field or `If-Match` header); a stale write "
    "answers 409, a write without a version 428. The customer's last contact follows the "
    "corrected time; a follow-up this interaction planned follows its next step.",
)
def patch_interaction(request: HttpRequest, interaction_id: int, payload: InteractionPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    interaction = selectors.get_interaction_for(user, interaction_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data)
    if "kind" in data and data["kind"] not in Interaction.Kind.values:
        raise DjangoValidationError({"kind": [f"Unknown kind {data['kind']!r}."]})
    ids = data.pop("contact_ids", None)
    if ids is not None:
        data["contacts"] = _contacts_of(interaction.customer, ids)
    if data.get("next_follow_up_at", True) is None:
        data.pop("next_follow_up_at")  # clearing the follow-up is the customer's business
    for name in ("summary", "occurred_at"):
        if name in data and data[name] is None:
            raise DjangoValidationError({name: ["This field cannot be empty."]})
    interaction = services.update_interaction(
        actor=user, interaction=interaction, expected_version=expected, **data
    )
    return interaction_out(user, _interactions(user).get(pk=interaction.pk))


@router.delete(
    "/interactions/{interaction_id}", response={204: None}, summary="Delete an interaction"
)
def delete_interaction(request: HttpRequest, interaction_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    interaction = selectors.get_interaction_for(user, interaction_id, "delete")
    services.delete_interaction(actor=user, interaction=interaction)
    return Status(204, None)
