"""Every write to deals and pipelines: keyword-only, atomic, with history and a domain event."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.fieldrules import check_writable
from kehu.core.locking import save_versioned
from kehu.core.permissions import has_perm
from kehu.sales.models import Deal, DealLine, Pipeline, Stage, StageChange

CENT = Decimal("0.01")


def _emit(name: str, actor: Any, object_id: Any, data: dict[str, Any] | None = None) -> None:
    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type="deal" if name.startswith("deal.") else name.split(".")[0],
            object_id=object_id,
            data=data or {},
        )
    )


def _money(value: Any, label: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("%(field)s is not a number.") % {"field": label}) from exc
    if amount < 0:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": label})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# -- the stage rule ---------------------------------------------------------------------------


def stage_due_at(stage: Stage, entered_at: dt.datetime) -> dt.datetime | None:
    """When a deal entering ``stage`` at ``entered_at`` must have left it, by the working
    calendar: working hours and working days skip nights, weekends and holidays; calendar days
    do not."""
    if not stage.time_limit or stage.kind != Stage.Kind.OPEN:
        return None
    unit = stage.time_limit_unit
    if unit == Stage.LimitUnit.CALENDAR_DAYS:
        return entered_at + dt.timedelta(days=stage.time_limit)
    from kehu.core.workcalendar import working_calendar

    cal = working_calendar()
    if unit == Stage.LimitUnit.WORKING_HOURS:
        return cal.add(entered_at, dt.timedelta(hours=stage.time_limit))
    return cal.add_days(entered_at, stage.time_limit)


def least_loaded_member(*, role: Any, near: Any) -> Any:
    """The active member of ``near``'s teams holding ``role`` with the fewest open deals
    (ties: the lowest id), or None."""
    from kehu.accounts.models import User

    if near is None:
        return None
    candidates = (
        User.objects.filter(is_active=True, roles=role, teams__members=near)
        .distinct()
        .annotate(open_deals=Count("owned_deals", filter=Q(owned_deals__status=Deal.Status.OPEN)))
        .order_by("open_deals", "id")
    )
    return candidates.first()


def stage_owner(stage: Stage, current: Any) -> Any:
    """Who owns a deal entering ``stage``: the stage's person; else, when the stage names a role
    the current owner lacks, the least-loaded member of the owner's teams with it; else the
    current owner."""
    person = stage.owner_user if stage.owner_user_id else None
    if person is not None and person.is_active:
        return person
    if stage.owner_role_id and current is not None:
        if current.roles.filter(pk=stage.owner_role_id).exists():
            return current
        return least_loaded_member(role=stage.owner_role, near=current) or current
    return current


def _enter_stage(deal: Deal, stage: Stage, at: dt.datetime) -> list[str]:
    """Apply ``stage``'s rule to ``deal`` (unsaved); the fields it changed."""
    deal.stage = stage
    deal.stage_entered_at = at
    deal.stage_due_at = stage_due_at(stage, at)
    deal.is_overdue = False
    deal.overdue_notified_at = None
    deal.probability = stage.probability
    changed = [
        "stage",
        "stage_entered_at",
        "stage_due_at",
        "is_overdue",
        "overdue_notified_at",
        "probability",
    ]
    owner = stage_owner(stage, deal.owner)
    if owner != deal.owner:
        deal.owner = owner
        changed.append("owner")
    closing: dict[str, str] = {Stage.Kind.WON: Deal.Status.WON, Stage.Kind.LOST: Deal.Status.LOST}
    status = closing.get(stage.kind, Deal.Status.OPEN)
    if status != deal.status:
        deal.status = status
        deal.closed_at = None if status == Deal.Status.OPEN else at
        changed += ["status", "closed_at"]
    return changed


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    if pipeline is None:
        raise ValidationError(_("There is no sales pipeline yet."))
    return pipeline


# -- deals ---------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "title",
    "amount",
    "currency",
    "probability",
    "expected_close_on",
    "owner",
    "source",
    "competitor",
    "notes",
)


@transaction.atomic
def create_deal(
    *,
    actor: Any,
    customer: Any,
    title: str,
    stage: Stage | None = None,
    owner: Any = None,
    contacts: list[Any] | None = None,
    now: dt.datetime | None = None,
    lost_reason: str = "",
    **fields: Any,
) -> Deal:
    """Open a deal for ``customer`` in ``stage`` (the default pipeline's first open stage).
    The currency is the pipeline's unless given; ``lost_reason`` is kept for a deal created in
    a lost stage (an imported one, say) and recorded with its stage entry."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not settable: {sorted(unknown)}")
    check_writable(actor, Deal, [k for k, v in fields.items() if v not in (None, "")])
    if owner is not None and owner != actor:
        check_writable(actor, Deal, ["owner"])
    if stage is None:
        stage = default_pipeline().stages.filter(kind=Stage.Kind.OPEN).order_by("position").first()
        if stage is None:
            raise ValidationError(_("The pipeline has no open stage."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the deal a title.")})
    if "amount" in fields:
        fields["amount"] = _money(fields["amount"], _("Amount"))
    at = now or timezone.now()
    deal = Deal(
        title=title,
        customer=customer,
        pipeline=stage.pipeline,
        owner=owner or actor,
        currency=fields.pop("currency", "") or stage.pipeline.currency,
        created_by=actor,
        updated_by=actor,
        **fields,
    )
    explicit_probability = fields.get("probability")
    _enter_stage(deal, stage, at)
    lost_reason = (lost_reason or "").strip()[:255] if stage.kind == Stage.Kind.LOST else ""
    deal.lost_reason = lost_reason
    if explicit_probability is not None:
        deal.probability = explicit_probability
    chosen = _check_contacts(customer, contacts or [])
    deal.full_clean(exclude=["customer", "pipeline", "stage", "owner"])
    deal.save()
    if chosen:
        deal.contacts.set(chosen)
    StageChange.objects.create(
        deal=deal, from_stage=None, to_stage=stage, at=at, by=actor, reason=lost_reason
    )
    _emit("deal.created", actor, deal.pk, {"stage_id": stage.pk, "owner_id": deal.owner_id})
    return deal


def _check_contacts(customer: Any, contacts: list[Any]) -> list[Any]:
    """The deal's contacts, each one a contact of the deal's customer (else a clear refusal)."""
    strangers = [c for c in contacts if c.customer_id != customer.pk]
    if strangers:
        raise ValidationError(
            {
                "contacts": _("%(contacts)s is not a contact of %(customer)s.")
                % {"contacts": "、".join(str(c) for c in strangers), "customer": customer}
            },
            code="foreign_contact",
        )
    return list({c.pk: c for c in contacts}.values())


@transaction.atomic
def update_deal(
    *,
    actor: Any,
    deal: Deal,
    expected_version: int | None,
    contacts: list[Any] | None = None,
    **changes: Any,
) -> Deal:
    """Apply ``changes`` if nobody saved the deal since ``expected_version`` (else 409);
    ``contacts`` (when given) replaces the deal's contacts."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    check_writable(actor, Deal, changes)
    chosen = None if contacts is None else _check_contacts(deal.customer, contacts)
    if "amount" in changes:
        changes["amount"] = _money(changes["amount"], _("Amount"))
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise ValidationError({"title": _("Give the deal a title.")})
    changed = [k for k, v in changes.items() if getattr(deal, k) != v]
    for key in changed:
        setattr(deal, key, changes[key])
    deal.full_clean(exclude=["customer", "pipeline", "stage", "owner"])
    if chosen is not None and {c.pk for c in chosen} != set(
        deal.contacts.values_list("pk", flat=True)
    ):
        changed.append("contacts")
    save_versioned(
        deal,
        expected_version=expected_version,
        update_fields=[f for f in changed if f != "contacts"],
        user=actor,
    )
    if "contacts" in changed:
        deal.contacts.set(chosen or [])
    _emit("deal.updated", actor, deal.pk, {"fields": changed})
    return deal


@transaction.atomic
def move_deal(
    *,
    actor: Any,
    deal: Deal,
    stage: Stage,
    reason: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    create_order: bool = True,
) -> Deal:
    """Move ``deal`` to ``stage``: record the change and the time spent in the previous stage,
    apply the new stage's rule (owner, due time). A lost stage needs a reason. Winning by any
    path (the board, the API, the won button) records the order in the customer's purchase
    history from the deal's lines when ``create_order`` and the actor may record orders."""
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(_("That stage belongs to another pipeline."))
    reason = (reason or "").strip()
    if stage.kind == Stage.Kind.LOST and not reason:
        raise ValidationError(
            {
                "reason": _("Say why the deal was lost before moving it to %(stage)s.")
                % {"stage": stage}
            },
            code="reason_required",
        )
    if stage.pk == deal.stage_id:
        return deal
    at = now or timezone.now()
    previous = deal.stage
    seconds = working = None
    if deal.stage_entered_at is not None:
        from kehu.core.workcalendar import working_calendar

        seconds = max(int((at - deal.stage_entered_at).total_seconds()), 0)
        working = int(working_calendar().between(deal.stage_entered_at, at).total_seconds())
    changed = _enter_stage(deal, stage, at)
    if stage.kind == Stage.Kind.LOST:
        deal.lost_reason = reason[:255]
        changed.append("lost_reason")
    save_versioned(deal, expected_version=expected_version, update_fields=changed, user=actor)
    StageChange.objects.create(
        deal=deal,
        from_stage=previous,
        to_stage=stage,
        at=at,
        by=actor,
        reason=reason[:255],
        seconds_in_previous=seconds,
        working_seconds_in_previous=working,
    )
    _emit(
        "deal.moved",
        actor,
        deal.pk,
        {
            "from_stage_id": previous.pk,
            "to_stage_id": stage.pk,
            "pipeline_id": deal.pipeline_id,
            "owner_id": deal.owner_id,
        },
    )
    if stage.kind == Stage.Kind.WON and create_order and may_record_order(actor, deal):
        deal = record_deal_order(actor=actor, deal=deal, ordered_on=timezone.localdate(at))
    return deal


def may_record_order(actor: Any, deal: Deal) -> bool:
    """Whether ``actor`` can record ``deal``'s order now: the deal is won, has lines and no
    order yet, and the actor may record orders."""
    return (
        deal.status == Deal.Status.WON
        and deal.order_id is None
        and has_perm(actor, "order.create")
        and deal.lines.exists()
    )


@transaction.atomic
def record_deal_order(*, actor: Any, deal: Deal, ordered_on: dt.date | None = None) -> Deal:
    """Record a won deal's lines as an order in the customer's purchase history and link it
    (once: a deal that has its order keeps it)."""
    if not has_perm(actor, "order.create"):
        raise PermissionDenied
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("customer", "owner")
        .get(pk=deal.pk)
    )
    if deal.status != Deal.Status.WON:
        raise ValidationError(_("Only a won deal can record its order."), code="not_won")
    if deal.order_id is not None:
        raise ValidationError(
            _("This deal's order is already recorded: %(order)s.") % {"order": deal.order},
            code="has_order",
        )
    lines = list(deal.lines.select_related("product"))
    if not lines:
        raise ValidationError(
            _("The deal has no lines; add its products before recording the order."),
            code="no_lines",
        )
    from kehu.customers import services as customer_services

    closed_on = timezone.localdate(deal.closed_at) if deal.closed_at else None
    order = customer_services.create_order(
        actor=actor,
        customer=deal.customer,
        ordered_on=ordered_on or closed_on or timezone.localdate(),
        lines=[
            customer_services.LineInput(
                product=line.product, quantity=line.quantity, unit_price=line.unit_price
            )
            for line in lines
        ],
        sales_rep=deal.owner or actor,
        notes=_("From deal %(title)s") % {"title": deal.title},
    )
    deal.order = order
    save_versioned(deal, expected_version=None, update_fields=["order"], user=actor)
    _emit("deal.order_created", actor, deal.pk, {"order_id": order.pk})
    return deal


@transaction.atomic
def win_deal(
    *,
    actor: Any,
    deal: Deal,
    create_order: bool = True,
    ordered_on: dt.date | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Deal:
    """Move ``deal`` to its pipeline's won stage; with ``create_order``, record its lines as an
    order in the customer's purchase history and link it."""
    won = deal.pipeline.stages.filter(kind=Stage.Kind.WON).order_by("position").first()
    if won is None:
        raise ValidationError(_("The pipeline has no won stage."))
    at = now or timezone.now()
    deal = move_deal(
        actor=actor,
        deal=deal,
        stage=won,
        expected_version=expected_version,
        now=at,
        create_order=False,
    )
    if create_order and may_record_order(actor, deal):
        deal = record_deal_order(
            actor=actor, deal=deal, ordered_on=ordered_on or timezone.localdate(at)
        )
    return deal


@transaction.atomic
def set_deal_lines(
    *, actor: Any, deal: Deal, lines: list[tuple[Any, Any, Any]], expected_version: int | None
) -> Deal:
    """Replace the deal's lines with ``(product, quantity, unit_price)``; the amount follows."""
    check_writable(actor, Deal, ["amount"])
    priced = []
    for index, (product, quantity, unit_price) in enumerate(lines, start=1):
        q = _money(quantity, _("Quantity"))
        if q <= 0:
            raise ValidationError(
                _("Line %(n)d: the quantity must be more than zero.") % {"n": index}
            )
        price = _money(product.price if unit_price in (None, "") else unit_price, _("Unit price"))
        priced.append((product, q, price, (q * price).quantize(CENT, rounding=ROUND_HALF_UP)))
    deal.lines.all().delete()
    DealLine.objects.bulk_create(
        DealLine(deal=deal, product=p, quantity=q, unit_price=u, amount=a) for p, q, u, a in priced
    )
    deal.amount = sum((a for *_rest, a in priced), Decimal(0))
    save_versioned(deal, expected_version=expected_version, update_fields=["amount"], user=actor)
    _emit("deal.updated", actor, deal.pk, {"fields": ["amount", "lines"]})
    return deal


@transaction.atomic
def delete_deal(*, actor: Any, deal: Deal) -> None:
    pk = deal.pk
    deal.delete()
    _emit("deal.deleted", actor, pk)


# -- deadlines -----------------------------------------------------------------------------------


def _leaders_of(user: Any) -> list[Any]:
    """Who answers for ``user``'s deals: the leaders of the teams they belong to; for a team
    they lead themselves, the leader of the team above it (the nearest one with another
    leader)."""
    from kehu.accounts.models import Team

    leaders: dict[int, Any] = {}
    for team in Team.objects.filter(members=user).select_related("leader", "parent__leader"):
        current: Any = team
        for _depth in range(20):  # a team tree is shallow; a loop in it must not hang
            if current is None:
                break
            leader = current.leader
            if leader is not None and leader.pk != user.pk:
                if leader.is_active:
                    leaders[leader.pk] = leader
                break
            current = current.parent
    return list(leaders.values())


def check_stage_deadlines(*, now: dt.datetime | None = None) -> int:
    """Flag open deals past their stage's due time and tell their owner and the owner's team
    leaders, once per stage visit. Returns how many deals were newly flagged."""
    from kehu.core.services import notify

    now = now or timezone.now()
    due = Deal.objects.filter(
        status=Deal.Status.OPEN,
        stage_due_at__lt=now,
        overdue_notified_at__isnull=True,
    ).select_related("owner", "stage")
    flagged = 0
    for deal in due.iterator(chunk_size=500):
        with transaction.atomic():
            # Claim the deal: a second checker running at once updates nothing and moves on.
            claimed = Deal.objects.filter(pk=deal.pk, overdue_notified_at__isnull=True).update(
                is_overdue=True, overdue_notified_at=now
            )
            if not claimed:
                continue
            flagged += 1
            title = _("Deal overdue in %(stage)s: %(deal)s") % {
                "stage": deal.stage,
                "deal": deal.title,
            }
            recipients = [deal.owner] if deal.owner else []
            if deal.owner is not None:
                recipients += _leaders_of(deal.owner)
            for person in recipients:
                notify(
                    recipient=person,
                    title=title,
                    url=deal.get_absolute_url(),
                    level="warning",
                    kind="deal.overdue",
                )
            _emit("deal.overdue", None, deal.pk, {"owner_id": deal.owner_id})
    return flagged


# -- pipelines and stages --------------------------------------------------------------------------


def _require_manage(actor: Any) -> None:
    if not has_perm(actor, "manage_pipelines"):
        raise PermissionDenied


STAGE_FIELDS = (
    "name",
    "name_en",
    "kind",
    "probability",
    "color",
    "owner_role",
    "owner_user",
    "time_limit",
    "time_limit_unit",
)


@transaction.atomic
def create_pipeline(
    *, actor: Any, name: str, name_en: str = "", is_default: bool = False
) -> Pipeline:
    _require_manage(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the pipeline a name.")})
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(
        name=name, name_en=name_en, is_default=is_default, created_by=actor, updated_by=actor
    )
    _emit("pipeline.created", actor, pipeline.pk)
    return pipeline


@transaction.atomic
def update_pipeline(
    *, actor: Any, pipeline: Pipeline, expected_version: int | None, **changes: Any
) -> Pipeline:
    _require_manage(actor)
    unknown = set(changes) - {"name", "name_en", "is_default"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if changes.get("is_default"):
        Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
    changed = [k for k, v in changes.items() if getattr(pipeline, k) != v]
    for key in changed:
        setattr(pipeline, key, changes[key])
    pipeline.full_clean()
    save_versioned(pipeline, expected_version=expected_version, update_fields=changed, user=actor)
    _emit("pipeline.updated", actor, pipeline.pk)
    return pipeline


@transaction.atomic
def delete_pipeline(*, actor: Any, pipeline: Pipeline) -> None:
    _require_manage(actor)
    if pipeline.deals.exists():
        raise ValidationError(_("This pipeline still has deals; move or delete them first."))
    pk = pipeline.pk
    pipeline.delete()
    _emit("pipeline.deleted", actor, pk)


@transaction.atomic
def create_stage(*, actor: Any, pipeline: Pipeline, name: str, **fields: Any) -> Stage:
    _require_manage(actor)
    unknown = set(fields) - set(STAGE_FIELDS)
    if unknown:
        raise ValueError(f"not settable: {sorted(unknown)}")
    last = pipeline.stages.order_by("-position").values_list("position", flat=True).first()
    stage = Stage(
        pipeline=pipeline,
        name=(name or "").strip(),
        position=(last or 0) + 1,
        created_by=actor,
        updated_by=actor,
        **fields,
    )
    stage.full_clean()
    stage.save()
    _emit("stage.created", actor, stage.pk, {"pipeline_id": pipeline.pk})
    return stage


@transaction.atomic
def update_stage(
    *, actor: Any, stage: Stage, expected_version: int | None, **changes: Any
) -> Stage:
    """Change a stage's name, kind or rule. Deals already in the stage keep their due time
    until they move (the rule applies on entering)."""
    _require_manage(actor)
    unknown = set(changes) - set(STAGE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = [k for k, v in changes.items() if getattr(stage, k) != v]
    for key in changed:
        setattr(stage, key, changes[key])
    stage.full_clean()
    save_versioned(stage, expected_version=expected_version, update_fields=changed, user=actor)
    _emit("stage.updated", actor, stage.pk, {"pipeline_id": stage.pipeline_id})
    return stage


@transaction.atomic
def reorder_stages(*, actor: Any, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put the pipeline's stages in the order of ``stage_ids`` (all of them, once each)."""
    _require_manage(actor)
    current = set(pipeline.stages.values_list("pk", flat=True))
    if set(stage_ids) != current or len(stage_ids) != len(current):
        raise ValidationError(_("Give every stage of the pipeline exactly once."))
    for position, pk in enumerate(stage_ids, start=1):
        Stage.objects.filter(pk=pk).update(position=position, version=F("version") + 1)
    _emit("stage.reordered", actor, pipeline.pk, {"pipeline_id": pipeline.pk})


@transaction.atomic
def delete_stage(*, actor: Any, stage: Stage) -> None:
    _require_manage(actor)
    if stage.deals.exists():
        raise ValidationError(_("Deals are in this stage; move them to another stage first."))
    pk, pipeline_id = stage.pk, stage.pipeline_id
    stage.delete()
    _emit("stage.deleted", actor, pk, {"pipeline_id": pipeline_id})
