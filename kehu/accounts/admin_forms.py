from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role, Team, User
from kehu.core.permissions import ACTIONS, GLOBAL_PERMISSIONS, Scope, record_types


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(label=_("Name"), max_length=64, required=False)
    title = forms.CharField(label=_("Job title"), max_length=64, required=False)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"), queryset=Role.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AcceptInvitationForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class UserForm(forms.ModelForm):
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = ["display_name", "title", "email", "mobile"]


class DeactivateForm(forms.Form):
    reassign_to = forms.ModelChoiceField(
        label=_("Hand their customers and open work to"),
        queryset=User.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True).exclude(pk=user.pk).order_by("username")
        )


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "kind", "parent", "leader", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = User.objects.filter(is_active=True).order_by("username")
        self.fields["leader"].queryset = active  # type: ignore[attr-defined]
        self.fields["members"].queryset = active  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["parent"].queryset = Team.objects.exclude(  # type: ignore[attr-defined]
                pk=self.instance.pk
            )


class RoleForm(forms.Form):
    """The permission and scope matrix of one role, built from the permission catalogue."""

    name = forms.CharField(label=_("Name"), max_length=64)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    require_2fa = forms.BooleanField(label=_("Two-factor sign-in required"), required=False)

    def __init__(self, *args: Any, role: Role, **kwargs: Any) -> None:
        initial = {
            "name": role.name,
            "description": role.description,
            "require_2fa": role.require_2fa,
        }
        granted = set(role.permissions or [])
        for code in GLOBAL_PERMISSIONS:
            initial[f"perm:{code}"] = code in granted
        for rt in record_types():
            initial[f"scope:{rt.key}"] = (role.scopes or {}).get(rt.key, Scope.NONE)
            for action in rt.actions:
                initial[f"perm:{rt.code(action)}"] = rt.code(action) in granted
        super().__init__(*args, initial=initial, **kwargs)
        for code, label in GLOBAL_PERMISSIONS.items():
            self.fields[f"perm:{code}"] = forms.BooleanField(label=label, required=False)
        for rt in record_types():
            self.fields[f"scope:{rt.key}"] = forms.ChoiceField(
                label=rt.label, choices=Scope.choices
            )
            for action in rt.actions:
                self.fields[f"perm:{rt.code(action)}"] = forms.BooleanField(
                    label=ACTIONS[action], required=False
                )

    def matrix(self) -> list[dict[str, Any]]:
        rows = []
        for rt in record_types():
            rows.append(
                {
                    "label": rt.label,
                    "scope": self[f"scope:{rt.key}"],
                    "actions": [
                        self[f"perm:{rt.code(a)}"] if a in rt.actions else None for a in ACTIONS
                    ],
                }
            )
        return rows

    def global_fields(self) -> list[Any]:
        return [self[f"perm:{code}"] for code in GLOBAL_PERMISSIONS]

    def permissions(self) -> list[str]:
        return [
            name[5:]
            for name, value in self.cleaned_data.items()
            if name.startswith("perm:") and value
        ]

    def scopes(self) -> dict[str, str]:
        return {
            name[6:]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("scope:")
        }
