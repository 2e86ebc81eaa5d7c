"""Data in and out. Imports: a job per uploaded file, the records each job created (for undo
and resume), and the column mapping remembered per source (a file's set of headers). The
data-quality audit (数据质量审计) and its schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        CONTACTS = "contacts", _("Contacts")
        INTERACTIONS = "interactions", _("Interactions")
        PRODUCTS = "products", _("Products")
        ORDERS = "orders", _("Orders")
        DEALS = "deals", _("Deals")
        TASKS = "tasks", _("Tasks")
        TICKETS = "tickets", _("Tickets")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        UNDONE = "undone", _("Undone")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing record")
        CREATE = "create", _("Create anyway")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        VALID_ROWS = "valid", _("Write the valid rows, return the others")

    kind = models.CharField(_("type"), max_length=16, choices=Kind)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.UPLOADED)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    file_kind = models.CharField(max_length=8, blank=True)  # csv / xlsx
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    sheet = models.CharField(_("sheet"), max_length=64, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # column index (as text) -> field key
    duplicates = models.CharField(
        _("duplicates"), max_length=8, choices=Duplicates, default=Duplicates.SKIP
    )
    mode = models.CharField(_("commit"), max_length=8, choices=Mode, default=Mode.VALID_ROWS)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    last_row = models.PositiveIntegerField(default=0)  # source row of the last committed batch
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    check_summary = models.JSONField(default=dict, blank=True)  # the dry run's findings
    invalid_file = models.FileField(upload_to="imports/invalid/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return f"/data/imports/{self.pk}/"

    @property
    def finished(self) -> bool:
        return self.status in {
            self.Status.DONE,
            self.Status.FAILED,
            self.Status.CANCELLED,
            self.Status.UNDONE,
        }


class ImportedRecord(models.Model):
    """A record an import created: undo deletes these, a resumed import skips their rows."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records")
    row = models.PositiveIntegerField()
    model = models.CharField(max_length=32)  # "customer", "contact", …
    object_id = models.PositiveBigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["job", "model"], name="imported_job_model")]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} (row {self.row})"


class ColumnMapping(models.Model):
    """The mapping chosen for a source: files with the same headers map the same way."""

    kind = models.CharField(max_length=16, choices=ImportJob.Kind)
    signature = models.CharField(max_length=64)  # hash of the normalised headers
    mapping = models.JSONField(default=dict)  # header text -> field key
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "signature"], name="one_mapping_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.signature[:8]}"


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
