"""Field-level rules: one place decides which fields a user may see and set.

Financial fields (amounts, prices, margins, credit limits, lifetime value) are declared on the
record type and need ``view_financials``; restricted fields (owner, team) need
``<type>.assign``. Forms, tables, detail pages, API schemas and responses, exports and charts all
ask here. A write that names a field the user may not set is refused, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.core.permissions import has_perm, record_type_for


class FieldNotWritable(PermissionDenied):
    def __init__(self, fields: list[str], labels: list[str]) -> None:
        self.fields = fields
        super().__init__(
            _("You may not set these fields: %(fields)s.") % {"fields": "、".join(labels)}
        )


def financial_fields(model: type[models.Model]) -> set[str]:
    rt = record_type_for(model)
    return set(rt.financial_fields) if rt else set()


def hidden_fields(user: Any, model: type[models.Model]) -> set[str]:
    """Fields of ``model`` that ``user`` may not see."""
    if has_perm(user, "view_financials"):
        return set()
    return financial_fields(model)


def unwritable_fields(user: Any, model: type[models.Model]) -> set[str]:
    """Fields of ``model`` that ``user`` may not set."""
    rt = record_type_for(model)
    blocked = hidden_fields(user, model)
    if rt is not None and not has_perm(user, rt.code("assign")):
        blocked |= set(rt.restricted_fields)
    return blocked


def field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
    except Exception:
        return name


def check_writable(user: Any, model: type[models.Model], names: Iterable[str]) -> None:
    blocked = sorted(set(names) & unwritable_fields(user, model))
    if blocked:
        raise FieldNotWritable(blocked, [field_label(model, n) for n in blocked])


def redact(user: Any, model: type[models.Model], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the keys ``user`` may not see."""
    hidden = hidden_fields(user, model)
    return {k: v for k, v in data.items() if k not in hidden}


class FieldRulesFormMixin:
    """For ModelForms: drops fields the user may not see or set, and refuses a POST that still
    carries them (a field smuggled into the request)."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        model = self._meta.model  # type: ignore[attr-defined]
        self.blocked_fields = unwritable_fields(user, model) & set(self.fields)  # type: ignore[attr-defined]
        for name in self.blocked_fields:
            del self.fields[name]  # type: ignore[attr-defined]

    def clean(self) -> Any:
        cleaned = super().clean()  # type: ignore[misc]
        smuggled = sorted(n for n in self.blocked_fields if n in self.data)  # type: ignore[attr-defined]
        if smuggled:
            model = self._meta.model  # type: ignore[attr-defined]
            labels = "、".join(field_label(model, n) for n in smuggled)
            raise forms.ValidationError(
                _("You may not set these fields: %(fields)s.") % {"fields": labels},
                code="field_not_writable",
            )
        return cleaned
