"""Customers, their contacts and every interaction with them (seed 004's management table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class Customer(TrackedModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    class Level(models.TextChoices):
        A = "A", _("A · key account")
        B = "B", _("B · important")
        C = "C", _("C · regular")
        D = "D", _("D · low priority")

    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")

    class Intent(models.TextChoices):
        NONE = "none", _("None")
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    name = models.CharField(_("name"), max_length=200)
    # The name as compared for duplicates: width-folded, lower-case, without spaces/punctuation.
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.COMPANY)
    level = models.CharField(_("level"), max_length=1, choices=Level, default=Level.C)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.LEAD)
    source = models.CharField(_("source"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    uscc = models.CharField(
        _("Unified Social Credit Code"), max_length=18, blank=True, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        blank=True,
        related_name="collaborating_customers",
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    need_description = models.TextField(_("needs"), blank=True)
    purchase_intent = models.CharField(
        _("purchase intent"), max_length=16, choices=Intent, default=Intent.NONE
    )
    preferences = models.TextField(_("preferences"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    follow_up_plan = models.CharField(_("follow-up plan"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "next_follow_up_at"], name="cust_owner_followup"),
            models.Index(fields=["status", "level"], name="cust_status_level"),
            models.Index(fields=["last_contact_at"], name="cust_last_contact"),
            models.Index(fields=["city"], name="cust_city"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])

    @property
    def follow_up_overdue(self) -> bool:
        from django.utils import timezone

        return self.next_follow_up_at is not None and self.next_follow_up_at < timezone.now()


class Contact(TrackedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=64)
    title = models.CharField(_("job title"), max_length=64, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class Interaction(TrackedModel):
    class Kind(models.TextChoices):
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), blank=True, related_name="interactions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.CALL)
    occurred_at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="interactions",
    )
    summary = models.TextField(_("summary"))
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="inter_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"
