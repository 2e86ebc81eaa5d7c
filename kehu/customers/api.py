"""Customers API: the same selectors, services and field rules as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination, parse_if_match
from kehu.core.fieldrules import check_writable, redact
from kehu.core.permissions import has_perm
from kehu.customers import selectors, services
from kehu.customers.models import Customer

router = Router(tags=["customers"])


class CustomerOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    level: str
    status: str
    source: str
    industry: str
    province: str
    city: str
    district: str
    address: str
    website: str
    uscc: str
    owner_id: int | None
    collaborator_ids: list[int]
    tags: list[str]
    purchase_intent: str
    purchase_intent_note: str
    satisfaction: int | None
    need_description: str
    preferences: str
    notes: str
    last_contact_at: dt.datetime | None
    next_follow_up_at: dt.datetime | None
    follow_up_plan: str
    orders_count: int
    last_order_on: dt.date | None
    credit_limit: Decimal | None = None  # financial: absent without view_financials
    purchase_total: Decimal | None = None  # financial
    returns_total: Decimal | None = None  # financial
    warnings: list[str] = []  # non-blocking problems with what was just written
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerIn(Schema):
    name: str
    short_name: str = ""
    kind: str = Customer.Kind.COMPANY
    level: str = Customer.Level.C
    status: str = Customer.Status.LEAD
    source: str = ""
    industry: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    website: str = ""
    uscc: str = ""
    owner_id: int | None = None
    collaborator_ids: list[int] = []
    tags: list[str] = []
    purchase_intent: str = Customer.Intent.NONE
    purchase_intent_note: str = ""
    satisfaction: int | None = None
    need_description: str = ""
    preferences: str = ""
    notes: str = ""
    next_follow_up_at: dt.datetime | None = None
    follow_up_plan: str = ""
    credit_limit: Decimal | None = None


class CustomerPatch(Schema):
    name: str | None = None
    short_name: str | None = None
    kind: str | None = None
    level: str | None = None
    status: str | None = None
    source: str | None = None
    industry: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    website: str | None = None
    uscc: str | None = None
    owner_id: int | None = None
    collaborator_ids: list[int] | None = None
    tags: list[str] | None = None
    purchase_intent: str | None = None
    purchase_intent_note: str | None = None
    satisfaction: int | None = None
    need_description: str | None = None
    preferences: str | None = None
    notes: str | None = None
    next_follow_up_at: dt.datetime | None = None  # null: no follow-up planned
    follow_up_plan: str | None = None
    credit_limit: Decimal | None = None
    version: int | None = None


MONEY = {"credit_limit", "purchase_total", "returns_total"}
FIELDS = [
    name
    for name in CustomerOut.model_fields
    if name not in {"warnings", "tags", "collaborator_ids", *MONEY}
]


def serialize(user: Any, customer: Customer) -> dict[str, Any]:
    data = {name: getattr(customer, name) for name in FIELDS}
    for name in MONEY:
        data[name] = getattr(customer, name)
    data["tags"] = [t.name for t in customer.tags.all()]
    data["collaborator_ids"] = sorted(u.pk for u in customer.collaborators.all())
    warnings = getattr(customer, "warnings", None)
    if warnings:
        data["warnings"] = warnings
    return redact(user, Customer, data)


def _require(request: HttpRequest, code: str) -> None:
    if not has_perm(request.auth, code):  # type: ignore[attr-defined]
        raise HttpError(403, "Permission denied.")


def _owner(user: Any, owner_id: int | None) -> Any:
    from kehu.accounts.models import User

    if owner_id is None:
        return None
    return get_object_or_404(User.objects.filter(is_active=True), pk=owner_id)


RENAMED = {"owner_id": "owner", "collaborator_ids": "collaborators"}


def _people(ids: list[int]) -> list[Any]:
    """Active users by id; an unknown one is refused by name, not skipped."""
    from kehu.accounts.models import User

    found = list(User.objects.filter(is_active=True, pk__in=ids))
    missing = sorted(set(ids) - {u.pk for u in found})
    if missing:
        raise DjangoValidationError(
            {"collaborator_ids": [f"Unknown users: {', '.join(map(str, missing))}."]}
        )
    return found


def _create(user: Any, payload: CustomerIn) -> Customer:
    """One customer from an API payload, with the same field rules as the pages."""
    data = payload.dict(exclude_unset=True)
    check_writable(user, Customer, [RENAMED.get(k, k) for k in data])
    owner = _owner(user, data.pop("owner_id", None))
    name = data.pop("name")
    tags = services.clean_tag_names(data.pop("tags", []))
    collaborators = _people(data.pop("collaborator_ids", []))
    customer = services.create_customer(actor=user, name=name, owner=owner, **data)
    if tags:
        services.set_tags(actor=user, customer=customer, names=tags)
    if collaborators:
        services.set_collaborators(actor=user, customer=customer, users=collaborators)
    return customer


@router.get("/customers", response=list[CustomerOut], exclude_unset=True, summary="List customers")
@paginate(KeysetPagination, ordering=["name"], serialize=serialize)
def list_customers(
    request: HttpRequest,
    q: str | None = None,
    level: str | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    city: str | None = None,
    follow_up: str | None = None,
) -> Any:
    """Filters combine; ``q`` searches Chinese, pinyin, initials and USCC like the table does;
    ``follow_up`` is ``overdue`` or ``week``."""
    from kehu.customers.filters import CustomerFilter

    qs = selectors.customers_visible_to(request.auth).prefetch_related(  # type: ignore[attr-defined]
        "tags", "collaborators"
    )
    data = request.GET.copy()
    for key in ("cursor", "direction", "limit", "owner_id"):
        data.pop(key, None)
    filterset = CustomerFilter(data, queryset=qs, request=request)
    if not filterset.is_valid():
        raise DjangoValidationError(
            {field: list(errors) for field, errors in filterset.errors.items()}
        )
    qs = filterset.qs
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


class BulkResult(Schema):
    created: list[int]
    errors: dict[int, str]


@router.post(
    "/customers/bulk",
    response={200: BulkResult},
    summary="Create many customers",
    description="Each item is created on its own; the answer lists the new ids and, "
    "by position, the reason each failed item was refused. At most 500 items.",
)
def bulk_create_customers(request: HttpRequest, payload: list[CustomerIn]) -> Any:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    user = request.auth  # type: ignore[attr-defined]
    _require(request, "customer.create")
    if len(payload) > 500:
        raise HttpError(422, "At most 500 items per request.")
    created: list[int] = []
    errors: dict[int, str] = {}
    for position, item in enumerate(payload):
        try:
            with transaction.atomic():
                created.append(_create(user, item).pk)
        except (ValidationError, PermissionDenied) as exc:
            errors[position] = " ".join(getattr(exc, "messages", [str(exc)]))
    return {"created": created, "errors": errors}


@router.get(
    "/customers/{customer_id}", response=CustomerOut, exclude_unset=True, summary="One customer"
)
def get_customer(request: HttpRequest, customer_id: int) -> Any:
    customer = selectors.get_customer_for(request.auth, customer_id)  # type: ignore[attr-defined]
    return serialize(request.auth, customer)  # type: ignore[attr-defined]


@router.post(
    "/customers",
    response={201: CustomerOut},
    exclude_unset=True,
    summary="Create a customer",
)
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    _require(request, "customer.create")
    customer = _create(user, payload)
    return Status(201, serialize(user, customer))


@router.patch(
    "/customers/{customer_id}",
    response=CustomerOut,
    exclude_unset=True,
    summary="Change a customer",
    description="Send the `version` you read (field or `If-Match` header); a stale write "
    "answers 409 with the current version.",
)
def patch_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    customer = scoping.get_visible_or_404(Customer.objects.all(), user, "change", pk=customer_id)
    data = payload.dict(exclude_unset=True)
    expected = data.pop("version", None) or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    check_writable(user, Customer, [RENAMED.get(k, k) for k in data])
    if "owner_id" in data:
        data["owner"] = _owner(user, data.pop("owner_id"))
    tags = data.pop("tags", None)
    ids = data.pop("collaborator_ids", None)
    collaborators = _people(ids) if ids is not None else None
    if data.get("follow_up_plan", "") is None:
        data["follow_up_plan"] = ""
    customer = services.update_customer(
        actor=user, customer=customer, expected_version=expected, **data
    )
    if tags is not None:
        services.set_tags(actor=user, customer=customer, names=services.clean_tag_names(tags))
    if collaborators is not None:
        services.set_collaborators(actor=user, customer=customer, users=collaborators)
    return serialize(user, customer)


@router.delete("/customers/{customer_id}", response={204: None}, summary="Delete a customer")
def delete_customer(request: HttpRequest, customer_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    customer = scoping.get_visible_or_404(Customer.objects.all(), user, "delete", pk=customer_id)
    services.delete_customer(actor=user, customer=customer)
    return Status(204, None)


class MergeIn(Schema):
    merged_id: int
    choices: dict[str, str] = {}  # field -> "survivor" | "merged"; unnamed fields keep defaults
    survivor_version: int | None = None
    merged_version: int | None = None


class MergeOut(Schema):
    customer: CustomerOut
    merged_id: int
    moved: dict[str, int]


@router.post(
    "/customers/{customer_id}/merge",
    response=MergeOut,
    summary="Merge another customer into this one",
    description="Every contact, interaction, order and other linked record of `merged_id` moves "
    "here; `choices` pick, per field, whose value stays. Send both versions you read; a stale "
    "one answers 409.",
)
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn) -> Any:
    from kehu.customers import merging

    user = request.auth  # type: ignore[attr-defined]
    _require(request, "customer.delete")
    survivor = scoping.get_visible_or_404(Customer.objects.all(), user, "change", pk=customer_id)
    merged = scoping.get_visible_or_404(
        Customer.objects.all(), user, "delete", pk=payload.merged_id
    )
    record = merging.merge_customers(
        actor=user,
        survivor=survivor,
        merged=merged,
        choices=payload.choices,
        survivor_version=payload.survivor_version,
        merged_version=payload.merged_version,
    )
    survivor = selectors.get_customer_for(user, survivor.pk)
    moved = {k: v for k, v in record.moved.items() if isinstance(v, int)}
    return {
        "customer": serialize(user, survivor),
        "merged_id": record.merged_customer_id,
        "moved": moved,
    }
