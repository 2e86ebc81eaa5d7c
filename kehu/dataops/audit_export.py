"""An audit report as a spreadsheet: XLSX (one sheet per table) or CSV (the tables one after
another), in the reader's language. Text that a spreadsheet would run as a formula (a name
typed as ``=HYPERLINK(…)``) is neutralised with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.dataops import audit_selectors as selectors
from kehu.dataops.checks import BY_KEY
from kehu.dataops.models import DataAudit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """Numbers stay numbers; text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


Table = tuple[str, list[str], list[list[Any]]]


def report_tables(audit: DataAudit, user: Any) -> list[Table]:
    results = audit.results or {}

    def fix_first(key: str | None) -> str:
        return BY_KEY[key].label_for(audit.stale_days) if key in BY_KEY else ""

    finished = timezone.localtime(audit.finished_at) if audit.finished_at else None
    summary: Table = (
        _("Data audit"),
        [_("Scope"), _("Finished at"), _("Customers"), _("Contacts"), _("Score"), _("Change")],
        [
            [
                audit.scope_description,
                finished.strftime("%Y-%m-%d %H:%M") if finished else "",
                results.get("customers", 0),
                results.get("contacts", 0),
                audit.score,
                selectors.score_change(audit),
            ]
        ],
    )
    checks: Table = (
        _("Checks"),
        [_("Area"), _("Check"), _("Records"), _("Out of"), _("Counted among"), "%", _("Change")],
        [
            [r.group_label, r.label, r.count, r.total, r.of, r.percent, r.change]
            for r in selectors.check_rows(audit, user)
        ],
    )
    owners: Table = (
        _("Customer managers"),
        [_("Customer manager"), _("Customers"), _("Contacts"), _("Score"), _("Fix first")],
        [
            [
                row["name"] or _("No customer manager"),
                row["customers"],
                row["contacts"],
                row["score"],
                fix_first(row.get("worst")),
            ]
            for row in results.get("owners", [])
        ],
    )
    teams: Table = (
        _("Teams"),
        [
            _("Team"),
            _("Customer managers"),
            _("Customers"),
            _("Contacts"),
            _("Score"),
            _("Fix first"),
        ],
        [
            [
                row["name"],
                row["owners"],
                row["customers"],
                row["contacts"],
                row["score"],
                fix_first(row.get("worst")),
            ]
            for row in results.get("teams", [])
        ],
    )
    return [summary, checks, owners, teams]


def _filename(audit: DataAudit, extension: str) -> str:
    day = timezone.localtime(audit.started_at).strftime("%Y%m%d")
    return f"data-audit-{audit.pk}-{day}.{extension}"


def as_csv(audit: DataAudit, user: Any) -> HttpResponse:
    """UTF-8 with a BOM, so Excel reads the Chinese; the tables separated by an empty line."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(audit, "csv")}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    for index, (title, header, rows) in enumerate(report_tables(audit, user)):
        if index:
            writer.writerow([])
        writer.writerow([neutralise(title)])
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([neutralise("" if v is None else v) for v in row])
    return response


def as_xlsx(audit: DataAudit, user: Any) -> HttpResponse:
    """One sheet per table, written in openpyxl's streaming (write-only) mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in report_tables(audit, user):
        sheet = book.create_sheet(title=title[:31])
        sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(audit, "xlsx")}"'
    return response
