"""``kehu import FILE --type customers --user NAME``: the import wizard on the command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kehu.dataops import importing, services
from kehu.dataops.models import ImportJob


class Command(BaseCommand):
    help = "Import customers, contacts, interactions, products or orders from an XLSX or CSV file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="the .xlsx or .csv file")
        parser.add_argument(
            "--type", dest="kind", choices=sorted(importing.TYPES), default="customers"
        )
        parser.add_argument("--user", required=True, help="who imports (username)")
        parser.add_argument("--encoding", default="", help="CSV text encoding (default: detect)")
        parser.add_argument("--sheet", default="", help="XLSX sheet (default: the first)")
        parser.add_argument("--duplicates", choices=ImportJob.Duplicates.values, default="skip")
        parser.add_argument(
            "--mode",
            choices=ImportJob.Mode.values,
            default="valid",
            help="all: all or nothing; valid: write the valid rows",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="map a column (repeatable); others are mapped automatically",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--resume", type=int, metavar="JOB", help="resume an import")
        parser.add_argument("--undo", type=int, metavar="JOB", help="undo an import")

    def handle(self, *args: Any, **opts: Any) -> None:
        from kehu.accounts.models import User

        user = User.objects.filter(username=opts["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {opts['user']!r}")
        try:
            if opts["undo"]:
                job = self._job(user, opts["undo"])
                outcome = services.undo_import(actor=user, job=job)
                self.stdout.write(str(job.message or outcome))
                return
            if opts["resume"]:
                job = self._job(user, opts["resume"])
                self._run(job, user, resume=True)
                return
            if not opts["file"]:
                raise CommandError("give the file to import")
            job = self._prepare(user, opts)
            self._report_check(job)
            if opts["dry_run"]:
                return
            counts = job.check_summary["counts"]
            if job.mode == "all" and counts["invalid"]:
                raise CommandError(
                    _(
                        "All or nothing: fix the invalid rows first, or choose to "
                        "write the valid rows."
                    )
                )
            self._run(job, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None

    @staticmethod
    def _job(user: Any, pk: int) -> ImportJob:
        from kehu.dataops.selectors import get_import_for

        job = get_import_for(user, pk)
        if job is None:
            raise CommandError(f"no import {pk} of {user.username}")
        return job

    def _prepare(self, user: Any, opts: dict[str, Any]) -> ImportJob:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            upload.size = path.stat().st_size
            job = services.start_import(
                actor=user, upload=upload, kind=opts["kind"], encoding=opts["encoding"]
            )
        mapping = dict(job.mapping)
        fields = {f.key for f in importing.import_type(job.kind).fields}
        for item in opts["map"]:
            header, _sep, key = item.partition("=")
            if key not in fields:
                raise CommandError(f"unknown field {key!r}; one of: {', '.join(sorted(fields))}")
            if header not in job.headers:
                raise CommandError(f"no column {header!r}; the file has: {', '.join(job.headers)}")
            mapping = {i: k for i, k in mapping.items() if k != key}
            mapping[str(job.headers.index(header))] = key
        if opts["sheet"]:
            services.set_options(actor=user, job=job, sheet=opts["sheet"])
        services.set_options(
            actor=user, job=job, mapping=mapping, duplicates=opts["duplicates"], mode=opts["mode"]
        )
        self.stdout.write(
            f"{job.original_name}: {job.file_kind} {job.encoding} header row {job.header_row}"
        )
        for index, header in enumerate(job.headers):
            self.stdout.write(f"  {header or '—'} → {job.mapping.get(str(index), '—')}")
        return services.check_import(actor=user, job=job)

    def _report_check(self, job: ImportJob) -> None:
        s = job.check_summary
        c = s["counts"]
        self.stdout.write(
            f"{s['total']} rows: {c['create']} to create, {c['update']} to update, "
            f"{c['skip']} to skip, {c['invalid']} invalid"
        )
        for item in s["invalid"][:20]:
            for label, reason in item["errors"]:
                self.stdout.write(f"  row {item['row']}: {label}: {reason}")

    def _run(self, job: ImportJob, user: Any, *, resume: bool = False) -> None:
        start = time.monotonic()
        total = job.total_rows or 0

        def show(done: int) -> None:
            seconds = max(time.monotonic() - start, 0.001)
            rate = done / seconds
            left = f", {int((total - done) / rate)} s left" if total and rate else ""
            bar = "#" * int(30 * done / total) if total else ""
            sys.stderr.write(f"\r[{bar:<30}] {done}/{total} rows, {int(rate)} rows/s{left}  ")
            sys.stderr.flush()

        services.prepare_run(actor=user, job=job)
        job = services.run_import(job.pk, progress=show)
        sys.stderr.write("\n")
        self.stdout.write(
            f"{job.get_status_display()}: {job.created_count} created, {job.updated_count} "
            f"updated, {job.skipped_count} skipped, {job.invalid_count} invalid "
            f"(import {job.pk})"
        )
        if job.message:
            self.stdout.write(str(job.message))
        if job.invalid_file:
            self.stdout.write(f"invalid rows: {job.invalid_file.path}")
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(str(job.message))
