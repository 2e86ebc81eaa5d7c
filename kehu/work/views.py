"""Pages for goals, tasks, templates, weekly reviews and the feedback box. The division table,
kanban, Gantt, my tasks, calendar, workload and gaps pages live in the board views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.generic import (
    Column,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from kehu.core.permissions import has_perm
from kehu.work import reviews, selectors, services, templating
from kehu.work.filters import GoalFilter, TaskFilter
from kehu.work.forms import (
    GOAL_FORM_FIELDS,
    TASK_FORM_FIELDS,
    AttachmentForm,
    ChecklistForm,
    CommentForm,
    GoalForm,
    InstantiateForm,
    ProposalForm,
    ProposalResponseForm,
    ReviewNoteForm,
    TaskForm,
)
from kehu.work.models import ChecklistItem, Goal, Proposal, Task, TaskAttachment, WorkTemplate


def _status(task: Any) -> str:
    return format_html('<span class="tag tag-{}">{}</span>', task.status, task.get_status_display())


def _label(task: Any) -> str:
    if not task.label_id:
        return "—"
    return format_html(
        '<span class="tag" style="border-color:{0}">{1}</span>', task.label.colour, task.label.code
    )


def _progress(obj: Any) -> str:
    return format_html('<progress max="100" value="{0}">{0}%</progress> {0}%', obj.progress)


class TaskListView(ObjectListView):
    title = gettext_lazy("Tasks")
    export_name = "tasks"
    create_url = "/work/tasks/new/"
    template_name = "work/task_list.html"
    filterset_class = TaskFilter
    default_ordering = ["due_on", "pk"]
    columns = [
        Column("title", gettext_lazy("Task"), link=True, hideable=False),
        Column("status", gettext_lazy("Status"), render=_status),
        Column("label", gettext_lazy("Priority"), order_by="label__position", render=_label),
        Column("responsible", gettext_lazy("Responsible"), order_by="responsible__username"),
        Column("area", gettext_lazy("Area"), order_by="area__position"),
        Column("goal", gettext_lazy("Goal"), order_by="goal__title"),
        Column("customer", gettext_lazy("Customer"), sortable=False, default=False),
        Column("start_on", gettext_lazy("Start"), default=False),
        Column("due_on", gettext_lazy("Due")),
        Column("progress", gettext_lazy("Progress"), render=_progress),
        Column("estimate_hours", gettext_lazy("Estimate (hours)"), default=False),
    ]
    required_perm = None

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.task_list(user)

    def extra_context(self) -> dict[str, Any]:
        return {"may_create": has_perm(self.request.user, "task.create")}


class GoalListView(ObjectListView):
    title = gettext_lazy("Goals")
    export_name = "goals"
    create_url = "/work/goals/new/"
    template_name = "work/goal_list.html"
    filterset_class = GoalFilter
    default_ordering = ["due_on", "pk"]
    columns = [
        Column("title", gettext_lazy("Goal"), link=True, hideable=False),
        Column("metric", gettext_lazy("Metric"), sortable=False),
        Column("owner", gettext_lazy("Owner"), order_by="owner__username"),
        Column("team", gettext_lazy("Team"), order_by="team__name"),
        Column("parent", gettext_lazy("Parent goal"), sortable=False, default=False),
        Column("status", gettext_lazy("Status")),
        Column("due_on", gettext_lazy("Due")),
        Column("progress", gettext_lazy("Progress"), render=_progress),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.goal_list(user)


class TaskDetailView(ObjectDetailView):
    template_name = "work/task_detail.html"
    get_for = staticmethod(selectors.get_task_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        from kehu.core.scoping import can

        assert isinstance(obj, Task)
        user = self.request.user
        visible = selectors.tasks_visible_to(user)
        may_change = can(user, "change", obj)
        needs_hands = obj.status != Task.Status.DONE and (
            not obj.responsible_id or selectors.responsible_overloaded(obj)
        )
        return {
            "may_change": may_change,
            "overloaded": bool(obj.responsible_id) and needs_hands,
            "could_take": selectors.suggest_assignees(obj, limit=3)
            if may_change and needs_hands
            else [],
            "checklist": list(obj.checklist.all()),
            "comments": list(obj.comments.select_related("author")),
            "attachments": list(obj.attachments.all()),
            "depends_on": list(visible.filter(blocking=obj).select_related("responsible")),
            "blocking": list(visible.filter(depends_on=obj).select_related("responsible")),
            "subtasks": list(visible.filter(parent=obj).select_related("responsible")),
            "collaborators": list(obj.collaborators.all()),
            "comment_form": CommentForm(),
            "checklist_form": ChecklistForm(),
            "attachment_form": AttachmentForm(),
            "candidates": list(visible.exclude(pk=obj.pk).order_by("-pk")[:200]),
        }


class GoalDetailView(ObjectDetailView):
    template_name = "work/goal_detail.html"
    get_for = staticmethod(selectors.get_goal_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        from kehu.core.scoping import can

        assert isinstance(obj, Goal)
        user = self.request.user
        tree = services.goal_tree(obj)
        ids = [g.pk for _d, g in tree]
        return {
            "may_change": can(user, "change", obj),
            "tree": tree[1:],
            "tasks": list(
                selectors.task_list(user).filter(goal_id__in=ids).order_by("due_on", "pk")
            ),
            "may_template": has_perm(user, "goal.create"),
        }


def _task_fields(form: forms.Form) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in TASK_FORM_FIELDS if k in form.cleaned_data}


class TaskCreateView(ObjectCreateView):
    form_class = TaskForm
    title = gettext_lazy("New task")
    required_perm = "task.create"

    def get_form(self, data: Any = None) -> forms.Form:
        initial = {
            k: self.request.GET[k]
            for k in ("goal", "customer", "parent")
            if self.request.GET.get(k)
        }
        initial.setdefault("responsible", self.request.user.pk)
        return TaskForm(data=data, initial=initial, user=self.request.user)

    def create(self, form: forms.Form) -> Model:
        fields = _task_fields(form)
        return services.create_task(actor=self.request.user, **fields)


class TaskEditView(ObjectEditView):
    form_class = TaskForm
    title = gettext_lazy("Edit task")
    get_for = staticmethod(lambda user, pk: selectors.get_task_for(user, pk, "change"))

    def initial(self, obj: Model) -> dict[str, Any]:
        return {"version": obj.version}  # type: ignore[attr-defined]

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Task)
        return services.update_task(
            actor=self.request.user,
            task=obj,
            version=form.cleaned_data["version"],
            **_task_fields(form),
        )


class TaskHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_task_for)


class GoalCreateView(ObjectCreateView):
    form_class = GoalForm
    title = gettext_lazy("New goal")
    required_perm = "goal.create"

    def get_form(self, data: Any = None) -> forms.Form:
        initial = {"owner": self.request.user.pk}
        if self.request.GET.get("parent"):
            initial["parent"] = self.request.GET["parent"]
        return GoalForm(data=data, initial=initial, user=self.request.user)

    def create(self, form: forms.Form) -> Model:
        fields = {k: form.cleaned_data[k] for k in GOAL_FORM_FIELDS if k in form.cleaned_data}
        fields["owner"] = fields.get("owner") or self.request.user
        return services.create_goal(actor=self.request.user, **fields)


class GoalEditView(ObjectEditView):
    form_class = GoalForm
    title = gettext_lazy("Edit goal")
    get_for = staticmethod(lambda user, pk: selectors.get_goal_for(user, pk, "change"))

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Goal)
        fields = {k: form.cleaned_data[k] for k in GOAL_FORM_FIELDS if k in form.cleaned_data}
        fields["owner"] = fields.get("owner") or obj.owner
        return services.update_goal(
            actor=self.request.user, goal=obj, version=form.cleaned_data["version"], **fields
        )


class GoalHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_goal_for)


# ---- actions on a task's detail page ---------------------------------------------------------


def _back(task: Task, form: forms.Form | None = None, error: Any = None) -> HttpResponse:
    return HttpResponseRedirect(task.get_absolute_url())


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for(request.user, pk)  # who sees a task may comment on it
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(actor=request.user, task=task, body=form.cleaned_data["body"])
        except ValidationError as exc:
            _report(request, exc)
    else:
        messages.error(request, _("The comment is empty."))
    return _back(task)


@login_required
@require_POST
def task_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for(request.user, pk, "change")
    action = request.POST.get("action", "add")
    try:
        if action == "add":
            services.add_checklist_item(
                actor=request.user, task=task, text=request.POST.get("text", "")
            )
        else:
            item = get_object_or_404(ChecklistItem, task=task, pk=request.POST.get("item") or 0)
            if action == "toggle":
                services.update_checklist_item(actor=request.user, item=item, done=not item.done)
            elif action == "delete":
                services.delete_checklist_item(actor=request.user, item=item)
    except ValidationError as exc:
        _report(request, exc)
    return _back(task)


@login_required
@require_POST
def task_dependency(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for(request.user, pk, "change")
    try:
        other_id = int(request.POST.get("depends_on") or 0)
    except ValueError:
        other_id = 0
    other = selectors.get_task_for(request.user, other_id)
    try:
        if request.POST.get("action") == "remove":
            services.remove_dependency(actor=request.user, task=task, depends_on=other)
        else:
            services.add_dependency(actor=request.user, task=task, depends_on=other)
    except ValidationError as exc:
        _report(request, exc)
    return _back(task)


@login_required
@require_POST
def task_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for(request.user, pk, "change")
    if request.POST.get("action") == "delete":
        attachment = get_object_or_404(TaskAttachment, task=task, pk=request.POST.get("item") or 0)
        services.delete_attachment(actor=request.user, attachment=attachment)
        return _back(task)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(actor=request.user, task=task, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            _report(request, exc)
    else:
        messages.error(request, _("Choose a file to attach."))
    return _back(task)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    from django.http import FileResponse

    task = selectors.get_task_for(request.user, pk)
    attachment = get_object_or_404(TaskAttachment, task=task, pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# ---- templates -------------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "work/template_list.html",
        {
            "templates": WorkTemplate.objects.order_by("-is_builtin", "name"),
            "may_use": has_perm(request.user, "goal.create"),
        },
    )


@login_required
def template_use(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_perm(request.user, "goal.create"):
        raise PermissionDenied
    template = get_object_or_404(WorkTemplate, pk=pk)
    roles = templating.template_roles(template)
    form = InstantiateForm(request.POST or None, roles=roles, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.instantiate_template(
                actor=request.user,
                template=template,
                start_on=form.cleaned_data["start_on"],
                role_map=form.role_map(),
                team=form.cleaned_data["team"],
                customer=form.cleaned_data["customer"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was created from the template."))
            return HttpResponseRedirect(goal.get_absolute_url())
    return render(
        request,
        "work/template_use.html",
        {"template": template, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def goal_save_template(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_perm(request.user, "goal.create"):
        raise PermissionDenied
    goal = selectors.get_goal_for(request.user, pk)
    template = templating.save_goal_as_template(
        actor=request.user, goal=goal, name=request.POST.get("name", "") or goal.title
    )
    messages.success(request, _("Saved as the template “%s”.") % template.name)
    return HttpResponseRedirect("/work/templates/")


# ---- weekly review and feedback box ------------------------------------------------------------


@login_required
def review_page(request: HttpRequest) -> HttpResponse:
    context = reviews.review_context(request.user, request.GET)
    if request.method == "POST":
        if not context["may_write"]:
            raise PermissionDenied
        if context["team"] is None and context["goal"] is None:
            messages.error(request, _("Choose a team or a goal."))
            return HttpResponseRedirect(request.path)
        review = reviews.get_or_create_review(
            actor=request.user,
            team=context["team"],
            goal=context["goal"],
            week_start=context["week_start"],
        )
        if request.POST.get("action") == "note":
            form = ReviewNoteForm(request.POST)
            if form.is_valid():
                reviews.add_note(
                    actor=request.user,
                    review=review,
                    person=form.cleaned_data["person"],
                    body=form.cleaned_data["body"],
                )
        else:
            reviews.save_summary(
                actor=request.user, review=review, summary=request.POST.get("summary", "")
            )
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(f"{request.path}?{request.GET.urlencode()}")
    context["note_form"] = ReviewNoteForm()
    return render(request, "work/review.html", context)


@login_required
def proposal_box(request: HttpRequest) -> HttpResponse:
    may_respond = reviews.may_respond(request.user)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reviews.submit_proposal(
            actor=request.user,
            body=form.cleaned_data["body"],
            anonymous=form.cleaned_data["anonymous"],
        )
        messages.success(request, _("Thank you: your proposal was received."))
        return HttpResponseRedirect(request.path)
    status = request.GET.get("status", "")
    proposals = reviews.proposals_for(request.user)
    if status in Proposal.Status.values:
        proposals = proposals.filter(status=status)
    return render(
        request,
        "work/proposals.html",
        {
            "form": form,
            "proposals": list(proposals[:200]),
            "may_respond": may_respond,
            "statuses": Proposal.Status.choices,
            "status": status,
            "response_form": ProposalResponseForm(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_POST
def proposal_respond(request: HttpRequest, pk: int) -> HttpResponse:
    if not reviews.may_respond(request.user):
        raise PermissionDenied
    proposal = get_object_or_404(reviews.proposals_for(request.user), pk=pk)
    form = ProposalResponseForm(request.POST)
    if form.is_valid():
        reviews.respond_to_proposal(
            actor=request.user,
            proposal=proposal,
            status=form.cleaned_data["status"],
            response=form.cleaned_data["response"],
        )
        messages.success(request, _("Saved."))
    return HttpResponseRedirect("/work/proposals/")
