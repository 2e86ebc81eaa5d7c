from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Subscribers register themselves on import; importing here wires the event bus.
        from kehu.core import scoping, subscribers  # noqa: F401
        from kehu.core.models import AuditEvent, Notification
        from kehu.core.permissions import has_perm

        # A notification is its recipient's alone, administrators included.
        scoping.register(Notification, lambda qs, user, action: qs.filter(recipient=user))
        scoping.register(
            AuditEvent,
            lambda qs, user, action: qs if has_perm(user, "view_audit_log") else qs.none(),
        )
        from kehu.core.navigation import NavItem, register

        register(NavItem("home", _("Dashboard"), "home", "house", order=10))
        register(NavItem("notifications", _("Notifications"), "notifications", "bell", order=90))
        register(
            NavItem(
                "audit",
                _("Audit log"),
                "audit_log",
                "scroll-text",
                order=95,
                section="admin",
                visible=lambda user: has_perm(user, "view_audit_log"),
            )
        )
        register(
            NavItem(
                "calendar",
                _("Working calendar"),
                "working_calendar",
                "calendar-days",
                order=94,
                section="admin",
                visible=lambda user: has_perm(user, "manage_calendar"),
            )
        )
        register(
            NavItem(
                "admin",
                _("Administration"),
                "admin:index",
                "settings",
                order=99,
                section="admin",
                visible=lambda user: bool(user.is_staff),
            )
        )
