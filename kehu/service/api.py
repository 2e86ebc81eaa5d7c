"""Service-desk API: tickets, their conversation and status, SLA policies. The same
selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination, parse_if_match
from kehu.core.fieldrules import check_writable
from kehu.core.permissions import has_perm
from kehu.service import selectors, services
from kehu.service.models import SLAPolicy, Ticket, TicketMessage

router = Router(tags=["service"])


class TicketOut(Schema):
    id: int
    number: str
    subject: str
    description: str
    type: str
    channel: str
    priority: str
    status: str
    customer_id: int | None
    contact_id: int | None
    product_id: int | None
    order_id: int | None
    team_id: int | None
    assignee_id: int | None
    requester_name: str
    requester_email: str
    requester_phone: str
    reopen_count: int
    waiting_on_customer: bool
    sla_policy_id: int | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    paused_seconds: int
    escalated: bool
    merged_into_id: int | None
    satisfaction_score: int | None
    satisfaction_comment: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


FIELDS = list(TicketOut.model_fields)


def serialize(user: Any, ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in FIELDS}


class TicketIn(Schema):
    subject: str
    description: str = ""
    type: str = Ticket.Type.INQUIRY
    channel: str = Ticket.Channel.PHONE
    priority: str = Ticket.Priority.NORMAL
    customer_id: int | None = None
    contact_id: int | None = None
    product_id: int | None = None
    order_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    requester_name: str = ""
    requester_email: str = ""
    requester_phone: str = ""


class TicketPatch(Schema):
    subject: str | None = None
    description: str | None = None
    type: str | None = None
    channel: str | None = None
    priority: str | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    product_id: int | None = None
    order_id: int | None = None
    team_id: int | None = None
    requester_name: str | None = None
    requester_email: str | None = None
    requester_phone: str | None = None
    version: int | None = None


def _require(request: HttpRequest, code: str) -> None:
    if not has_perm(request.auth, code):  # type: ignore[attr-defined]
        raise HttpError(403, "Permission denied.")


def _links(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve ``*_id`` fields to records the user may see (404 otherwise)."""
    from kehu.accounts.models import Team
    from kehu.customers.models import Contact, Customer, Order, Product

    models = {
        "customer": Customer,
        "contact": Contact,
        "product": Product,
        "order": Order,
    }
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.removesuffix("_id")
        if key.endswith("_id") and name in models:
            out[name] = (
                None
                if value is None
                else scoping.get_visible_or_404(models[name].objects.all(), user, pk=value)
            )
        elif key == "team_id":
            out["team"] = None if value is None else get_object_or_404(Team, pk=value)
        else:
            out[key] = value
    return out


def _choices(data: dict[str, Any]) -> None:
    errors = {}
    for name, choices in (
        ("type", Ticket.Type.values),
        ("channel", Ticket.Channel.values),
        ("priority", Ticket.Priority.values),
    ):
        if name in data and data[name] not in choices:
            errors[name] = [f"One of: {', '.join(choices)}"]
    if errors:
        raise DjangoValidationError(errors)


@router.get("/tickets", response=list[TicketOut], summary="List tickets")
@paginate(KeysetPagination, ordering=["-created_at", "-id"], serialize=serialize)
def list_tickets(
    request: HttpRequest,
    q: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    type: str | None = None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    sla: str | None = None,
) -> Any:
    """Filters combine; ``sla`` is ``overdue`` or ``waiting``."""
    from kehu.service.views import TicketFilter

    qs = selectors.tickets_visible_to(request.auth)  # type: ignore[attr-defined]
    data = request.GET.copy()
    for key in ("cursor", "direction", "limit", "assignee_id", "customer_id"):
        data.pop(key, None)
    filterset = TicketFilter(data, queryset=qs, request=request)
    if not filterset.is_valid():
        raise DjangoValidationError(
            {field: list(errors) for field, errors in filterset.errors.items()}
        )
    qs = filterset.qs
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="One ticket")
def get_ticket(request: HttpRequest, ticket_id: int) -> Any:
    return serialize(request.auth, selectors.get_ticket_for(request.auth, ticket_id))  # type: ignore[attr-defined]


@router.post("/tickets", response={201: TicketOut}, summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    from kehu.accounts.models import User

    user = request.auth  # type: ignore[attr-defined]
    _require(request, "ticket.create")
    data = payload.dict(exclude_unset=True)
    _choices(data)
    assignee_id = data.pop("assignee_id", None)
    assignee = None
    if assignee_id is not None:
        _require(request, "ticket.assign")
        assignee = get_object_or_404(User.objects.filter(is_active=True), pk=assignee_id)
    ticket = services.open_ticket(actor=user, assignee=assignee, **_links(user, data))
    return Status(201, serialize(user, ticket))


@router.patch(
    "/tickets/{ticket_id}",
    response=TicketOut,
    summary="Change a ticket",
    description="Send the `version` you read (field or `If-Match` header); a stale write "
    "answers 409 with the current version.",
)
def patch_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ticket = selectors.get_ticket_for(user, ticket_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = data.pop("version", None) or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    _choices(data)
    changes = _links(user, data)
    check_writable(user, Ticket, changes)
    ticket = services.update_ticket(actor=user, ticket=ticket, expected_version=expected, **changes)
    return serialize(user, ticket)


@router.delete("/tickets/{ticket_id}", response={204: None}, summary="Delete a ticket")
def delete_ticket(request: HttpRequest, ticket_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ticket = selectors.get_ticket_for(user, ticket_id, "delete")
    services.delete_ticket(actor=user, ticket=ticket)
    return Status(204, None)


class StatusIn(Schema):
    status: str
    version: int | None = None


@router.post(
    "/tickets/{ticket_id}/status",
    response=TicketOut,
    summary="Move a ticket to another status",
    description="new → in_progress → resolved → follow_up → closed; in_progress again "
    "reopens. An invalid move answers 422 with the reason; a stale version 409.",
)
def set_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ticket = selectors.get_ticket_for(user, ticket_id, "change")
    ticket = services.change_status(
        actor=user,
        ticket=ticket,
        status=payload.status,
        expected_version=payload.version or parse_if_match(request),
        base_url=request.build_absolute_uri("/"),
    )
    return serialize(user, ticket)


class MessageIn(Schema):
    kind: str = "note"  # note | reply
    body: str


class MessageOut(Schema):
    id: int
    kind: str
    author_id: int | None
    body: str
    emailed: bool
    created_at: dt.datetime


@router.get(
    "/tickets/{ticket_id}/messages", response=list[MessageOut], summary="A ticket's conversation"
)
def list_messages(request: HttpRequest, ticket_id: int) -> Any:
    ticket = selectors.get_ticket_for(request.auth, ticket_id)  # type: ignore[attr-defined]
    return selectors.conversation(ticket)


@router.post(
    "/tickets/{ticket_id}/messages",
    response={201: MessageOut},
    summary="Add an internal note or reply to the customer",
    description="A reply is e-mailed to the requester or contact and stops the first-response "
    "clock.",
)
def add_message(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ticket = selectors.get_ticket_for(user, ticket_id, "change")
    if payload.kind == TicketMessage.Kind.NOTE:
        message = services.add_note(actor=user, ticket=ticket, body=payload.body)
    elif payload.kind == TicketMessage.Kind.REPLY:
        message = services.reply(actor=user, ticket=ticket, body=payload.body)
    else:
        raise DjangoValidationError({"kind": ["note or reply"]})
    return Status(201, message)


class SurveyLinkOut(Schema):
    url: str
    expires_at: dt.datetime


@router.post(
    "/tickets/{ticket_id}/survey-link",
    response={201: SurveyLinkOut},
    summary="Get a fresh satisfaction survey link",
    description="For a resolved ticket not rated yet: a new single-use survey link to hand to "
    "the customer (phone, WeChat, walk-in). Kehu stores only its hash, so each call issues a "
    "new link and the earlier unanswered ones stop working. 422 when the ticket is not "
    "resolved or already rated.",
)
def survey_link(request: HttpRequest, ticket_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ticket = selectors.get_ticket_for(user, ticket_id, "change")
    invite, url = services.issue_survey_link(
        actor=user, ticket=ticket, base_url=request.build_absolute_uri("/")
    )
    return Status(201, {"url": url, "expires_at": invite.expires_at})


class AssignIn(Schema):
    assignee_id: int | None = None
    auto: bool = False
    version: int | None = None


@router.post("/tickets/{ticket_id}/assign", response=TicketOut, summary="Assign a ticket")
def assign_ticket(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    from kehu.accounts.models import User

    user = request.auth  # type: ignore[attr-defined]
    _require(request, "ticket.assign")
    ticket = selectors.get_ticket_for(user, ticket_id, "change")
    if payload.auto:
        services.auto_assign(actor=user, ticket=ticket)
    else:
        assignee = (
            get_object_or_404(User.objects.filter(is_active=True), pk=payload.assignee_id)
            if payload.assignee_id is not None
            else None
        )
        services.assign(
            actor=user,
            ticket=ticket,
            assignee=assignee,
            expected_version=payload.version or parse_if_match(request),
        )
    return serialize(user, selectors.get_ticket_for(user, ticket_id))


# ---- SLA policies -------------------------------------------------------------------------------


class PolicyOut(Schema):
    id: int
    name: str
    priority: str
    ticket_type: str
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int
    escalate_to_role_id: int | None
    escalate_to_user_id: int | None
    is_active: bool
    version: int


class PolicyIn(Schema):
    name: str
    priority: str = ""
    ticket_type: str = ""
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int = 30
    escalate_to_role_id: int | None = None
    escalate_to_user_id: int | None = None
    is_active: bool = True


class PolicyPatch(Schema):
    name: str | None = None
    priority: str | None = None
    ticket_type: str | None = None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warn_before_minutes: int | None = None
    escalate_to_role_id: int | None = None
    escalate_to_user_id: int | None = None
    is_active: bool | None = None
    version: int | None = None


def _policy_links(data: dict[str, Any]) -> dict[str, Any]:
    from kehu.accounts.models import Role, User

    out = dict(data)
    if "escalate_to_role_id" in out:
        value = out.pop("escalate_to_role_id")
        out["escalate_to_role"] = None if value is None else get_object_or_404(Role, pk=value)
    if "escalate_to_user_id" in out:
        value = out.pop("escalate_to_user_id")
        out["escalate_to_user"] = None if value is None else get_object_or_404(User, pk=value)
    return out


@router.get("/sla-policies", response=list[PolicyOut], summary="List SLA policies")
def list_policies(request: HttpRequest) -> Any:
    return list(selectors.policies_visible_to(request.auth))  # type: ignore[attr-defined]


@router.get("/sla-policies/{policy_id}", response=PolicyOut, summary="One SLA policy")
def get_policy(request: HttpRequest, policy_id: int) -> Any:
    return scoping.get_visible_or_404(SLAPolicy.objects.all(), request.auth, pk=policy_id)  # type: ignore[attr-defined]


@router.post("/sla-policies", response={201: PolicyOut}, summary="Create an SLA policy")
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    _require(request, "manage_service")
    policy = services.create_policy(
        actor=request.auth,  # type: ignore[attr-defined]
        **_policy_links(payload.dict()),
    )
    return Status(201, policy)


@router.patch("/sla-policies/{policy_id}", response=PolicyOut, summary="Change an SLA policy")
def patch_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch) -> Any:
    _require(request, "manage_service")
    user = request.auth  # type: ignore[attr-defined]
    policy = scoping.get_visible_or_404(SLAPolicy.objects.all(), user, "change", pk=policy_id)
    data = payload.dict(exclude_unset=True)
    expected = data.pop("version", None) or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    return services.update_policy(
        actor=user, policy=policy, expected_version=expected, **_policy_links(data)
    )


@router.delete("/sla-policies/{policy_id}", response={204: None}, summary="Delete an SLA policy")
def delete_policy(request: HttpRequest, policy_id: int) -> Any:
    _require(request, "manage_service")
    user = request.auth  # type: ignore[attr-defined]
    policy = scoping.get_visible_or_404(SLAPolicy.objects.all(), user, "delete", pk=policy_id)
    services.delete_policy(actor=user, policy=policy)
    return Status(204, None)
