"""What the import types of other apps' records share (deals, tasks, tickets).

These records carry rules their app keeps in its services — a deal's entry into its stage, a
ticket's number and SLA clocks, a goal's progress rolled up from its tasks — so each row is
written by calling the service, one savepoint per row: a row the service refuses is returned
with the service's reason and the rest of the batch goes on (or, all or nothing, the import
stops and nothing is kept). Lookups (customers, users, goals, stages …) are made once per
batch, never per row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.dataops.importing import Context, Field, ImportType, Row, _customer_lookup, parse_int


def fold(text: str) -> str:
    """Titles and names compared as people mean them: without case or spaces (the same key
    as :func:`folded` makes in the database)."""
    return (text or "").strip().replace(" ", "").replace("\u3000", "").lower()


def folded(field_name: str) -> Any:
    """:func:`fold` as a database expression, to find the candidates of a batch's keys."""
    from django.db.models import Value
    from django.db.models.functions import Lower, Replace

    text = Replace(Replace(field_name, Value(" "), Value("")), Value("\u3000"), Value(""))
    return Lower(text)


def in_or_null(field_name: str, values: Iterable[Any]) -> Any:
    """``field IN values``, or NULL when None is one of them."""
    from django.db.models import Q

    wanted = set(values)
    q = Q(**{f"{field_name}__in": [v for v in wanted if v is not None]})
    return q | Q(**{f"{field_name}__isnull": True}) if None in wanted else q


def parse_percent(value: str, ctx: Any) -> int:
    """0 to 100, with or without a "%" ("60%", "60")."""
    number = parse_int(value.strip().rstrip("%％").strip(), ctx)
    if number > 100:
        raise ValueError(_("A percentage is a whole number from 0 to 100."))
    return number


def optional_customer_lookup(rows: list[Row], ctx: Context) -> None:
    """Resolve the customer of the rows that name one (see ``_customer_lookup``); a row that
    names none gets no ``customer_id``."""
    _customer_lookup([r for r in rows if r.values.get("customer")], ctx, "view")


def optional_customer_field() -> Field:
    """The column naming the customer a record may be about (by the customer table's
    headers)."""
    from kehu.dataops.importing import _customer_column, _customer_fields

    column = _customer_column({f.key: f for f in _customer_fields()})
    return Field("customer", column.label, column.headers, column.parse, example=column.example)


def linked(rows: list[Row], model: type[models.Model], key: str) -> dict[Any, Any]:
    """The records the rows' ``key`` ids point to, fetched at once."""
    ids = {r.values[key] for r in rows if r.values.get(key)}
    return model._default_manager.in_bulk(ids) if ids else {}


def mark_duplicates(
    rows: list[Row],
    ctx: Context,
    kind: str,
    key_of: Callable[[Row], tuple[Any, ...]],
    found: dict[tuple[Any, ...], int],
    *,
    existing: str,
    earlier: str,
) -> None:
    """Point each row at the record (``found``: key -> id) or the earlier row of the file it
    duplicates, with the reason shown in the dry run."""
    for r in rows:
        key = key_of(r)
        if key in found:
            r.existing, r.reason = found[key], existing
        elif first := ctx.seen_before(kind, "|".join(map(str, key)), r.number):
            r.existing, r.reason = -first, earlier % {"row": first}


def by_name(
    rows: list[Row],
    key: str,
    names: Iterable[tuple[int, Iterable[str]]],
    *,
    label: str,
    missing: str,
) -> None:
    """Resolve the value ``key`` of each row to the id of the record whose name (or other
    name) matches it without case or spaces; a name that fits none, or several, is refused."""
    found: dict[str, set[int]] = {}
    for pk, texts in names:
        for text in texts:
            if text:
                found.setdefault(fold(text), set()).add(pk)
    for r in rows:
        if not r.values.get(key):
            continue
        ids = found.get(fold(r.values[key]), set())
        if len(ids) == 1:
            r.values[f"{key}_id"] = next(iter(ids))
        elif ids:
            r.errors.append(
                (label, _("Several records are called “%(name)s”.") % {"name": r.values[key]})
            )
        else:
            r.errors.append((label, missing % {"name": r.values[key]}))


def refuse_unwritable(
    rows: list[Row], ctx: Context, model: type[models.Model], keys: dict[str, str]
) -> None:
    """Refuse rows that set a field the importing person may not set (amounts without
    ``view_financials``, someone else as owner without the assign permission), as the forms
    and the API do. ``keys``: row value -> model field."""
    from kehu.core.fieldrules import field_label, unwritable_fields

    blocked = unwritable_fields(ctx.actor, model)
    for r in rows:
        if r.errors:
            continue
        for key, name in keys.items():
            value = r.values.get(key)
            if name in blocked and value not in (None, "") and value != ctx.actor.pk:
                r.errors.append(
                    (
                        field_label(model, name),
                        _("You may not set this field: leave the column empty or unmapped."),
                    )
                )


def users_of(rows: list[Row], *keys: str) -> dict[int, Any]:
    from kehu.accounts.models import User

    ids = {r.values[k] for r in rows for k in keys if r.values.get(k)}
    return User.objects.in_bulk(ids) if ids else {}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    return str(exc) or _("You may not do this.")


class ServiceImport(ImportType):
    """A type whose rows are written by its app's services (see the module's docstring)."""

    record: str  # the record's name in the import's list of what it created ("deal")
    updatable: dict[str, str] = {}  # row value -> model attribute an update may change

    def create_one(self, row: Row, ctx: Context, batch: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_one(
        self, row: Row, ctx: Context, obj: Any, changed: list[str], batch: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def prepare(self, rows: list[Row], ctx: Context) -> dict[str, Any]:
        """What the batch's writes need, fetched once (people, goals, stages …)."""
        return {}

    def changes(self, obj: Any, values: dict[str, Any]) -> list[str]:
        return [
            key
            for key, attr in self.updatable.items()
            if key in values and getattr(obj, attr) != values[key]
        ]

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        start = timezone.now()
        batch = self.prepare(rows, ctx)
        wanted = [r.existing for r in rows if r.action == "update" and r.existing]
        existing = self.model._default_manager.in_bulk(wanted) if wanted else {}
        created: list[tuple[int, str, int]] = []
        written: list[int] = []
        for r in rows:
            if r.action == "create":
                obj = self._attempt(r, job, functools.partial(self.create_one, r, ctx, batch))
                if obj is not None:
                    created.append((r.number, self.record, obj.pk))
                    written.append(obj.pk)
            elif r.action == "update":
                found = existing.get(r.existing)
                changed = self.changes(found, r.values) if found is not None else []
                if not changed:
                    r.action, r.reason = "skip", _("Already up to date.")
                    continue
                update = functools.partial(self.update_one, r, ctx, found, changed, batch)
                done = self._attempt(r, job, update)
                if done is not None:
                    written.append(r.existing)  # type: ignore[arg-type]
        self.finish(batch)
        self._stamp_history(written, ctx.actor, start)
        return created

    def finish(self, batch: dict[str, Any]) -> None:
        """What follows a batch's writes once for the batch (a goal's progress)."""

    def _attempt(self, row: Row, job: Any, write: Callable[[], Any]) -> Any:
        """Run one row's write in a savepoint; a refusal marks the row invalid (or, all or
        nothing, stops the import: nothing is kept)."""
        from kehu.core.locking import StaleWriteError
        from kehu.dataops.models import ImportJob

        try:
            with transaction.atomic():
                result = write()
                return True if result is None else result
        except (ValidationError, PermissionDenied, StaleWriteError) as exc:
            reason = _reason(exc)
            if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                raise ValidationError(
                    _("Row %(row)d is not valid (%(field)s: %(reason)s): nothing was written.")
                    % {"row": row.number, "field": self.label, "reason": reason}
                ) from None
            row.action = "invalid"
            row.errors.append((str(self.label), reason))
            return None

    def _stamp_history(self, ids: list[int], actor: Any, start: Any) -> None:
        """The services' history rows of this batch name the importing person and the import
        (a background worker has no request for simple-history to take them from)."""
        if not ids:
            return
        history = self.model.history.model  # type: ignore[attr-defined]
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            history.objects.filter(id__in=chunk, history_date__gte=start).update(
                history_user_id=actor.pk, history_change_reason="import"
            )


def user_field(key: str, label: Any, headers: tuple[str, ...], example: str = "") -> Field:
    from kehu.dataops.importing import parse_user

    return Field(key, label, headers, parse_user, example=example)


def delete_imported(label: str, actor: Any, obj: Any) -> None:
    """Delete one record an import created, through its app's service (undo)."""
    from kehu.customers import services as customers
    from kehu.sales import services as sales
    from kehu.service import services as service
    from kehu.work import services as work

    deleters: dict[str, Callable[[], None]] = {
        "order": lambda: customers.delete_order(actor=actor, order=obj),
        "deal": lambda: sales.delete_deal(actor=actor, deal=obj),
        "task": lambda: work.delete_task(actor=actor, task=obj),
        "ticket": lambda: service.delete_ticket(actor=actor, ticket=obj),
    }
    deleters[label]()
