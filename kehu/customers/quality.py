"""What complete, well-formed and current customer data means.

The conditions behind the customer and contact tables' ``missing``, ``invalid``, ``stale`` and
``follow_up`` filters are defined here once, and the data-quality audit (``kehu.dataops``)
counts with the very same ones: a count on the audit page and the list its fix-it link opens
can never disagree.

Missing values and dates are SQL conditions. Whether a phone number, an e-mail address or a
Unified Social Credit Code is valid is decided by the validators the forms use, in Python:
lists of invalid records are found by streaming just the columns needed, in primary-key order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.customers import validators
from kehu.customers.models import Contact, Customer

# A fix-it list of invalid records stops after this many (fix them and reload for more), and
# reads at most SCAN_LIMIT rows: a few seconds, however large the table.
FIX_LIST_LIMIT = 1000
SCAN_LIMIT = 200_000
CHUNK = 2000

CUSTOMER_MISSING = [
    ("industry", _("Industry")),
    ("source", _("Source")),
    ("location", _("Province or city")),
    ("address", _("Address")),
    ("level", _("Level")),
    ("intent", _("Purchase intent")),
    ("needs", _("Needs")),
    ("website", _("Website (companies)")),
    ("uscc", _("Unified Social Credit Code (companies)")),
    ("contact", _("Contact person")),
]
CONTACT_MISSING = [
    ("phone", _("Phone number")),
    ("email", _("E-mail")),
    ("title", _("Job title")),
]
CUSTOMER_INVALID = [("uscc", _("Unified Social Credit Code"))]
CONTACT_INVALID = [("phone", _("Phone number")), ("email", _("E-mail"))]

PHONE_FIELDS = ("mobile", "mobile2", "phone")


def customer_missing(key: str) -> Any:
    """The condition on customers that lack ``key`` (one of :data:`CUSTOMER_MISSING`)."""
    company = Q(kind=Customer.Kind.COMPANY)
    conditions: dict[str, Any] = {
        "industry": Q(industry=""),
        "source": Q(source=""),
        "location": Q(province="") | Q(city=""),
        "address": Q(address=""),
        "level": Q(level=""),
        # "None" with a note ("budget frozen until next year") is an assessment; without, not.
        "intent": Q(purchase_intent__in=["", Customer.Intent.NONE], purchase_intent_note=""),
        "needs": Q(need_description=""),
        "website": company & Q(website=""),
        "uscc": company & Q(uscc=""),
        "contact": ~Exists(Contact.objects.filter(customer_id=OuterRef("pk"))),
    }
    return conditions[key]


def contact_missing(key: str) -> Q:
    """The condition on contacts that lack ``key`` (one of :data:`CONTACT_MISSING`)."""
    conditions = {
        "phone": Q(mobile="", mobile2="", phone=""),
        "email": Q(email=""),
        "title": Q(title=""),
    }
    return conditions[key]


def contact_has(key: str) -> Q:
    """Contacts with something on file to validate for ``key`` (``phone`` or ``email``)."""
    return ~contact_missing(key)


def not_contacted_since(cutoff: dt.datetime) -> Q:
    """Customers last contacted before ``cutoff``, or never."""
    return Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True)


def follow_up_overdue(now: dt.datetime) -> Q:
    return Q(next_follow_up_at__lt=now)


def phones_invalid(*numbers: str) -> bool:
    """Whether any of the numbers on file does not read as a valid phone number."""
    return any(n and not validators.phone_is_valid(n) for n in numbers)


def email_invalid(email: str) -> bool:
    return bool(email) and not validators.email_is_valid(email)


@dataclass
class Scan:
    """What a search for invalid records found, and whether it read every candidate row."""

    ids: list[int] = field(default_factory=list)
    complete: bool = True  # False: stopped after SCAN_LIMIT rows, later rows unread
    full: bool = False  # True: stopped at the FIX_LIST_LIMIT-th invalid record

    def note(self, noun: str) -> str:
        """A sentence for the list when it does not show every invalid record."""
        if self.full:
            return _("The first %(n)s are listed; fix them and reload for more.") % {
                "n": f"{FIX_LIST_LIMIT:,}"
            }
        if not self.complete:
            return _(
                "Only the first %(n)s %(noun)s were checked; narrow the list (for example by "
                "customer manager) to check the others."
            ) % {"n": f"{SCAN_LIMIT:,}", "noun": noun}
        return ""


def _scan(queryset: QuerySet[Any], fields: tuple[str, ...], invalid: Callable[..., bool]) -> Scan:
    """Read ``(pk, *fields)`` in primary-key order, a chunk at a time, keeping the ids of the
    rows ``invalid`` flags: at most FIX_LIST_LIMIT of them, from at most SCAN_LIMIT rows (a
    page never validates a million numbers)."""
    scan = Scan()
    rows = queryset.order_by("pk").values_list("pk", *fields)[: SCAN_LIMIT + 1]
    for read, (pk, *values) in enumerate(rows.iterator(chunk_size=CHUNK)):
        if read == SCAN_LIMIT:
            scan.complete = False
            break
        if invalid(*values):
            scan.ids.append(pk)
            if len(scan.ids) >= FIX_LIST_LIMIT:
                scan.full = True
                break
    return scan


def invalid_contacts(queryset: QuerySet[Contact], key: str) -> Scan:
    """Contacts of ``queryset`` whose ``key`` (``phone``: mobile, second mobile or landline;
    ``email``) is on file but not valid."""
    if key == "phone":
        return _scan(queryset.filter(contact_has("phone")), PHONE_FIELDS, phones_invalid)
    if key == "email":
        return _scan(queryset.filter(contact_has("email")), ("email",), email_invalid)
    return Scan()


def customer_invalid(key: str) -> Q:
    """The condition on customers whose ``key`` (``uscc``) is on file but not valid (wrong
    length or characters, or a check character that does not match): a column stored when the
    code is written (see :func:`kehu.customers.validators.uscc_flagged`)."""
    if key == "uscc":
        return Q(uscc_invalid=True)
    return Q(pk__in=[])
