"""Administration in the product: people, invitations, teams, roles, and the org chart."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import services
from kehu.accounts.admin_forms import (
    AcceptInvitationForm,
    DeactivateForm,
    InviteForm,
    RoleForm,
    TeamForm,
    UserForm,
)
from kehu.accounts.models import Invitation, Role, Team, User
from kehu.core.generic import Column, ObjectListView
from kehu.core.permissions import ACTIONS, has_perm


def require_perm(code: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_perm(request.user, code):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# ---- people ------------------------------------------------------------------------------------


class UserListView(ObjectListView):
    title = gettext_lazy("People")
    template_name = "accounts/admin/user_list.html"
    default_ordering = ["username"]
    columns = [
        Column("display_name", gettext_lazy("Name"), template="accounts/admin/_cells.html#name"),
        Column("username", gettext_lazy("Username")),
        Column("title", gettext_lazy("Job title")),
        Column(
            "roles",
            gettext_lazy("Roles"),
            sortable=False,
            template="accounts/admin/_cells.html#roles",
        ),
        Column(
            "teams",
            gettext_lazy("Teams"),
            sortable=False,
            template="accounts/admin/_cells.html#teams",
        ),
        Column("is_active", gettext_lazy("Status"), template="accounts/admin/_cells.html#active"),
        Column(
            "last_login",
            gettext_lazy("Last sign-in"),
            template="accounts/admin/_cells.html#last_login",
        ),
    ]

    required_perm = "manage_users"

    @staticmethod
    def selector(user: Any) -> Any:
        return User.objects.prefetch_related(
            Prefetch("roles", queryset=Role.objects.only("id", "name")),
            Prefetch("teams", queryset=Team.objects.only("id", "name")),
        )


@require_perm("manage_users")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=person, initial={"roles": person.roles.all()})
    if request.method == "POST" and form.is_valid():
        form.save()
        services.set_user_roles(
            actor=request.user,
            user=person,  # type: ignore[arg-type]
            roles=list(form.cleaned_data["roles"]),
        )
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("admin_users"))
    from axes.models import AccessAttempt

    failures = sum(
        AccessAttempt.objects.filter(username=person.username).values_list(
            "failures_since_start", flat=True
        )
    )
    context = {
        "person": person,
        "form": form,
        "deactivate_form": DeactivateForm(user=person),
        "failures": failures,
    }
    return render(
        request, "accounts/admin/user_edit.html", context, status=400 if form.errors else 200
    )


@require_perm("manage_users")
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk, is_active=True)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate yourself."))
        return HttpResponseRedirect(reverse("admin_user_edit", args=[pk]))
    form = DeactivateForm(request.POST or None, user=person)
    if request.method == "POST" and form.is_valid():
        result = services.deactivate_user(
            actor=request.user,  # type: ignore[arg-type]
            user=person,
            reassign_to=form.cleaned_data["reassign_to"],
        )
        messages.success(
            request,
            _("%(name)s was deactivated; %(n)d customers handed over.")
            % {"name": person, "n": result["reassigned"]},
        )
        return HttpResponseRedirect(reverse("admin_users"))
    return HttpResponseRedirect(reverse("admin_user_edit", args=[pk]))


# ---- invitations -------------------------------------------------------------------------------


@require_perm("manage_users")
def invitations(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _invitation, raw = services.invite(
            actor=request.user,  # type: ignore[arg-type]
            email=data["email"],
            display_name=data["display_name"],
            title=data["title"],
            roles=list(data["roles"]),
            teams=list(data["teams"]),
        )
        link = request.build_absolute_uri(reverse("accept_invitation", args=[raw]))
        form = InviteForm()
    pending = Invitation.objects.filter(accepted_at__isnull=True).prefetch_related("roles")
    return render(
        request,
        "accounts/admin/invitations.html",
        {"form": form, "link": link, "pending": pending},
        status=400 if form.errors else 200,
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the invited person chooses a username and password."""
    invitation = services.open_invitation(token)
    if invitation is None:
        return render(request, "accounts/admin/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Kehu!"))
            return HttpResponseRedirect("/")
    return render(
        request,
        "accounts/admin/accept_invitation.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


# ---- teams and the org chart -------------------------------------------------------------------


def _tree(teams: list[Team]) -> list[dict[str, Any]]:
    by_parent: dict[int | None, list[Team]] = {}
    for team in teams:
        by_parent.setdefault(team.parent_id, []).append(team)

    def build(parent: int | None) -> list[dict[str, Any]]:
        return [{"team": t, "children": build(t.pk)} for t in by_parent.get(parent, [])]

    return build(None)


def _teams_with_people() -> list[Team]:
    people = User.objects.filter(is_active=True).prefetch_related("roles").order_by("username")
    return list(Team.objects.select_related("leader").prefetch_related(Prefetch("members", people)))


@login_required
def org_chart(request: HttpRequest) -> HttpResponse:
    """The live organisation: every team with its leader and members and their roles."""
    return render(request, "accounts/org_chart.html", {"tree": _tree(_teams_with_people())})


@require_perm("manage_teams")
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/admin/team_list.html", {"tree": _tree(_teams_with_people())})


@require_perm("manage_teams")
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk else Team()
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_team(
                actor=request.user,  # type: ignore[arg-type]
                team=team,
                name=data["name"],
                kind=data["kind"],
                parent=data["parent"],
                leader=data["leader"],
                members=list(data["members"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(reverse("admin_teams"))
    return render(
        request,
        "accounts/admin/team_edit.html",
        {"form": form, "team": team},
        status=400 if form.errors else 200,
    )


# ---- roles -------------------------------------------------------------------------------------


@require_perm("manage_roles")
def role_list(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.prefetch_related("users")
    return render(request, "accounts/admin/role_list.html", {"roles": roles})


@require_perm("manage_roles")
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    role = Role.objects.filter(pk=pk).first()
    if role is None:
        raise Http404
    form = RoleForm(request.POST or None, role=role)
    if request.method == "POST" and form.is_valid():
        services.update_role(
            actor=request.user,  # type: ignore[arg-type]
            role=role,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            permissions=form.permissions(),
            scopes=form.scopes(),
            require_2fa=form.cleaned_data["require_2fa"],
        )
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("admin_roles"))
    return render(
        request,
        "accounts/admin/role_edit.html",
        {"form": form, "role": role, "actions": ACTIONS.values()},
        status=400 if form.errors else 200,
    )


@require_perm("manage_users")
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a sign-in lockout (django-axes) for this person."""
    from axes.utils import reset

    person = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        reset(username=person.username)
        messages.success(request, _("Sign-in for %(name)s is unlocked.") % {"name": person})
    return HttpResponseRedirect(reverse("admin_user_edit", args=[pk]))
