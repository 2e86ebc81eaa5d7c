from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kehu.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from kehu.core import permissions, scoping
        from kehu.core.permissions import RecordType
        from kehu.service.models import (
            AgentSkill,
            SLAPolicy,
            SurveyInvite,
            TeamRouting,
            Ticket,
            TicketAssignment,
            TicketMessage,
            TicketStatusChange,
        )

        # A ticket belongs to its assignee: "own" is what one works on, "team" what one's team
        # works on. Changing the assignee is the "assign" action.
        permissions.register(
            RecordType(
                "ticket",
                _("Tickets"),
                Ticket,
                owner_field="assignee",
                restricted_fields=("assignee",),
            )
        )

        def with_ticket(qs, user, action):  # type: ignore[no-untyped-def]
            return qs.filter(ticket__in=scoping.restrict(Ticket.objects.all(), user, action))

        for model in (TicketMessage, TicketAssignment, TicketStatusChange, SurveyInvite):
            scoping.register(model, with_ticket)

        def settings_policy(qs, user, action):  # type: ignore[no-untyped-def]
            if action == "view" and user.is_authenticated:
                return qs
            return qs if permissions.has_perm(user, "manage_service") else qs.none()

        for model in (SLAPolicy, TeamRouting, AgentSkill):
            scoping.register(model, settings_policy)

        import re

        from kehu.core import search
        from kehu.service import subscribers  # noqa: F401 - keeps the search index current

        search.register(
            search.Searchable(
                "ticket",
                _("Tickets"),
                Ticket,
                tokens=lambda t: search.combine(
                    set(re.findall(r"[a-z0-9]+", t.number.lower())),
                    {t.number.lower()},
                    search.text_tokens(t.subject),
                    search.text_tokens(t.requester_name),
                    search.email_tokens(t.requester_email),
                    search.phone_tokens(t.requester_phone),
                ),
                title=lambda t: f"{t.number} · {t.subject}",
                url=lambda t: t.get_absolute_url(),
                subtitle=lambda t: " · ".join(
                    x for x in (str(t.customer or t.requester_name), t.get_status_display()) if x
                ),
                select_related=("customer",),
            )
        )

        from kehu.customers.selectors import register_timeline_provider
        from kehu.service import selectors
        from kehu.service import tasks as _tasks  # noqa: F401 - registers check_slas

        register_timeline_provider(selectors.customer_ticket_timeline)

        from kehu.core.navigation import NavItem, register

        register(NavItem("tickets", _("Tickets"), "service:list", "life-buoy", order=30))
        register(
            NavItem(
                "service_map",
                _("Service flow"),
                "service:map",
                "workflow",
                order=31,
                visible=lambda u: permissions.has_perm(u, "ticket.view"),
            )
        )
        register(
            NavItem(
                "service_settings",
                _("Service settings"),
                "service:sla_list",
                "timer",
                order=90,
                section="admin",
                visible=lambda u: permissions.has_perm(u, "manage_service"),
            )
        )
