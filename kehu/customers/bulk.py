"""What the bulk bars of the interactions and orders tables share: reading the ticked rows and
the action, refusing an action the user may not take, exporting the ticked rows, and saying
what happened to each of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect

from kehu.core.fieldrules import hidden_fields
from kehu.core.permissions import has_perm
from kehu.customers.services import apply_each


@dataclass
class Ticked:
    """One POST of a bulk bar: where to go back to, the action and the ticked ids."""

    back: str
    action: str
    ids: list[int]
    value: str

    @property
    def query(self) -> str:
        """How the export names the selection in the audit log."""
        return "ids=" + ",".join(map(str, self.ids[:50]))


def read(request: HttpRequest, default: str, permissions: dict[str, str]) -> Ticked | HttpResponse:
    """The ticked rows and the action, or the answer to give instead: 405 for a GET, 403 for an
    action that is unknown or needs a permission the user lacks (``permissions``: action ->
    code), back to the table with a warning when nothing was ticked."""
    from kehu.customers.views import _ticked

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back, ids = _ticked(request, default)
    action = request.POST.get("action", "")
    if action not in permissions or not has_perm(request.user, permissions[action]):
        raise PermissionDenied
    if not ids:
        from django.utils.translation import gettext as _

        messages.warning(request, _("Tick at least one row first."))
        return HttpResponseRedirect(back)
    return Ticked(back, action, ids, request.POST.get("value", "").strip())


def export(
    request: HttpRequest, ticked: Ticked, rows: QuerySet[Any], view: Any, ordering: list[str]
) -> HttpResponse:
    """The ticked rows among ``rows`` (already scoped to the user) with every column of the
    table ``view`` the user may see, not only the shown ones."""
    from kehu.dataops import exports

    hidden = hidden_fields(request.user, rows.model)
    fmt = request.POST.get("format", "csv")
    return exports.export_response(  # type: ignore[return-value]
        request,
        exports.ExportRequest(
            queryset=rows.filter(pk__in=ticked.ids),
            ordering=ordering,
            columns=[c for c in view.columns if c.name not in hidden],
            fmt=fmt if fmt in exports.FORMATS else "csv",
            name=view.export_name,
            title=str(view.title),
            query=ticked.query,
        ),
    )


def apply(
    request: HttpRequest,
    ticked: Ticked,
    found: list[Any],
    change: Callable[[Any], bool],
    out_of_reach: str,
    done: str = "",
) -> HttpResponse:
    """Apply ``change`` to each row ``found`` (the ticked rows within the user's reach), then
    say how many changed, how many were already so, which were refused and why, and how many
    ticked rows were out of reach (``out_of_reach`` with ``%(n)d``). ``done`` says what changed
    in other words (with ``%(changed)d`` and ``%(unchanged)d``)."""
    from django.utils.translation import gettext as _

    outcome = apply_each(found, change)
    messages.success(
        request,
        (done or _("%(changed)d changed, %(unchanged)d already so."))
        % {"changed": outcome.changed, "unchanged": outcome.unchanged},
    )
    missing = len(set(ticked.ids)) - len(found)
    if missing:
        messages.warning(request, out_of_reach % {"n": missing})
    for row, reason in outcome.refused[:10]:
        messages.error(request, f"{row}: {reason}")
    return HttpResponseRedirect(ticked.back)
