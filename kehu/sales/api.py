"""Sales API: deals (with moves between stages), pipelines and stages — the same selectors,
services and field rules as the pages. Amounts are absent for users without view_financials."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination, parse_if_match
from kehu.core.fieldrules import check_writable, redact
from kehu.core.permissions import has_perm
from kehu.sales import selectors, services
from kehu.sales.models import Deal, Pipeline, Stage

router = Router(tags=["sales"])


class DealOut(Schema):
    id: int
    title: str
    customer_id: int
    pipeline_id: int
    stage_id: int
    status: str
    probability: int
    expected_close_on: dt.date | None
    owner_id: int | None
    source: str
    competitor: str
    lost_reason: str
    stage_entered_at: dt.datetime | None
    stage_due_at: dt.datetime | None
    is_overdue: bool
    closed_at: dt.datetime | None
    order_id: int | None
    notes: str
    currency: str
    contact_ids: list[int]
    amount: Decimal | None = None  # financial: absent without view_financials
    weighted_amount: Decimal | None = None  # financial
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DealIn(Schema):
    title: str
    customer_id: int
    stage_id: int | None = None
    owner_id: int | None = None
    amount: Decimal | None = None
    probability: int | None = None
    expected_close_on: dt.date | None = None
    source: str = ""
    competitor: str = ""
    notes: str = ""
    contact_ids: list[int] = []


class DealPatch(Schema):
    title: str | None = None
    owner_id: int | None = None
    amount: Decimal | None = None
    probability: int | None = None
    expected_close_on: dt.date | None = None
    source: str | None = None
    competitor: str | None = None
    notes: str | None = None
    contact_ids: list[int] | None = None
    version: int | None = None


class MoveIn(Schema):
    stage_id: int
    reason: str = ""
    version: int | None = None
    create_order: bool = True


class WinIn(Schema):
    version: int | None = None
    create_order: bool = True
    ordered_on: dt.date | None = None


class RecordOrderIn(Schema):
    ordered_on: dt.date | None = None


MONEY = {"amount", "weighted_amount"}
FIELDS = [n for n in DealOut.model_fields if n not in MONEY | {"contact_ids"}]


def serialize(user: Any, deal: Deal) -> dict[str, Any]:
    data = {name: getattr(deal, name) for name in FIELDS}
    data["contact_ids"] = sorted(c.pk for c in deal.contacts.all())
    data["amount"] = deal.amount
    data["weighted_amount"] = deal.weighted_amount.quantize(Decimal("0.01"))
    return redact(user, Deal, data)


def _require(request: HttpRequest, code: str) -> None:
    if not has_perm(request.auth, code):  # type: ignore[attr-defined]
        raise HttpError(403, "Permission denied.")


def _contacts(user: Any, contact_ids: list[int]) -> list[Any]:
    """The contacts behind ``contact_ids`` that the user may see; 422 naming the others."""
    from kehu.customers.selectors import contacts_visible_to

    wanted = list(dict.fromkeys(contact_ids))
    found = {c.pk: c for c in contacts_visible_to(user).filter(pk__in=wanted)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise DjangoValidationError(
            {"contact_ids": _("No such contact: %(ids)s.") % {"ids": ", ".join(missing)}}
        )
    return [found[pk] for pk in wanted]


def _deal_to_change(
    request: HttpRequest, deal_id: int, version: int | None
) -> tuple[Any, Deal, int]:
    """The user, the deal they may change (else 404) and the version they read (field or
    If-Match; 428 without)."""
    user = request.auth  # type: ignore[attr-defined]
    deal = selectors.get_deal_for(user, deal_id, "change")
    expected = version or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    return user, deal, expected


def _owner(owner_id: int | None) -> Any:
    from kehu.accounts.models import User

    if owner_id is None:
        return None
    return get_object_or_404(User.objects.filter(is_active=True), pk=owner_id)


@router.get("/deals", response=list[DealOut], exclude_unset=True, summary="List deals")
@paginate(KeysetPagination, ordering=["-id"], serialize=serialize)
def list_deals(
    request: HttpRequest,
    q: str | None = None,
    status: str | None = None,
    stage: int | None = None,
    owner: int | None = None,
    team: int | None = None,
    source: str | None = None,
    month: str | None = None,
    overdue: bool | None = None,
    customer: int | None = None,
) -> Any:
    """Filters combine, as on the board: ``month`` is ``YYYY-MM`` of the expected close."""
    from kehu.sales.filters import DealFilter

    qs = selectors.deals_visible_to(request.auth)  # type: ignore[attr-defined]
    data = request.GET.copy()
    for key in ("cursor", "direction", "limit"):
        data.pop(key, None)
    filterset = DealFilter(data, queryset=qs, request=request)
    if not filterset.is_valid():
        raise DjangoValidationError(
            {field: list(errors) for field, errors in filterset.errors.items()}
        )
    return filterset.qs.prefetch_related("contacts")


@router.get("/deals/{deal_id}", response=DealOut, exclude_unset=True, summary="One deal")
def get_deal(request: HttpRequest, deal_id: int) -> Any:
    return serialize(request.auth, selectors.get_deal_for(request.auth, deal_id))  # type: ignore[attr-defined]


@router.post("/deals", response={201: DealOut}, exclude_unset=True, summary="Create a deal")
def create_deal(request: HttpRequest, payload: DealIn) -> Any:
    from kehu.customers.selectors import get_customer_for

    user = request.auth  # type: ignore[attr-defined]
    _require(request, "deal.create")
    data = payload.dict(exclude_unset=True)
    check_writable(user, Deal, [("owner" if k == "owner_id" else k) for k in data])
    customer = get_customer_for(user, data.pop("customer_id"))
    stage = None
    if data.get("stage_id") is not None:
        stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=data["stage_id"])
    data.pop("stage_id", None)
    owner = _owner(data.pop("owner_id", None))
    contacts = _contacts(user, data.pop("contact_ids", None) or [])
    title = data.pop("title")
    deal = services.create_deal(
        actor=user,
        customer=customer,
        title=title,
        stage=stage,
        owner=owner,
        contacts=contacts,
        **data,
    )
    return Status(201, serialize(user, deal))


@router.patch(
    "/deals/{deal_id}",
    response=DealOut,
    exclude_unset=True,
    summary="Change a deal",
    description="Send the `version` you read (field or `If-Match` header); a stale write "
    "answers 409 with the current version. The stage changes only through `/move`.",
)
def patch_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    user, deal, expected = _deal_to_change(request, deal_id, data.pop("version", None))
    contact_ids = data.pop("contact_ids", None)
    check_writable(user, Deal, [("owner" if k == "owner_id" else k) for k in data])
    if "owner_id" in data:
        data["owner"] = _owner(data.pop("owner_id"))
    contacts = None if contact_ids is None else _contacts(user, contact_ids)
    deal = services.update_deal(
        actor=user, deal=deal, expected_version=expected, contacts=contacts, **data
    )
    return serialize(user, deal)


@router.post(
    "/deals/{deal_id}/move",
    response=DealOut,
    exclude_unset=True,
    summary="Move a deal to another stage",
    description="Records the stage change and applies the new stage's rule (owner, due time). "
    "A lost stage needs a `reason` (422 without). Moving to a won stage records the order in "
    "the customer's purchase history from the deal's lines (unless `create_order` is false, or "
    "the deal has no lines, or you may not record orders). Send the `version` you read (field "
    "or `If-Match`); a stale one answers 409.",
)
def move_deal(request: HttpRequest, deal_id: int, payload: MoveIn) -> Any:
    user, deal, expected = _deal_to_change(request, deal_id, payload.version)
    stage = get_object_or_404(Stage, pk=payload.stage_id, pipeline=deal.pipeline_id)
    deal = services.move_deal(
        actor=user,
        deal=deal,
        stage=stage,
        reason=payload.reason,
        expected_version=expected,
        create_order=payload.create_order,
    )
    return serialize(user, deal)


@router.post(
    "/deals/{deal_id}/win",
    response=DealOut,
    exclude_unset=True,
    summary="Win a deal and record its order",
    description="Moves the deal to its pipeline's won stage and, with `create_order` (the "
    "default), records its lines as an order in the customer's purchase history (`order_id` "
    "in the answer; none when the deal has no lines or you may not record orders). Send the "
    "`version` you read (field or `If-Match`); a stale one answers 409.",
)
def win_deal(request: HttpRequest, deal_id: int, payload: WinIn) -> Any:
    user, deal, expected = _deal_to_change(request, deal_id, payload.version)
    deal = services.win_deal(
        actor=user,
        deal=deal,
        create_order=payload.create_order,
        ordered_on=payload.ordered_on,
        expected_version=expected,
    )
    return serialize(user, deal)


@router.post(
    "/deals/{deal_id}/order",
    response={201: DealOut},
    exclude_unset=True,
    summary="Record a won deal's order",
    description="For a won deal without an order: records its lines as an order in the "
    "customer's purchase history. Needs `order.create`; 422 when the deal is not won, has no "
    "lines or already has its order.",
)
def record_deal_order(request: HttpRequest, deal_id: int, payload: RecordOrderIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    deal = selectors.get_deal_for(user, deal_id, "change")
    _require(request, "order.create")
    deal = services.record_deal_order(actor=user, deal=deal, ordered_on=payload.ordered_on)
    return Status(201, serialize(user, deal))


@router.delete("/deals/{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: HttpRequest, deal_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    deal = scoping.get_visible_or_404(Deal.objects.all(), user, "delete", pk=deal_id)
    services.delete_deal(actor=user, deal=deal)
    return Status(204, None)


class BoardColumnOut(Schema):
    stage_id: int
    name: str
    kind: str
    count: int
    overdue: int
    total: Decimal | None = None  # financial
    weighted: Decimal | None = None  # financial


@router.get(
    "/pipelines/{pipeline_id}/board",
    response=list[BoardColumnOut],
    exclude_unset=True,
    summary="The board's columns: count, total and weighted total per stage",
)
def board(request: HttpRequest, pipeline_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    _require(request, "deal.view")
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    columns = selectors.board(
        user, pipeline, selectors.deals_visible_to(user).filter(status="open"), per_column=0
    )
    out = []
    for c in columns:
        row: dict[str, Any] = {
            "stage_id": c.stage.pk,
            "name": str(c.stage),
            "kind": c.stage.kind,
            "count": c.count,
            "overdue": c.overdue,
        }
        if c.total is not None:
            row["total"] = c.total
            row["weighted"] = c.weighted
        out.append(row)
    return out


# -- pipelines and stages ---------------------------------------------------------------------


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    name_en: str
    position: int
    kind: str
    probability: int
    color: str
    owner_role_id: int | None
    owner_user_id: int | None
    time_limit: int | None
    time_limit_unit: str
    version: int


class PipelineOut(Schema):
    id: int
    name: str
    name_en: str
    is_default: bool
    currency: str
    version: int
    stages: list[StageOut]


class PipelineIn(Schema):
    name: str
    name_en: str = ""
    is_default: bool = False


class PipelinePatch(Schema):
    name: str | None = None
    name_en: str | None = None
    is_default: bool | None = None
    version: int | None = None


class StageIn(Schema):
    name: str
    name_en: str = ""
    kind: str = "open"
    probability: int = 10
    color: str = "slate"
    owner_role_id: int | None = None
    owner_user_id: int | None = None
    time_limit: int | None = None
    time_limit_unit: str = "working_days"


class StagePatch(Schema):
    name: str | None = None
    name_en: str | None = None
    kind: str | None = None
    probability: int | None = None
    color: str | None = None
    owner_role_id: int | None = None
    owner_user_id: int | None = None
    time_limit: int | None = None
    time_limit_unit: str | None = None
    version: int | None = None


class OrderIn(Schema):
    stage_ids: list[int]


def _pipeline_out(pipeline: Pipeline) -> dict[str, Any]:
    return {
        **{k: getattr(pipeline, k) for k in ("id", "name", "name_en", "is_default", "currency")},
        "version": pipeline.version,
        "stages": [_stage_out(s) for s in selectors.stages_of(pipeline)],
    }


def _stage_out(stage: Stage) -> dict[str, Any]:
    return {name: getattr(stage, name) for name in StageOut.model_fields}


def _stage_fields(data: dict[str, Any]) -> dict[str, Any]:
    from kehu.accounts.models import Role

    if "owner_role_id" in data:
        role_id = data.pop("owner_role_id")
        data["owner_role"] = get_object_or_404(Role, pk=role_id) if role_id else None
    if "owner_user_id" in data:
        data["owner_user"] = _owner(data.pop("owner_user_id"))
    return data


@router.get("/pipelines", response=list[PipelineOut], summary="Pipelines with their stages")
def list_pipelines(request: HttpRequest) -> Any:
    _require(request, "deal.view")
    return [_pipeline_out(p) for p in Pipeline.objects.all()]


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline")
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Any:
    _require(request, "manage_pipelines")
    pipeline = services.create_pipeline(actor=request.auth, **payload.dict())  # type: ignore[attr-defined]
    return Status(201, _pipeline_out(pipeline))


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut, summary="Change a pipeline")
def patch_pipeline(request: HttpRequest, pipeline_id: int, payload: PipelinePatch) -> Any:
    _require(request, "manage_pipelines")
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    data = payload.dict(exclude_unset=True)
    expected = data.pop("version", None) or parse_if_match(request)
    pipeline = services.update_pipeline(
        actor=request.auth,  # type: ignore[attr-defined]
        pipeline=pipeline,
        expected_version=expected,
        **data,
    )
    return _pipeline_out(pipeline)


@router.delete("/pipelines/{pipeline_id}", response={204: None}, summary="Delete a pipeline")
def delete_pipeline(request: HttpRequest, pipeline_id: int) -> Any:
    _require(request, "manage_pipelines")
    services.delete_pipeline(
        actor=request.auth, pipeline=get_object_or_404(Pipeline, pk=pipeline_id)
    )  # type: ignore[attr-defined]
    return Status(204, None)


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut}, summary="Add a stage")
def create_stage(request: HttpRequest, pipeline_id: int, payload: StageIn) -> Any:
    _require(request, "manage_pipelines")
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    data = _stage_fields(payload.dict())
    name = data.pop("name")
    stage = services.create_stage(actor=request.auth, pipeline=pipeline, name=name, **data)  # type: ignore[attr-defined]
    return Status(201, _stage_out(stage))


@router.put(
    "/pipelines/{pipeline_id}/stages/order",
    response=PipelineOut,
    summary="Put the stages in this order",
)
def order_stages(request: HttpRequest, pipeline_id: int, payload: OrderIn) -> Any:
    _require(request, "manage_pipelines")
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    services.reorder_stages(actor=request.auth, pipeline=pipeline, stage_ids=payload.stage_ids)  # type: ignore[attr-defined]
    return _pipeline_out(pipeline)


@router.patch("/stages/{stage_id}", response=StageOut, summary="Change a stage and its rule")
def patch_stage(request: HttpRequest, stage_id: int, payload: StagePatch) -> Any:
    _require(request, "manage_pipelines")
    stage = get_object_or_404(Stage, pk=stage_id)
    data = _stage_fields(payload.dict(exclude_unset=True))
    expected = data.pop("version", None) or parse_if_match(request)
    stage = services.update_stage(
        actor=request.auth,  # type: ignore[attr-defined]
        stage=stage,
        expected_version=expected,
        **data,
    )
    return _stage_out(stage)


@router.delete("/stages/{stage_id}", response={204: None}, summary="Delete a stage")
def delete_stage(request: HttpRequest, stage_id: int) -> Any:
    _require(request, "manage_pipelines")
    services.delete_stage(actor=request.auth, stage=get_object_or_404(Stage, pk=stage_id))  # type: ignore[attr-defined]
    return Status(204, None)
