from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views

from kehu.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from kehu.accounts.models import User
        from kehu.core.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

        context = super().get_context_data(**kwargs)
        demo = User.objects.filter(username="linxue", email__endswith=DEMO_EMAIL_DOMAIN).exists()
        context["show_demo_hint"] = demo
        context["demo_password"] = DEMO_PASSWORD
        return context
