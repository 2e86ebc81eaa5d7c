"""The duplicates report, merging two customers, and the live similar-name check."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from kehu.core import scoping
from kehu.core.fieldrules import field_label, unwritable_fields
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.customers import merging, selectors, services
from kehu.customers.models import Customer


def duplicates(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "customer.view"):
        raise PermissionDenied
    groups = selectors.duplicate_groups(request.user)
    return render(
        request,
        "customers/duplicates.html",
        {"groups": groups, "may_merge": has_perm(request.user, "customer.delete")},
    )


def _pair(request: HttpRequest, survivor_id: Any, merged_id: Any) -> tuple[Customer, Customer]:
    """Both customers, if the user may change both and delete the one that goes."""
    from django.http import Http404

    if not has_perm(request.user, "customer.delete"):
        raise PermissionDenied
    try:
        ids = int(survivor_id), int(merged_id)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    survivor = scoping.get_visible_or_404(
        Customer.objects.select_related("owner"), request.user, "change", pk=ids[0]
    )
    merged = scoping.get_visible_or_404(
        Customer.objects.select_related("owner"), request.user, "delete", pk=ids[1]
    )
    return survivor, merged


def merge(request: HttpRequest) -> HttpResponse:
    """Side by side: which customer stays, and for every field that differs, which value."""
    source = request.POST if request.method == "POST" else request.GET
    survivor, merged = _pair(request, source.get("keep"), source.get("drop"))
    if survivor.pk == merged.pk:
        messages.error(request, _("A customer cannot be merged with itself."))
        return HttpResponseRedirect("/customers/duplicates/")
    blocked = unwritable_fields(request.user, Customer)
    if request.method == "POST":
        choices = {
            name: request.POST.get(f"choice_{name}", "survivor")
            for name in merging.differing_fields(survivor, merged)
            if name not in blocked
        }
        try:
            record = merging.merge_customers(
                actor=request.user,
                survivor=survivor,
                merged=merged,
                choices=choices,
                survivor_version=_int(request.POST.get("keep_version")),
                merged_version=_int(request.POST.get("drop_version")),
            )
        except StaleWriteError:
            messages.error(
                request,
                _("One of the two customers was changed meanwhile; check the values again."),
            )
            return HttpResponseRedirect(f"/customers/merge/?keep={survivor.pk}&drop={merged.pk}")
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            moved = sum(v for v in record.moved.values() if isinstance(v, int))
            messages.success(
                request,
                _("%(merged)s was merged into %(kept)s; %(n)d linked records moved.")
                % {"merged": record.merged_name, "kept": survivor.name, "n": moved},
            )
            return HttpResponseRedirect(survivor.get_absolute_url())
    defaults = merging.default_choices(survivor, merged)
    rows = [
        {
            "name": name,
            "label": field_label(Customer, name),
            "mine": _shown(survivor, name),
            "theirs": _shown(merged, name),
            "choice": defaults.get(name, "survivor"),
            "locked": name in blocked,
        }
        for name in merging.differing_fields(survivor, merged)
        if name not in blocked or name not in services_hidden(request.user)
    ]
    counts = {
        "keep": _children(survivor),
        "drop": _children(merged),
    }
    return render(
        request,
        "customers/merge.html",
        {"survivor": survivor, "merged": merged, "rows": rows, "counts": counts},
    )


def services_hidden(user: Any) -> set[str]:
    """Fields whose values the user may not even see (money): not shown at all."""
    from kehu.core.fieldrules import hidden_fields

    return hidden_fields(user, Customer)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _shown(customer: Customer, name: str) -> Any:
    display = getattr(customer, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(customer, name)
    return value if value not in (None, "") else "—"


def _children(customer: Customer) -> dict[str, int]:
    return {
        str(_("Contacts")): customer.contacts.count(),
        str(_("Interactions")): customer.interactions.count(),
        str(_("Orders")): customer.orders.count(),
    }


def similar(request: HttpRequest) -> HttpResponse:
    """As a name is typed on the new-customer form: customers that look the same."""
    name = request.GET.get("name", "").strip()
    found = services.similar_customers(name) if len(name) >= 2 else []
    visible = set(
        selectors.customers_visible_to(request.user)
        .filter(pk__in=[c.pk for c in found])
        .values_list("pk", flat=True)
    )
    existing, reason = services.find_existing(name=name) if name else (None, "")
    return render(
        request,
        "customers/_similar.html",
        {"found": found, "visible": visible, "existing": existing, "reason": reason},
    )
