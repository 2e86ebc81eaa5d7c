from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.generic import (
    Column,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from kehu.core.htmx import is_htmx
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.service import selectors, services
from kehu.service.forms import MessageForm, SLAPolicyForm, TicketCreateForm, TicketForm
from kehu.service.models import Priority, Ticket, TicketType


def _users(request: Any) -> Any:
    from kehu.accounts.models import User

    return User.objects.filter(is_active=True).order_by("username")


def _teams(request: Any) -> Any:
    from kehu.accounts.models import Team

    return Team.objects.order_by("name")


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=Ticket.Status.choices, label=_("Status"), distinct=False
    )
    type = django_filters.MultipleChoiceFilter(
        choices=TicketType.choices, label=_("Type"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=_("Priority"), distinct=False
    )
    channel = django_filters.MultipleChoiceFilter(
        choices=Ticket.Channel.choices, label=_("Channel"), distinct=False
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=_users, label=_("Assignee"), null_value="none", null_label=_("Nobody")
    )
    team = django_filters.ModelChoiceFilter(queryset=_teams, label=_("Team"))
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    sla = django_filters.ChoiceFilter(
        method="sla_state",
        label=_("SLA"),
        choices=[("overdue", _("Overdue")), ("waiting", _("Waiting on customer"))],
    )

    class Meta:
        model = Ticket
        fields = [
            "q",
            "status",
            "type",
            "priority",
            "channel",
            "assignee",
            "team",
            "customer",
            "sla",
        ]

    def search(self, queryset: Any, name: str, value: str) -> Any:
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(subject__icontains=value)
            | Q(requester_name__icontains=value)
            | Q(requester_email__icontains=value)
            | Q(customer__name__icontains=value)
        )

    def sla_state(self, queryset: Any, name: str, value: str) -> Any:
        from django.utils import timezone

        if value == "overdue":
            return queryset.filter(status__in=Ticket.OPEN_STATUSES).filter(
                selectors.overdue_condition(timezone.now())
            )
        if value == "waiting":
            return queryset.filter(paused_at__isnull=False)
        return queryset


def _status_cell(t: Ticket) -> str:
    extra = format_html(' <span class="tag">{}</span>', gettext("Waiting")) if t.paused_at else ""
    return format_html(
        '<span class="tag ticket-{}">{}</span>{}', t.status, t.get_status_display(), extra
    )


def _due_cell(t: Ticket) -> str:
    from django.utils import timezone

    due = t.resolution_due_at
    if due is None:
        return "—"
    late = t.is_open and t.paused_at is None and due < timezone.now()
    return format_html(
        '<span class="nowrap{}">{}</span>',
        " text-danger" if late else "",
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
    )


class TicketListView(ObjectListView):
    title = _("Tickets")
    export_name = "tickets"
    create_url = "/service/new/"
    template_name = "service/ticket_list.html"
    filterset_class = TicketFilter
    default_ordering = ["-created_at", "-id"]
    columns = [
        Column("number", _("Number"), link=True, hideable=False),
        Column("subject", _("Subject"), sortable=False),
        Column("status", _("Status"), render=_status_cell),
        Column("priority", _("Priority"), render=lambda t: t.get_priority_display()),
        Column("type", _("Type"), render=lambda t: t.get_type_display()),
        Column(
            "customer",
            _("Customer"),
            sortable=False,
            render=lambda t: (
                format_html('<a href="{}">{}</a>', t.customer.get_absolute_url(), t.customer)
                if t.customer_id
                else (t.requester_name or "—")
            ),
        ),
        Column(
            "assignee",
            _("Assignee"),
            order_by="assignee__username",
            render=lambda t: str(t.assignee or "—"),
        ),
        Column("resolution_due_at", _("Resolution due"), render=_due_cell),
        Column("channel", _("Channel"), default=False, render=lambda t: t.get_channel_display()),
        Column(
            "team", _("Team"), sortable=False, default=False, render=lambda t: str(t.team or "—")
        ),
        Column("satisfaction_score", _("Satisfaction"), default=False),
        Column("created_at", _("Opened"), render=lambda t: t.created_at.strftime("%Y-%m-%d %H:%M")),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.tickets_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        return {"users": list(_users(None)), "teams": list(_teams(None))}


class TicketDetailView(ObjectDetailView):
    template_name = "service/ticket_detail.html"
    get_for = staticmethod(selectors.get_ticket_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Ticket)
        from kehu.core import scoping

        user = self.request.user
        may_change = scoping.can(user, "change", obj)
        return {
            "conversation": selectors.conversation(obj),
            "clocks": selectors.sla_clocks(obj),
            "may_change": may_change,
            "may_assign": has_perm(user, "ticket.assign") and may_change,
            "next_statuses": [
                (s, Ticket.Status(s).label)
                for s in Ticket.Status.values
                if s in services.TRANSITIONS.get(obj.status, set())
            ]
            if may_change and not obj.merged_into_id
            else [],
            "users": list(_users(None)) if has_perm(user, "ticket.assign") else [],
            "message_form": MessageForm(),
            "can_email": bool(obj.reply_address),
            "survey": selectors.latest_survey(obj),
            "may_survey_link": may_change
            and obj.status in services.SURVEY_STATUSES
            and obj.resolved_at is not None
            and obj.satisfaction_score is None
            and not obj.merged_into_id,
        }


def survey_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a fresh survey link for the agent to copy or show (phone, WeChat, walk-in): the
    link is shown once, on this answer, never stored; the earlier unanswered links stop."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = selectors.get_ticket_for(request.user, pk, "change")
    try:
        invite, link = services.issue_survey_link(
            actor=request.user, ticket=ticket, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return HttpResponseRedirect(ticket.get_absolute_url())
    except PermissionDenied:
        messages.error(request, gettext("You may not do that."))
        return HttpResponseRedirect(ticket.get_absolute_url())
    context = {"object": ticket, "invite": invite, "link": link}
    template = "service/_survey_link.html" if is_htmx(request) else "service/survey_link.html"
    response = render(request, template, context)
    response.headers["Cache-Control"] = "no-store"
    return response


class TicketCreateView(ObjectCreateView):
    form_class = TicketCreateForm
    title = _("New ticket")
    required_perm = "ticket.create"

    def create(self, form: forms.Form) -> Model:
        data = dict(form.cleaned_data)
        assignee = data.pop("assignee", None)
        if assignee is not None and not has_perm(self.request.user, "ticket.assign"):
            assignee = None
        return services.open_ticket(actor=self.request.user, assignee=assignee, **data)


class TicketEditView(ObjectEditView):
    form_class = TicketForm
    title = _("Edit ticket")
    get_for = staticmethod(lambda user, pk: selectors.get_ticket_for(user, pk, "change"))

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Ticket)
        data = {k: form.cleaned_data[k] for k in services.EDITABLE_FIELDS if k in form.cleaned_data}
        return services.update_ticket(
            actor=self.request.user,
            ticket=obj,
            expected_version=form.cleaned_data["version"],
            **data,
        )


class TicketHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_ticket_for)


def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The buttons of the ticket page: note, reply, status, assign, pause, resume, merge."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = selectors.get_ticket_for(request.user, pk, "change")
    user = request.user
    back = HttpResponseRedirect(ticket.get_absolute_url())
    try:
        version = int(request.POST.get("version", "")) if request.POST.get("version") else None
        if action in ("note", "reply"):
            form = MessageForm(request.POST)
            if not form.is_valid():
                messages.error(request, gettext("Write the message first."))
                return back
            if action == "note":
                services.add_note(actor=user, ticket=ticket, body=form.cleaned_data["body"])
                messages.success(request, gettext("Note added."))
            else:
                services.reply(actor=user, ticket=ticket, body=form.cleaned_data["body"])
                messages.success(
                    request,
                    gettext("Reply sent to %(address)s.") % {"address": ticket.reply_address}
                    if ticket.reply_address
                    else gettext("Reply saved; the ticket has no e-mail address to send it to."),
                )
        elif action == "status":
            services.change_status(
                actor=user,
                ticket=ticket,
                status=request.POST.get("status", ""),
                expected_version=version,
                base_url=request.build_absolute_uri("/"),
            )
            messages.success(request, gettext("Status changed."))
        elif action == "assign":
            from kehu.accounts.models import User

            raw = request.POST.get("assignee", "")
            if raw == "auto":
                person = services.auto_assign(actor=user, ticket=ticket)
                if person is None:
                    messages.warning(request, gettext("Nobody could be chosen automatically."))
                    return back
            else:
                assignee = (
                    User.objects.filter(pk=int(raw), is_active=True).first()
                    if raw.isdigit()
                    else None
                )
                services.assign(
                    actor=user, ticket=ticket, assignee=assignee, expected_version=version
                )
            messages.success(request, gettext("Assigned."))
        elif action == "pause":
            services.pause(actor=user, ticket=ticket)
            messages.success(
                request, gettext("Waiting on the customer: the SLA clocks are stopped.")
            )
        elif action == "resume":
            services.resume(actor=user, ticket=ticket)
            messages.success(request, gettext("The SLA clocks run again."))
        elif action == "merge":
            number = request.POST.get("into", "").strip().upper()
            target = selectors.tickets_visible_to(user, "change").filter(number=number).first()
            if target is None:
                messages.error(
                    request, gettext("No ticket %(number)s that you may edit.") % {"number": number}
                )
                return back
            services.merge_tickets(actor=user, source=ticket, target=target)
            messages.success(
                request, gettext("Merged into %(number)s.") % {"number": target.number}
            )
            return HttpResponseRedirect(target.get_absolute_url())
        else:
            return HttpResponse(status=404)
    except StaleWriteError as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except PermissionDenied:
        messages.error(request, gettext("You may not do that."))
    return back


# ---- settings -----------------------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not has_perm(request.user, "manage_service"):
        raise PermissionDenied


def sla_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    return render(
        request,
        "service/sla_list.html",
        {"policies": selectors.policies_visible_to(request.user)},
    )


def sla_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    from kehu.core import scoping
    from kehu.service.models import SLAPolicy

    _require_manager(request)
    policy = (
        scoping.get_visible_or_404(SLAPolicy.objects.all(), request.user, "change", pk=pk)
        if pk
        else None
    )
    if request.method == "POST" and request.POST.get("delete") and policy is not None:
        services.delete_policy(actor=request.user, policy=policy)
        messages.success(request, gettext("Deleted."))
        return HttpResponseRedirect("/service/sla/")
    form = SLAPolicyForm(request.POST or None, instance=None if policy is None else _copy(policy))
    if policy is not None and request.method != "POST":
        form.initial["version"] = policy.version
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in services.POLICY_FIELDS}
            try:
                if policy is None:
                    services.create_policy(actor=request.user, **data)
                else:
                    services.update_policy(
                        actor=request.user,
                        policy=policy,
                        expected_version=form.cleaned_data.get("version"),
                        **data,
                    )
            except StaleWriteError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(request, gettext("Saved."))
                return HttpResponseRedirect("/service/sla/")
        else:
            status = 400
    title = gettext("New SLA policy") if policy is None else gettext("Edit SLA policy")
    return render(
        request,
        "core/object_form.html",
        {"form": form, "object": policy, "title": title},
        status=status,
    )


def _copy(obj: Any) -> Any:
    import copy

    return copy.copy(obj)


def routing(request: HttpRequest) -> HttpResponse:
    """Per team: by hand, round robin or by skill; and each member's skills."""
    from kehu.accounts.models import Team, User
    from kehu.service.models import AgentSkill, TeamRouting

    _require_manager(request)
    if request.method == "POST":
        try:
            if "team" in request.POST:
                team = Team.objects.get(pk=int(request.POST["team"]))
                services.set_routing(
                    actor=request.user, team=team, mode=request.POST.get("mode", "")
                )
            elif "inquiry_team" in request.POST:
                raw = request.POST["inquiry_team"]
                chosen = Team.objects.get(pk=int(raw)) if raw else None
                services.set_inquiry_team(actor=request.user, team=chosen)
            elif "user" in request.POST:
                person = User.objects.get(pk=int(request.POST["user"]))
                skills = request.POST.get("skills", "").replace("，", ",").split(",")
                services.set_skills(actor=request.user, user=person, skills=skills)
        except (ValueError, Team.DoesNotExist, User.DoesNotExist):
            messages.error(request, gettext("That team or person does not exist."))
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return HttpResponseRedirect("/service/routing/")
    modes = dict(TeamRouting.objects.values_list("team_id", "mode"))
    skills: dict[int, list[str]] = {}
    for user_id, skill in AgentSkill.objects.values_list("user_id", "skill"):
        skills.setdefault(user_id, []).append(skill)
    teams = list(Team.objects.prefetch_related("members").order_by("name"))
    rows = [
        {
            "team": t,
            "mode": modes.get(t.pk, TeamRouting.Mode.MANUAL),
            "members": [
                {"user": m, "skills": ", ".join(sorted(skills.get(m.pk, [])))}
                for m in t.members.all()
                if m.is_active
            ],
        }
        for t in teams
    ]
    from django.urls import reverse

    form_url = request.build_absolute_uri(reverse("inquiry"))
    return render(
        request,
        "service/routing.html",
        {
            "rows": rows,
            "modes": TeamRouting.Mode.choices,
            "ticket_types": TicketType.choices,
            "teams": teams,
            "inquiry_team": selectors.inquiry_team(),
            "inquiry_url": form_url,
            "embed_snippet": format_html(
                '<iframe src="{}" title="{}" width="100%" height="720" '
                'style="border:0;max-width:640px" loading="lazy"></iframe>',
                form_url,
                _("Contact us"),
            ),
        },
    )


# ---- the process map ----------------------------------------------------------------------------


def _map_svg(steps: list[Any]) -> Any:
    from kehu.core.processmap import render_svg

    return render_svg(
        [selectors.stage_stat(s) for s in steps],
        title=gettext("Service flow"),
        element_id="map-svg",
    )


def service_map(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "ticket.view"):
        raise PermissionDenied
    steps = selectors.service_flow(request.user)
    return render(request, "service/service_map.html", {"steps": steps, "svg": _map_svg(steps)})


def service_map_svg(request: HttpRequest) -> HttpResponse:
    """The map as a file, for links and programs (the page also saves it in the browser)."""
    if not has_perm(request.user, "ticket.view"):
        raise PermissionDenied
    svg = _map_svg(selectors.service_flow(request.user))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = 'attachment; filename="service-flow.svg"'
    return response
