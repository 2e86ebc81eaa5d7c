"""The division-of-labour table (分工表, seed 000): goals, the tasks that reach them, who does
what, templates of whole plans, weekly reviews and the feedback box."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Area(TrackedModel):
    """A field of work (市场调研, 客户服务, 售后 …): the rows of the table by area."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class PriorityLabel(TrackedModel):
    """P0 … P3; the name and colour can be changed, the code stays."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=32)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#64748b",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #d92d20."))],
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("priority label")
        verbose_name_plural = _("priority labels")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.name and self.name != self.code else self.code


class Goal(TrackedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    metric = models.CharField(_("metric"), max_length=200, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    current_value = models.DecimalField(
        _("current value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="work_goals",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_goals",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent goal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    start_on = models.DateField(_("start"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, validators=PERCENT)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("work:goal", self.pk)


class Task(TrackedModel):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        DOING = "doing", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")

    class ProgressMode(models.TextChoices):
        MANUAL = "manual", _("By hand")
        CHECKLIST = "checklist", _("From the checklist")
        SUBTASKS = "subtasks", _("From the sub-tasks")

    class Recurrence(models.TextChoices):
        NONE = "none", _("Does not repeat")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_tasks",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    label = models.ForeignKey(
        PriorityLabel,
        verbose_name=_("priority"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.TODO)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, validators=PERCENT)
    progress_mode = models.CharField(
        _("progress from"), max_length=16, choices=ProgressMode, default=ProgressMode.MANUAL
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent task"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subtasks",
    )
    start_on = models.DateField(_("start"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    estimate_hours = models.DecimalField(
        _("estimate (hours)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_tasks",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        blank=True,
        related_name="work_collaborations",
    )
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="blocking",
    )
    recurrence = models.CharField(
        _("repeats"), max_length=16, choices=Recurrence, default=Recurrence.NONE
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    recurs_from = models.OneToOneField(
        "self",
        verbose_name=_("repeats"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="next_occurrence",
    )
    position = models.IntegerField(_("position"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["responsible", "status"], name="work_task_resp_status"),
            models.Index(fields=["goal", "status"], name="work_task_goal_status"),
            models.Index(fields=["customer", "status"], name="work_task_cust_status"),
            models.Index(fields=["due_on"], name="work_task_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("work:task", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE


class ChecklistItem(TrackedModel):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="checklist"
    )
    text = models.CharField(_("text"), max_length=255)
    done = models.BooleanField(_("done"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class TaskComment(models.Model):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("comment"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentions"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:50]


class TaskAttachment(models.Model):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="work/attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class WorkTemplate(TrackedModel):
    """A goal with its tasks, saved to start the same plan again (payload: see services)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=64, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False)
    payload = models.JSONField(_("content"), default=dict)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("work template")
        verbose_name_plural = _("work templates")
        ordering = ["-is_builtin", "name"]

    def __str__(self) -> str:
        return self.name


class WorkerProfile(TrackedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="worker_profile",
    )
    weekly_capacity_hours = models.DecimalField(
        _("weekly capacity (hours)"),
        max_digits=5,
        decimal_places=1,
        default=40,
        validators=[MinValueValidator(0)],
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("worker profile")
        verbose_name_plural = _("worker profiles")

    def __str__(self) -> str:
        return str(self.user)


class WipLimit(TrackedModel):
    """At most ``limit`` tasks in a kanban column (for one team, or everywhere)."""

    status = models.CharField(_("status"), max_length=16, choices=Task.Status)
    limit = models.PositiveIntegerField(_("limit"))
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("WIP limit")
        verbose_name_plural = _("WIP limits")
        constraints = [
            models.UniqueConstraint(fields=["status", "team"], name="work_wip_status_team"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ≤ {self.limit}"


class Review(TrackedModel):
    """The weekly review of a team or a goal."""

    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_reviews",
    )
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
    )
    week_start = models.DateField(_("week of"))
    summary = models.TextField(_("summary"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-week_start", "pk"]

    def __str__(self) -> str:
        return f"{self.team or self.goal} {self.week_start}"


class ReviewNote(TrackedModel):
    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="notes"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    body = models.TextField(_("note"))
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
    )

    class Meta:
        verbose_name = _("review note")
        verbose_name_plural = _("review notes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.body[:50]


class Proposal(models.Model):
    """The feedback box. An anonymous proposal stores no author at all."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        UNDER_REVIEW = "under_review", _("Under review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DONE = "done", _("Done")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("proposal"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    response = models.TextField(_("response"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateField(_("submitted on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.body[:50]


from kehu.work.models_share import TableShareLink  # noqa: E402,F401 - the table's share links
