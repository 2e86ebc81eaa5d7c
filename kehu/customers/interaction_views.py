"""The interactions table: columns, cells edited in place, and the bulk bar (delete, reassign,
export the ticked interactions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core import scoping
from kehu.core.generic import CellEditView, Column, ObjectListView
from kehu.core.permissions import has_perm
from kehu.customers import bulk, cells, selectors, services
from kehu.customers.filters import InteractionFilter
from kehu.customers.forms import InteractionEditForm
from kehu.customers.models import Interaction

CELL = "customers:interaction_cell"


class InteractionListView(ObjectListView):
    title = gettext_lazy("Interactions")
    export_name = "interactions"
    template_name = "customers/interaction_list.html"
    filterset_class = InteractionFilter
    default_ordering = ["-occurred_at"]
    columns = [
        Column("select", "", sortable=False, render=cells.select, hideable=False, export=""),
        Column(
            "occurred_at",
            gettext_lazy("When"),
            template="customers/_cells.html#when",
            edit_url=CELL,
        ),
        Column("kind", gettext_lazy("Kind"), template="customers/_cells.html#kind", edit_url=CELL),
        Column(
            "customer",
            gettext_lazy("Customer"),
            order_by="customer__name",
            render=cells.customer,
        ),
        # Not sortable: a page link would carry a whole summary of unbounded length.
        Column(
            "summary",
            gettext_lazy("What was said"),
            sortable=False,
            template="customers/_cells.html#summary",
            edit_url=CELL,
        ),
        Column("outcome", gettext_lazy("Outcome"), edit_url=CELL, default=False),
        Column("next_step", gettext_lazy("Next step"), edit_url=CELL),
        Column(
            "user",
            gettext_lazy("By"),
            order_by="user__username",
            template="customers/_cells.html#by",
        ),
        Column(
            "actions",
            "",
            sortable=False,
            render=cells.row_actions("interactions", "/customers/interactions/"),
            hideable=False,
            export="",
        ),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.interactions_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        from kehu.accounts.models import NAME_FIELDS, User

        user = self.request.user
        actions = {
            "delete": has_perm(user, "interaction.delete"),
            "export": has_perm(user, "interaction.export"),
            "reassign": has_perm(user, "interaction.change"),
        }
        people = User.objects.filter(is_active=True).order_by("username").only("pk", *NAME_FIELDS)
        return {"bulk_actions": actions, "people": list(people) if actions["reassign"] else []}


class InteractionCellEditView(CellEditView):
    """One cell of the interactions table edited in place, with the interaction's version;
    "when" cannot move into the future (the service refuses it)."""

    form_class = InteractionEditForm
    fields = {c.name: c for c in InteractionListView.columns if c.edit_url}
    get_for = staticmethod(lambda user, pk: selectors.get_interaction_for(user, pk, "change"))

    def save(self, obj: Model, field: str, value: Any, version: int) -> Model:
        assert isinstance(obj, Interaction)
        return services.update_interaction(
            actor=self.request.user, interaction=obj, expected_version=version, **{field: value}
        )


def interaction_bulk(request: HttpRequest) -> HttpResponse:
    """Export, delete or reassign the ticked interactions. Only interactions the user may
    delete (reassign: change; export: see) are touched; the rest are reported, never silently
    skipped. Deleting asks for confirmation first."""
    ticked = bulk.read(
        request,
        "/customers/interactions/",
        {
            "export": "interaction.export",
            "delete": "interaction.delete",
            "reassign": "interaction.change",
        },
    )
    if isinstance(ticked, HttpResponse):
        return ticked
    user = request.user
    if ticked.action == "export":
        rows = selectors.interactions_visible_to(user)
        return bulk.export(request, ticked, rows, InteractionListView, ["-occurred_at", "-id"])
    action = "delete" if ticked.action == "delete" else "change"
    found = list(
        scoping.restrict(Interaction.objects.select_related("customer", "user"), user, action)
        .filter(pk__in=ticked.ids)
        .order_by("-occurred_at", "-id")
    )
    if ticked.action == "delete":
        return _delete(request, ticked, found)
    return _reassign(request, ticked, found)


def _delete(request: HttpRequest, ticked: bulk.Ticked, found: list[Interaction]) -> HttpResponse:
    if request.POST.get("confirmed") != "1":
        context = {
            "rows": found,
            "ticked": ticked,
            "out_of_reach": len(set(ticked.ids)) - len(found),
        }
        return render(request, "customers/interaction_bulk_delete.html", context)

    def delete(interaction: Interaction) -> bool:
        services.delete_interaction(actor=request.user, interaction=interaction)
        return True

    return bulk.apply(
        request,
        ticked,
        found,
        delete,
        _("%(n)d ticked interactions are not yours to delete and were left alone."),
        done=_("%(changed)d interactions deleted."),
    )


def _reassign(request: HttpRequest, ticked: bulk.Ticked, found: list[Interaction]) -> HttpResponse:
    from django.contrib import messages
    from django.http import HttpResponseRedirect

    from kehu.accounts.models import User

    value = ticked.value
    who = User.objects.filter(is_active=True, pk=value if value.isdigit() else 0).first()
    if who is None:
        messages.error(request, _("Choose who had these interactions."))
        return HttpResponseRedirect(ticked.back)

    def reassign(interaction: Interaction) -> bool:
        return services.reassign_interaction(
            actor=request.user,
            interaction=interaction,
            user=who,
            expected_version=interaction.version,
        )

    return bulk.apply(
        request,
        ticked,
        found,
        reassign,
        _("%(n)d ticked interactions are not yours to change and were left alone."),
    )
