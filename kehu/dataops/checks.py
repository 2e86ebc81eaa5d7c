"""The data-quality checks: what each one counts, against what, how much it weighs in the score,
and which filtered table shows exactly the records it counted (the fix-it link).

The conditions themselves are the customer and contact tables' filters
(:mod:`kehu.customers.quality`); :mod:`kehu.dataops.measure` counts them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.customers import quality
from kehu.customers.models import Customer

CUSTOMERS_URL = "/customers/"
CONTACTS_URL = "/customers/contacts/"

GROUPS: dict[str, Promise] = {
    "completeness": _("Completeness"),
    "validity": _("Valid formats"),
    "duplicates": _("Duplicates"),
    "ownership": _("Ownership"),
    "follow_up": _("Follow-up"),
}

# What a check's total counts: the records it could possibly flag.
TOTALS: dict[str, tuple[str, Promise]] = {
    "customers": ("customer", _("customers")),
    "companies": ("customer", _("companies")),
    "customers_with_uscc": ("customer", _("customers with a credit code")),
    "follow_ups": ("customer", _("customers with a follow-up planned")),
    "contacts": ("contact", _("contacts")),
    "contacts_with_phone": ("contact", _("contacts with a phone number")),
    "contacts_with_email": ("contact", _("contacts with an e-mail")),
}


def total_condition(key: str) -> Q | None:
    """The condition on the subject for a total (None: every record of the subject)."""
    return {
        "customers": None,
        "companies": Q(kind=Customer.Kind.COMPANY),
        "customers_with_uscc": ~Q(uscc=""),
        "follow_ups": Q(next_follow_up_at__isnull=False),
        "contacts": None,
        "contacts_with_phone": quality.contact_has("phone"),
        "contacts_with_email": quality.contact_has("email"),
    }[key]


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    stale_days: int

    @property
    def stale_cutoff(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.stale_days)


@dataclass(frozen=True)
class Check:
    """One data-quality check.

    ``how`` says how it is counted: ``sql`` (``condition`` in one aggregate query with the
    others), ``format`` (validated in Python while streaming the needed columns) or
    ``duplicates`` (the duplicates report's keys). ``fix`` is the table and filter that list
    exactly the counted records; ``{days}`` stands for the audit's stale threshold.
    """

    key: str
    label: Promise
    group: str
    subject: str  # "customer" | "contact"
    of: str  # a key of TOTALS
    weight: int
    fix: str
    how: str = "sql"

    def condition(self, ctx: Context) -> Any:
        """The SQL condition on the subject for ``how == "sql"`` checks."""
        name = self.key
        if name.startswith("missing_"):
            return quality.customer_missing(name.removeprefix("missing_"))
        if name.startswith("contact_missing_"):
            return quality.contact_missing(name.removeprefix("contact_missing_"))
        if name == "no_contact":
            return quality.customer_missing("contact")
        if name == "no_owner":
            return Q(owner__isnull=True)
        if name == "stale":
            return quality.not_contacted_since(ctx.stale_cutoff)
        if name == "overdue_follow_up":
            return quality.follow_up_overdue(ctx.now)
        raise ValueError(f"{name} is not counted in SQL")

    def label_for(self, stale_days: int) -> str:
        text = str(self.label)
        return text % {"days": stale_days} if "{days}" in self.fix else text

    def fix_url(self, stale_days: int) -> str:
        return self.fix.replace("{days}", str(stale_days))


def _missing(key: str, label: Promise, weight: int, of: str = "customers") -> Check:
    return Check(
        f"missing_{key}",
        label,
        "completeness",
        "customer",
        of,
        weight,
        f"{CUSTOMERS_URL}?missing={key}",
    )


def _contact_missing(key: str, label: Promise, weight: int) -> Check:
    return Check(
        f"contact_missing_{key}",
        label,
        "completeness",
        "contact",
        "contacts",
        weight,
        f"{CONTACTS_URL}?missing={key}",
    )


# Weights: 3 — the record cannot be worked (no one to call, no manager, a wrong number, a
# second copy); 2 — it is hard to work; 1 — it is incomplete.
CHECKS: list[Check] = [
    _missing("industry", _("Industry missing"), 1),
    _missing("source", _("Source missing"), 1),
    _missing("location", _("Province or city missing"), 2),
    _missing("address", _("Address missing"), 1),
    _missing("level", _("Level missing"), 1),
    _missing("intent", _("Purchase intent not recorded"), 1),
    _missing("needs", _("Needs not described"), 2),
    _missing("website", _("Website missing (companies)"), 1, of="companies"),
    _missing("uscc", _("Credit code missing (companies)"), 2, of="companies"),
    Check(
        "no_contact",
        _("No contact person"),
        "completeness",
        "customer",
        "customers",
        3,
        f"{CUSTOMERS_URL}?missing=contact",
    ),
    _contact_missing("phone", _("Contact without a phone number"), 3),
    _contact_missing("email", _("Contact without an e-mail"), 1),
    _contact_missing("title", _("Contact without a job title"), 1),
    Check(
        "invalid_phone",
        _("Phone number not valid"),
        "validity",
        "contact",
        "contacts_with_phone",
        3,
        f"{CONTACTS_URL}?invalid=phone",
        how="format",
    ),
    Check(
        "invalid_email",
        _("E-mail not valid"),
        "validity",
        "contact",
        "contacts_with_email",
        2,
        f"{CONTACTS_URL}?invalid=email",
        how="format",
    ),
    Check(
        "invalid_uscc",
        _("Credit code fails its check"),
        "validity",
        "customer",
        "customers_with_uscc",
        2,
        f"{CUSTOMERS_URL}?invalid=uscc",
        how="format",
    ),
    Check(
        "duplicates",
        _("Possible duplicates"),
        "duplicates",
        "customer",
        "customers",
        3,
        f"{CUSTOMERS_URL}?duplicate=true",
        how="duplicates",
    ),
    Check(
        "no_owner",
        _("No customer manager"),
        "ownership",
        "customer",
        "customers",
        3,
        f"{CUSTOMERS_URL}?owner=none",
    ),
    Check(
        "stale",
        _("No contact in %(days)d days"),
        "follow_up",
        "customer",
        "customers",
        2,
        f"{CUSTOMERS_URL}?stale={{days}}",
    ),
    Check(
        "overdue_follow_up",
        _("Follow-up overdue"),
        "follow_up",
        "customer",
        "follow_ups",
        2,
        f"{CUSTOMERS_URL}?follow_up=overdue",
    ),
]
BY_KEY: dict[str, Check] = {c.key: c for c in CHECKS}


def score(tally: dict[str, list[int]]) -> float | None:
    """0–100: the weighted share of records passing the checks.

    Each check contributes ``weight × (1 − count / total)``; checks with nothing to measure
    (a total of 0) are left out, and with nothing measured at all there is no score.
    """
    earned = possible = 0.0
    for check in CHECKS:
        count, total = tally.get(check.key, (0, 0))
        if total:
            earned += check.weight * (1 - count / total)
            possible += check.weight
    return round(100 * earned / possible, 1) if possible else None


def worst(tally: dict[str, list[int]]) -> str | None:
    """The check that costs the most points, for "what to fix first"."""
    lost = {
        c.key: c.weight * tally[c.key][0] / tally[c.key][1]
        for c in CHECKS
        if c.key in tally and tally[c.key][1] and tally[c.key][0]
    }
    return max(lost, key=lambda k: lost[k]) if lost else None
