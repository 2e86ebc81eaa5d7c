from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )

        from kehu.accounts import services
        from kehu.accounts.models import User
        from kehu.core import scoping
        from kehu.core.navigation import NavItem, register
        from kehu.core.permissions import has_perm

        # Colleagues are visible to every member (pickers, org chart); changing them is admin work.
        scoping.register(
            User,
            lambda qs, user, action: (
                qs if action == "view" or has_perm(user, "manage_users") else qs.none()
            ),
        )

        register(NavItem("org", _("Organisation"), "org_chart", "network", order=80))
        for key, label, url, icon, perm, order in (
            ("people", _("People"), "admin_users", "users", "manage_users", 91),
            ("teams", _("Teams"), "admin_teams", "network", "manage_teams", 92),
            ("roles", _("Roles"), "admin_roles", "shield", "manage_roles", 93),
        ):
            register(
                NavItem(
                    key,
                    label,
                    url,
                    icon,
                    order=order,
                    section="admin",
                    visible=lambda user, perm=perm: has_perm(user, perm),
                )
            )
        from kehu.core.audit import audit
        from kehu.core.models import AuditEvent

        def signed_in(sender: object, request: object, user: object, **kwargs: object) -> None:
            if request is not None and hasattr(request, "session"):
                services.record_sign_in(request=request, user=user)  # type: ignore[arg-type]
            audit(AuditEvent.Action.LOGIN, actor=user, request=request, summary=str(user))

        def signed_out(sender: object, request: object, user: object, **kwargs: object) -> None:
            session = getattr(request, "session", None)
            services.forget_session(session_key=getattr(session, "session_key", None))
            audit(AuditEvent.Action.LOGOUT, actor=user, request=request, summary=str(user or ""))

        def failed(
            sender: object, credentials: dict[str, object], request: object = None, **kwargs: object
        ) -> None:
            username = str(credentials.get("username", ""))[:150]
            audit(
                AuditEvent.Action.LOGIN_FAILED, request=request, summary=username, username=username
            )

        user_login_failed.connect(failed, dispatch_uid="kehu.login_failed", weak=False)

        user_logged_in.connect(signed_in, dispatch_uid="kehu.signed_in", weak=False)
        from kehu.accounts.middleware import note_two_factor_state

        user_logged_in.connect(
            note_two_factor_state, dispatch_uid="kehu.two_factor_state", weak=False
        )
        user_logged_out.connect(signed_out, dispatch_uid="kehu.signed_out", weak=False)
