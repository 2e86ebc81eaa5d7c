"""`kehu audit`: audit the quality of all customer data now and print the checks and the score."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation


class Command(BaseCommand):
    help = (
        "Run an organisation-wide data-quality audit and print every check and the score "
        "(the audit is kept, like the scheduled ones)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="Print the stored results as JSON instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.dataops import audit_selectors as selectors
        from kehu.dataops import audit_services as services
        from kehu.dataops.models import DataAudit

        audit = services.run_organisation_audit()
        if audit is None or audit.status != DataAudit.Status.DONE:
            raise CommandError(f"the audit failed: {audit.error if audit else 'not found'}")
        if options["json"]:
            self.stdout.write(json.dumps(audit.results, ensure_ascii=False, indent=2))
            return
        with translation.override(settings.LANGUAGE_CODE):
            rows = selectors.check_rows(audit, None)
            key_width = max(len(r.key) for r in rows)
            self.stdout.write(
                f"{'check':<{key_width}}  {'count':>8}  {'total':>8}  {'%':>6}  "
                f"{'change':>7}  label"
            )
            for r in rows:
                percent = "—" if r.percent is None else f"{r.percent:.1f}"
                change = "" if r.change is None else f"{r.change:+d}"
                self.stdout.write(
                    f"{r.key:<{key_width}}  {r.count:>8}  {r.total:>8}  {percent:>6}  "
                    f"{change:>7}  {r.label}"
                )
            score = "—" if audit.score is None else f"{audit.score:g}"
            moved = selectors.score_change(audit)
            since = f" ({moved:+g} since audit {audit.previous_id})" if moved is not None else ""
            self.stdout.write(f"score: {score}/100{since}")
            self.stdout.write(
                f"audit {audit.pk}: {audit.results.get('customers', 0)} customers, "
                f"{audit.results.get('contacts', 0)} contacts"
            )
