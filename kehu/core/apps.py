from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Subscribers register themselves on import; importing here wires the event bus.
        from kehu.core import scoping, subscribers  # noqa: F401
        from kehu.core.models import Notification

        # A notification is its recipient's alone, administrators included.
        scoping.register(Notification, lambda qs, user, action: qs.filter(recipient=user))
        from kehu.core.navigation import NavItem, register

        register(NavItem("home", _("Dashboard"), "home", "house", order=10))
        register(NavItem("notifications", _("Notifications"), "notifications", "bell", order=90))
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
