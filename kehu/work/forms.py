from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.work.models import Goal, Proposal, Review, Task

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

TASK_FORM_FIELDS = [
    "title",
    "description",
    "goal",
    "customer",
    "area",
    "label",
    "status",
    "responsible",
    "collaborators",
    "start_on",
    "due_on",
    "estimate_hours",
    "progress_mode",
    "progress",
    "parent",
    "recurrence",
    "remind_at",
]
GOAL_FORM_FIELDS = [
    "title",
    "description",
    "metric",
    "target_value",
    "current_value",
    "unit",
    "owner",
    "team",
    "parent",
    "start_on",
    "due_on",
    "status",
]


class _Scoped:
    """Choices of related records limited to what the user may see."""

    def limit(self, user: Any) -> None:
        from kehu.accounts.models import User
        from kehu.customers.selectors import customers_visible_to
        from kehu.work import selectors

        fields = self.fields  # type: ignore[attr-defined]
        people = User.objects.filter(is_active=True).order_by("username")
        for name in ("responsible", "collaborators", "owner"):
            if name in fields:
                fields[name].queryset = people
        if "goal" in fields:
            fields["goal"].queryset = selectors.goals_visible_to(user).order_by("title")
        if "parent" in fields and fields["parent"].queryset.model is Goal:
            fields["parent"].queryset = selectors.goals_visible_to(user).order_by("title")
        elif "parent" in fields:
            fields["parent"].queryset = selectors.tasks_visible_to(user).order_by("-pk")
        if "customer" in fields:
            fields["customer"].queryset = customers_visible_to(user)
            fields["customer"].widget = forms.NumberInput(
                attrs={"placeholder": _("Customer number")}
            )


class TaskForm(_Scoped, FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Task
        fields = TASK_FORM_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_on": DATE,
            "due_on": DATE,
            "remind_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.limit(user)


class GoalForm(_Scoped, FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Goal
        fields = GOAL_FORM_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_on": DATE,
            "due_on": DATE,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.limit(user)
        self.fields["owner"].required = False


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write @name to notify")}),
    )


class ChecklistForm(forms.Form):
    text = forms.CharField(label=_("Checklist item"), max_length=255)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class InstantiateForm(forms.Form):
    """Starting a plan from a template: when, for which team and customer (both optional, as in
    the API), and who takes each role."""

    start_on = forms.DateField(label=_("Start"), widget=DATE)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        help_text=_("The plan's goal belongs to this team (its table, kanban and reviews)."),
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        help_text=_("The customer the plan serves; its tasks are linked to them."),
        widget=forms.NumberInput(attrs={"placeholder": _("Customer number")}),
        error_messages={"invalid_choice": _("No customer you can see has this number.")},
    )

    def __init__(self, *args: Any, roles: list[str], user: Any, **kwargs: Any) -> None:
        from kehu.accounts.models import Team, User
        from kehu.customers.selectors import customers_visible_to

        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["customer"].queryset = customers_visible_to(user)  # type: ignore[attr-defined]
        own_teams = list(user.teams.values_list("pk", flat=True)[:2])
        if len(own_teams) == 1:
            self.fields["team"].initial = own_teams[0]
        people = User.objects.filter(is_active=True).order_by("username")
        self.roles = roles
        for index, role in enumerate(roles):
            self.fields[f"role_{index}"] = forms.ModelChoiceField(
                label=role, queryset=people, required=False
            )

    def role_map(self) -> dict[str, Any]:
        return {
            role: self.cleaned_data.get(f"role_{i}")
            for i, role in enumerate(self.roles)
            if self.cleaned_data.get(f"role_{i}")
        }


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class ReviewNoteForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=None)  # type: ignore[arg-type]
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kehu.accounts.models import User

        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]


class ProposalForm(forms.Form):
    body = forms.CharField(label=_("Your proposal"), widget=forms.Textarea(attrs={"rows": 3}))
    anonymous = forms.BooleanField(label=_("Submit anonymously"), required=False)


class ProposalResponseForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Proposal.Status.choices)
    response = forms.CharField(
        label=_("Response"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
