"""Data in and out: the data-quality audit (数据质量审计) and its schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class DataAuditSchedule(TrackedModel):
    """How often the organisation-wide audit runs, and when a customer counts as stale.

    One row (``pk=1``), created on first save; until then the defaults apply.
    """

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Monthly, on the 1st")
        QUARTERLY = "quarterly", _("Quarterly, on 1 January, April, July and October")

    period = models.CharField(
        _("audit the whole organisation"), max_length=16, choices=Period, default=Period.MONTHLY
    )
    stale_days = models.PositiveSmallIntegerField(
        _("a customer is stale after (days without contact)"),
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("data audit schedule")
        verbose_name_plural = _("data audit schedules")

    def __str__(self) -> str:
        return str(self.get_period_display())


class DataAudit(models.Model):
    """One run of the data-quality checks over a set of customers and their contacts.

    ``results`` keeps every check's count and total, the score, and the scores per customer
    manager and per team (see :mod:`kehu.dataops.measure`); labels and fix-it links are drawn
    when shown, in the reader's language.
    """

    class Scope(models.TextChoices):
        ORGANISATION = "organisation", _("Whole organisation")
        PERSONAL = "personal", _("Customers the person who ran it can see")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Run by hand")
        SCHEDULE = "schedule", _("Schedule")
        COMMAND = "command", _("Command line")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope)
    trigger = models.CharField(_("started by"), max_length=16, choices=Trigger)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Scheduled runs: the period they cover and its first day (one run per period).
    period = models.CharField(
        _("period"), max_length=16, choices=DataAuditSchedule.Period, blank=True
    )
    period_start = models.DateField(_("period starts"), null=True, blank=True)
    stale_days = models.PositiveSmallIntegerField(_("stale after (days)"), default=90)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous audit of the same scope"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("data audit")
        verbose_name_plural = _("data audits")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["scope", "started_by", "-started_at"], name="audit_scope_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start"],
                condition=models.Q(trigger="schedule"),
                name="audit_one_scheduled_run_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dataops:audit_detail", args=[self.pk])

    @property
    def scope_description(self) -> str:
        from django.utils.translation import gettext as _

        if self.scope == self.Scope.ORGANISATION:
            return str(_("Whole organisation"))
        return _("Customers %(name)s can see") % {"name": self.started_by or "—"}

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
