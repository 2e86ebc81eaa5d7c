"""The signed-in person's security page: two-factor sign-in, sessions, API tokens."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts import services, twofactor
from kehu.accounts.models import ApiToken, UserSession

REAUTH_WINDOW = 15 * 60  # seconds since the password was last entered

SCOPE_CHOICES = [
    ("customers:read", gettext_lazy("Customers: read")),
    ("customers:write", gettext_lazy("Customers: read and write")),
    ("work:read", gettext_lazy("Goals and tasks: read")),
    ("work:write", gettext_lazy("Goals and tasks: read and write")),
    ("sales:read", gettext_lazy("Deals and pipelines: read")),
    ("sales:write", gettext_lazy("Deals and pipelines: read and write")),
    ("account:read", gettext_lazy("My account: read")),
    ("account:write", gettext_lazy("My account: read and write")),
]


def recent_password_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sensitive changes need the password entered within the last 15 minutes."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auth_at = request.session.get("kehu_auth_at", 0)
        if time.time() - auth_at > REAUTH_WINDOW:
            target = reverse("confirm_password")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': reverse('security')})}")
        return view(request, *args, **kwargs)

    return wrapper


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    form = ConfirmPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):  # type: ignore[union-attr]
            request.session["kehu_auth_at"] = time.time()
            target = request.GET.get("next", "")
            if not target.startswith("/account/"):
                target = reverse("security")
            return HttpResponseRedirect(target)
        form.add_error("password", _("Wrong password."))
    return render(
        request,
        "accounts/confirm_password.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.TypedChoiceField(
        label=gettext_lazy("Expires"),
        coerce=int,
        choices=[
            (30, gettext_lazy("in 30 days")),
            (90, gettext_lazy("in 90 days")),
            (365, gettext_lazy("in a year")),
            (0, gettext_lazy("never")),
        ],
        initial=90,
    )


def _security_page(request: HttpRequest, token_form: TokenForm, status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "has_2fa": twofactor.has_device(user),
        "requires_2fa": twofactor.required_for(user),
        "sessions": UserSession.objects.filter(user=user),
        "current_key": request.session.session_key,
        "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True),
        "token_form": token_form,
    }
    return render(request, "accounts/security.html", context, status=status)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request, TokenForm())


@login_required
@require_POST
def end_session(request: HttpRequest, session_id: int) -> HttpResponse:
    if services.end_session(user=request.user, session_id=session_id):  # type: ignore[arg-type]
        messages.success(request, _("The session was ended."))
    return HttpResponseRedirect(reverse("security"))


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    count = services.end_all_sessions(
        user=request.user,  # type: ignore[arg-type]
        keep=request.session.session_key,
    )
    messages.success(request, _("%(count)d other sessions ended.") % {"count": count})
    return HttpResponseRedirect(reverse("security"))


@login_required
@require_POST
@recent_password_required
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _security_page(request, form, status=400)
    days = form.cleaned_data["expires_in_days"]
    token, raw = services.create_token(
        user=request.user,  # type: ignore[arg-type]
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    return render(request, "accounts/token_created.html", {"token": token, "secret": raw})


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    if services.revoke_token(user=request.user, token_id=token_id):  # type: ignore[arg-type]
        messages.success(request, _("The token was revoked."))
    return HttpResponseRedirect(reverse("security"))


@login_required
@require_POST
@recent_password_required
def disable_twofactor(request: HttpRequest) -> HttpResponse:
    if twofactor.required_for(request.user):
        messages.error(
            request, _("Your role requires two-factor sign-in; it cannot be turned off.")
        )
    else:
        twofactor.disable(request.user)
        messages.success(request, _("Two-factor sign-in is off."))
    return HttpResponseRedirect(reverse("security"))


class ProfileForm(forms.ModelForm):
    class Meta:
        from kehu.accounts.models import User

        model = User
        fields = ["display_name", "mobile", "email", "language", "time_zone"]

    def clean_time_zone(self) -> str:
        import zoneinfo

        value: str = self.cleaned_data["time_zone"].strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone, e.g. Asia/Shanghai."))
        return value


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own details; a new e-mail needs the password re-entered."""
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        from kehu.accounts.models import User

        email_changed = form.cleaned_data["email"] != User.objects.get(pk=user.pk).email
        if email_changed and time.time() - request.session.get("kehu_auth_at", 0) > REAUTH_WINDOW:
            messages.info(request, _("To change your e-mail, enter your password first."))
            target = reverse("confirm_password")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': reverse('profile')})}")
        form.save()
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("profile"))
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )
