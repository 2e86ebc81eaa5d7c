"""Deals and the pipeline they move through (seed 003: lead → follow-up → negotiation → signing,
every step with an owner and a time limit)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class Pipeline(TrackedModel):
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)


def localized(name: str, name_en: str) -> str:
    """A name an administrator typed in Chinese, with the optional English one for English UI."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


class Stage(TrackedModel):
    """A step of a pipeline, with its rule: who owns a deal here and how long it may stay."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class LimitUnit(models.TextChoices):
        WORKING_HOURS = "working_hours", _("working hours")
        WORKING_DAYS = "working_days", _("working days")
        CALENDAR_DAYS = "calendar_days", _("calendar days")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    color = models.CharField(_("colour"), max_length=16, default="slate")
    owner_role = models.ForeignKey(
        "accounts.Role",
        verbose_name=_("owner role"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("On entering the stage, a deal goes to a team member with this role."),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("On entering the stage, a deal goes to this person."),
    )
    time_limit = models.PositiveIntegerField(_("time limit"), null=True, blank=True)
    time_limit_unit = models.CharField(
        _("time limit unit"), max_length=16, choices=LimitUnit, default=LimitUnit.WORKING_DAYS
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_pos")]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def label(self) -> str:
        return str(self)

    @property
    def time_limit_label(self) -> str:
        if not self.time_limit:
            return ""
        return f"{self.time_limit} {self.get_time_limit_unit_display()}"


class Deal(TrackedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "customers.Contact", verbose_name=_("contacts"), blank=True, related_name="deals"
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, default=Decimal(0), blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close_on = models.DateField(_("expected close"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_deals",
    )
    source = models.CharField(_("source"), max_length=64, blank=True)
    competitor = models.CharField(_("competitor"), max_length=100, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.OPEN)
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("stage due"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    order = models.ForeignKey(
        "customers.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords(excluded_fields=["is_overdue", "overdue_notified_at"])

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "status"], name="deal_stage_status"),
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
            models.Index(fields=["status", "stage_due_at"], name="deal_status_due"),
            models.Index(fields=["expected_close_on"], name="deal_expected_close"),
            models.Index(fields=["source"], name="deal_source"),
            models.Index(fields=["title", "id"], name="deal_title_id"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("sales:deal", self.pk)

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount or Decimal(0)) * self.probability / 100


class DealLine(models.Model):
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "customers.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="deal_lines",
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class StageChange(models.Model):
    """A deal's move from one stage to another: when, by whom, why, and how long it had stayed."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    seconds_in_previous = models.PositiveBigIntegerField(
        _("seconds in previous stage"), null=True, blank=True
    )
    # The same stay counted by the working calendar (nights, weekends and holidays left out),
    # as it stood when the deal moved: what working-hour and working-day limits are judged on.
    working_seconds_in_previous = models.PositiveBigIntegerField(
        _("working seconds in previous stage"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="stagechange_deal_at"),
            models.Index(fields=["from_stage", "at"], name="stagechange_from_at"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"
