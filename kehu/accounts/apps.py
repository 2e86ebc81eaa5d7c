from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from kehu.accounts import services

        def signed_in(sender: object, request: object, user: object, **kwargs: object) -> None:
            if request is not None and hasattr(request, "session"):
                services.record_sign_in(request=request, user=user)  # type: ignore[arg-type]

        def signed_out(sender: object, request: object, user: object, **kwargs: object) -> None:
            session = getattr(request, "session", None)
            services.forget_session(session_key=getattr(session, "session_key", None))

        user_logged_in.connect(signed_in, dispatch_uid="kehu.signed_in", weak=False)
        user_logged_out.connect(signed_out, dispatch_uid="kehu.signed_out", weak=False)
