"""Customers, their contacts and every interaction with them (seed 004's management table)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TrackedModel


class Tag(models.Model):
    """A label on customers (e.g. 老客户, 展会, 华东); created by typing it, shared by everyone."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    color = models.CharField(_("colour"), max_length=16, default="slate")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    name_key = models.CharField(max_length=200, editable=False, default="")
    # The name without place prefixes and legal suffixes (杭州云帆科技有限公司 → 云帆科技):
    # customers sharing it are probable duplicates; similar ones are compared with rapidfuzz.
    core_key = models.CharField(max_length=200, editable=False, default="")
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.COMPANY)
    level = models.CharField(_("level"), max_length=1, choices=Level, default=Level.C)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.LEAD)
    source = models.CharField(_("source"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    uscc = models.CharField(_("Unified Social Credit Code"), max_length=18, blank=True)
    website = models.URLField(_("website"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
        db_index=False,  # cust_owner_name (owner, name, id) serves every look-up by owner
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
    purchase_intent_note = models.CharField(_("purchase intent note"), max_length=255, blank=True)
    preferences = models.TextField(_("preferences"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (very unhappy) to 5 (very happy)"),
    )
    notes = models.TextField(_("notes"), blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    follow_up_plan = models.CharField(_("follow-up plan"), max_length=255, blank=True)
    # The interaction whose next step the follow-up is (None when it was planned by hand):
    # correcting that interaction moves the follow-up along, deleting it clears the follow-up.
    follow_up_from = models.ForeignKey(
        "Interaction",
        verbose_name=_("follow-up planned at"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Purchase summary, kept current by the order and return services.
    orders_count = models.PositiveIntegerField(_("orders"), default=0, editable=False)
    purchase_total = models.DecimalField(
        _("purchases"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    returns_total = models.DecimalField(
        _("returns"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    last_order_on = models.DateField(_("last order"), null=True, blank=True, editable=False)
    # Shares a credit code, a name, a distinctive name, a contact mobile or e-mail with another
    # customer; kept current by kehu.customers.duplicates, so the table's "possible duplicate"
    # filter and the data audit read one indexed column instead of grouping a million rows.
    possible_duplicate = models.BooleanField(_("possible duplicate"), default=False, editable=False)
    # A credit code on file whose form or check character is wrong (kept as a warning, not
    # refused): stored when the code is written, so the table's "not valid" list and the data
    # audit read an indexed column instead of checking every code.
    uscc_invalid = models.BooleanField(
        _("credit code not valid"), default=False, db_default=False, editable=False
    )
    # History is read per record (by id) and by date: no index on when the record was made.
    history = HistoricalRecords(no_db_index=["created_at", "follow_up_from"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "next_follow_up_at"], name="cust_owner_followup"),
            # A sales rep's own customers in the table's two usual orders.
            models.Index(fields=["owner", "name", "id"], name="cust_owner_name"),
            models.Index(fields=["owner", "last_contact_at"], name="cust_owner_last_contact"),
            models.Index(fields=["status", "level"], name="cust_status_level"),
            models.Index(fields=["last_contact_at"], name="cust_last_contact"),
            models.Index(fields=["city", "name", "id"], name="cust_city_name"),
            # A rep's customers in one city, in name order. Company names often begin with
            # their city, so walking the rep's names for 杭州 passed half their customers first.
            models.Index(fields=["owner", "city", "name", "id"], name="cust_owner_city_name"),
            models.Index(fields=["source"], name="cust_source"),
            models.Index(fields=["purchase_intent"], name="cust_intent"),
            models.Index(fields=["next_follow_up_at"], name="cust_next_follow_up"),
            # The table's default order. The owner rides along for a team's pages, which walk
            # this index and keep their owners' rows: SQLite tests the owner in the index and
            # reads only those rows (a manager's tag filter, 40 ms → 3 ms at a million).
            models.Index(fields=["name", "id", "owner"], name="cust_name_owner"),
            # Duplicate checks look up equal values only: plain indexes (a field's db_index
            # would add a second, pattern-matching index on PostgreSQL that nothing uses and
            # every insert pays for).
            models.Index(fields=["name_key"], name="cust_name_key"),
            models.Index(fields=["core_key"], name="cust_core_key"),
            models.Index(fields=["uscc"], name="cust_uscc"),
            models.Index(
                fields=["name", "id"],
                name="cust_duplicate_name",
                condition=models.Q(possible_duplicate=True),
            ),
            models.Index(
                fields=["owner", "name", "id"],
                name="cust_duplicate_owner_name",
                condition=models.Q(possible_duplicate=True),
            ),
            models.Index(
                fields=["name", "id"],
                name="cust_bad_uscc_name",
                condition=models.Q(uscc_invalid=True),
            ),
            models.Index(
                fields=["owner", "name", "id"],
                name="cust_bad_uscc_owner_name",
                condition=models.Q(uscc_invalid=True),
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("customers:detail", self.pk)

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
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    mobile2 = models.CharField(_("second mobile"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    history = HistoricalRecords(no_db_index=["created_at"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        indexes = [
            models.Index(fields=["name", "id"], name="contact_name_id"),
            # Duplicate checks compare e-mails in lower case.
            models.Index(Lower("email"), name="contact_email_lower"),
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["mobile"], name="contact_mobile"),
            models.Index(fields=["mobile2"], name="contact_mobile2"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """A contact is shown on its customer's page."""
        return f"{self.customer.get_absolute_url()}#contact-{self.pk}"


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
            models.Index(fields=["occurred_at", "id"], name="inter_time_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        """An interaction is shown in its customer's timeline."""
        return f"{self.customer.get_absolute_url()}#interaction-{self.pk}"


class Product(TrackedModel):
    """What the team sells: the catalogue orders are made of."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=64, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True, default="")
    price = models.DecimalField(
        _("list price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:product_edit", args=[self.pk])


class Order(TrackedModel):
    """One purchase by a customer: its lines say what, how many and for how much."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    number = models.CharField(_("order number"), max_length=32, unique=True)
    ordered_on = models.DateField(_("order date"))
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.CONFIRMED)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    total_amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    returned_amount = models.DecimalField(
        _("returned"), max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-ordered_on"], name="order_customer_date"),
            models.Index(fields=["ordered_on"], name="order_date"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from kehu.core.links import record_url

        return record_url("customers:order", self.pk)

    def returns_exist(self) -> bool:
        return Return.objects.filter(line__order=self).exists()


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_lines"
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
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class Return(TrackedModel):
    """Goods a customer sent back from one order line."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="returns"
    )
    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="returns"
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=255)
    returned_on = models.DateField(_("return date"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-returned_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-returned_on"], name="return_customer_date"),
        ]

    def __str__(self) -> str:
        return f"{self.line.product} × {self.quantity}"


class CustomerMerge(models.Model):
    """The record of two customers merged into one: what the merged one was and what moved."""

    survivor = models.ForeignKey(
        Customer, verbose_name=_("kept customer"), on_delete=models.CASCADE, related_name="merges"
    )
    merged_customer_id = models.PositiveBigIntegerField(_("merged customer number"))
    merged_name = models.CharField(_("merged customer"), max_length=200)
    snapshot = models.JSONField(_("merged customer's values"), default=dict)
    choices = models.JSONField(_("values kept"), default=dict)
    moved = models.JSONField(_("records moved"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor}"
