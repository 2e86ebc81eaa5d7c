"""The service desk: tickets, their conversation, SLA policies, routing and satisfaction."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class TicketType(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    AFTER_SALES = "after_sales", _("After-sales")
    TECH_SUPPORT = "tech_support", _("Technical support")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class SLAPolicy(TrackedModel):
    """Targets in minutes of WORKING time (the organisation's working calendar).

    An empty priority or ticket type matches any; the most specific active policy wins.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority, blank=True)
    ticket_type = models.CharField(_("ticket type"), max_length=16, choices=TicketType, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (working minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (working minutes)"), validators=[MinValueValidator(1)]
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn this many working minutes before"), default=30
    )
    escalate_to_role = models.ForeignKey(
        "accounts.Role",
        verbose_name=_("escalate to role"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalate_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalate to person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:sla_edit", args=[self.pk])


class TeamRouting(models.Model):
    """How new tickets of a team find their assignee."""

    class Mode(models.TextChoices):
        MANUAL = "manual", _("By hand")
        ROUND_ROBIN = "round_robin", _("Round robin")
        SKILL = "skill", _("By skill")

    team = models.OneToOneField(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="routing"
    )
    mode = models.CharField(_("assignment"), max_length=16, choices=Mode, default=Mode.MANUAL)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team assignment setting")
        verbose_name_plural = _("team assignment settings")

    def __str__(self) -> str:
        return f"{self.team} · {self.get_mode_display()}"


class AgentSkill(models.Model):
    """A skill of a person: a ticket type code or a product category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="service_skills",
    )
    skill = models.CharField(_("skill"), max_length=64)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["skill"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="agentskill_unique"),
        ]
        indexes = [models.Index(fields=["skill"], name="agentskill_skill")]

    def __str__(self) -> str:
        return f"{self.user} · {self.skill}"


class InquirySettings(models.Model):
    """How the public inquiry form files its tickets (one row): the team that receives them,
    whose routing rule then assigns each one."""

    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team for web form tickets"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inquiry form settings")
        verbose_name_plural = _("inquiry form settings")

    def __str__(self) -> str:
        return str(_("inquiry form settings"))


class TicketCounter(models.Model):
    """The last ticket number given out in a year (row-locked while numbering)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(TrackedModel):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        WEB = "web", _("Web form")
        WALK_IN = "walk_in", _("Walk-in")

    class Status(models.TextChoices):
        NEW = "new", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        FOLLOW_UP = "follow_up", _("Follow-up visit")
        CLOSED = "closed", _("Closed")

    Type = TicketType
    Priority = Priority

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(
        _("type"), max_length=16, choices=TicketType, default=TicketType.INQUIRY
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel, default=Channel.PHONE)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority, default=Priority.NORMAL
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    product = models.ForeignKey(
        "customers.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    order = models.ForeignKey(
        "customers.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    requester_name = models.CharField(_("requester"), max_length=100, blank=True)
    requester_email = models.EmailField(_("requester e-mail"), blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    status_changed_at = models.DateTimeField(_("status since"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    waiting_on_customer = models.BooleanField(_("waiting on customer"), default=False)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused working time (s)"), default=0)
    # SLA
    sla_policy = models.ForeignKey(
        SLAPolicy,
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    response_warned = models.BooleanField(_("first-response warning sent"), default=False)
    response_breached = models.BooleanField(_("first response overdue"), default=False)
    resolution_warned = models.BooleanField(_("resolution warning sent"), default=False)
    resolution_breached = models.BooleanField(_("resolution overdue"), default=False)
    escalated = models.BooleanField(_("escalated"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    satisfaction_score = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_due"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_time"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["priority", "status"], name="ticket_priority_status"),
        ]

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS)

    def __str__(self) -> str:
        return f"{self.number} · {self.subject}"

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("service:detail", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def reply_address(self) -> str:
        if self.requester_email:
            return self.requester_email
        return self.contact.email if self.contact_id and self.contact else ""


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to customer")
        CUSTOMER = "customer", _("Message from customer")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    emailed = models.BooleanField(_("e-mailed"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmsg_ticket_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.body[:40]}"


class TicketAssignment(models.Model):
    """Every assignment, by hand or automatic: what fair round-robin counts from."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.CASCADE,
        related_name="ticket_assignments",
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(_("method"), max_length=16, default="manual")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["team", "user", "at"], name="ticketassign_team_user")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.user_id}"


class TicketStatusChange(models.Model):
    """A status transition with the working time spent in the status left (the process map)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    working_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["from_status", "at"], name="ticketstatus_from_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status} → {self.to_status}"


class SurveyInvite(models.Model):
    """A satisfaction survey link: only the token's hash is stored; single use, expiring."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="survey_invites"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.created_at:%Y-%m-%d}"
