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
        user_logged_out.connect(signed_out, dispatch_uid="kehu.signed_out", weak=False)
