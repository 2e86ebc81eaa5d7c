from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts import twofactor
from kehu.accounts.forms import LoginForm
from kehu.accounts.security_views import REAUTH_WINDOW


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


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the authenticator app or a recovery code."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(_next_url(request))
    if not twofactor.has_device(request.user):
        return HttpResponseRedirect(f"/account/2fa/setup/?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.throttled(request.user):
            form.add_error("code", _("Too many wrong codes. Wait a few seconds and try again."))
        elif twofactor.verify(request, form.cleaned_data["code"]):
            return HttpResponseRedirect(_next_url(request))
        else:
            form.add_error("code", _("That code is not valid. Codes change every 30 seconds."))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/twofactor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, confirm with a first code."""
    if request.method == "POST":
        device = twofactor.pending_device(request.user)
        form = CodeForm(request.POST)
        if device is not None and form.is_valid():
            codes = twofactor.confirm_enrolment(request, device, form.cleaned_data["code"])
            if codes is not None:
                messages.success(request, _("Two-factor sign-in is on."))
                return render(
                    request,
                    "accounts/twofactor_codes.html",
                    {"codes": codes, "next": _next_url(request)},
                )
            form.add_error(
                "code",
                _("That code is not valid. Check the time on your phone and try the newest code."),
            )
        elif device is None:
            device = twofactor.start_enrolment(request.user)
        status = 400
    else:
        if twofactor.has_device(request.user):
            if not request.user.is_verified():  # type: ignore[union-attr]
                return HttpResponseRedirect(f"/login/verify/?next={_next_url(request)}")
            # Moving to a new phone replaces the device: ask for the password again first.
            if time.time() - request.session.get("kehu_auth_at", 0) > REAUTH_WINDOW:
                return HttpResponseRedirect(
                    f"/account/confirm-password/?next={request.get_full_path()}"
                )
        device = twofactor.start_enrolment(request.user)
        form = CodeForm()
        status = 200
    context = {
        "form": form,
        "qr": twofactor.qr_svg(device),
        "secret": twofactor.secret_base32(device),
        "required": twofactor.required_for(request.user),
        "next": _next_url(request),
    }
    return render(request, "accounts/twofactor_setup.html", context, status=status)


@login_required
@require_POST
def twofactor_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect("/login/verify/")
    codes = twofactor.regenerate_recovery_codes(request.user)
    return render(request, "accounts/twofactor_codes.html", {"codes": codes, "next": "/"})
