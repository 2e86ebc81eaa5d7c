"""Base models every Kehu record stands on, and the notification inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackedModel(models.Model):
    """Who created and last changed a record, when, and its ``version`` for optimistic locking.

    ``version`` starts at 1 and is bumped by :func:`kehu.core.locking.save_versioned` on every
    write; a form or API client sends back the version it read, and a stale write is refused.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class Share(models.Model):
    """An explicit share of one record with a person or a team, beyond their role's scope."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("record type"), on_delete=models.CASCADE
    )
    object_id = models.PositiveBigIntegerField(_("record"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares_received",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares_received",
    )
    can_edit = models.BooleanField(_("may edit"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["content_type", "object_id"], name="share_target")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) ^ models.Q(team__isnull=False),
                name="share_user_xor_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.user or self.team}"


class Notification(models.Model):
    """One message in a user's inbox; pushed live over the WebSocket when it is created."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notif_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class AuditEvent(models.Model):
    """One entry of the global audit log: sign-ins, failures, permission changes, exports,
    token use. Record changes themselves live in each model's history."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Sign-in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Sign-out")
        ROLE_CHANGED = "role_changed", _("Role changed")
        USER_ROLES_CHANGED = "user_roles_changed", _("A person's roles changed")
        USER_DEACTIVATED = "user_deactivated", _("Person deactivated")
        USER_INVITED = "user_invited", _("Person invited")
        USER_JOINED = "user_joined", _("Person joined")
        EXPORT = "export", _("Export")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        TOKEN_USED = "token_used", _("API token used")
        MERGE = "merge", _("Records merged")
        IMPORT = "import", _("Import")
        IMPORT_UNDO = "import_undo", _("Import undone")
        CALENDAR_CHANGED = "calendar_changed", _("Working calendar changed")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32, choices=Action, db_index=True)
    object_type = models.CharField(_("record type"), max_length=64, blank=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="audit_actor_time")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.summary}"


class SearchEntry(models.Model):
    """The search tokens of one record (see kehu.core.search); indexed by FTS5 or a GIN index."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    tokens = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="search_one_entry")
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"


class SavedView(TrackedModel):
    """A named table view (filters, sort, columns) for its owner, or shared with a team."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    table = models.CharField(_("table"), max_length=64)  # the list's URL name
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters and sort"), max_length=2000, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("shared with team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="saved_views",
    )

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "table", "name"], name="view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """The organisation's working week: which weekdays are worked and the hours of a working day.

    One row (``pk=1``); deadlines and SLA clocks (``kehu.core.workcalendar``) count only this
    time. Special days — public holidays and make-up working days (调休) — are
    :class:`CalendarDay` rows.
    """

    weekdays = models.CharField(
        _("working weekdays"),
        max_length=20,
        default="1,2,3,4,5",
        help_text=_("ISO weekday numbers, 1 = Monday … 7 = Sunday"),
    )
    periods = models.CharField(
        _("working hours"),
        max_length=200,
        default="09:00-12:00,13:00-18:00",
        help_text=_("Periods of a working day, e.g. 09:00-12:00,13:00-18:00"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.weekdays} {self.periods}"


class CalendarDay(models.Model):
    """A day that breaks the working week: a holiday on a weekday, or a working weekend day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Working day (e.g. a make-up day, 调休)")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
