"""Every write of the import: upload, options, the dry run, the run itself, cancel, undo.

The run commits batch by batch (valid-rows mode) with the batch's records, the list of what it
created and the job's progress in one transaction: a crash or a kill between batches leaves no
half-written row, and ``resume`` continues after the last committed batch. All-or-nothing mode
writes everything in one transaction and stops at the first invalid row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.dataops import importing, readers
from kehu.dataops.models import ColumnMapping, ImportedRecord, ImportJob

INVALID_SAMPLE = 200  # invalid rows kept in the dry run's summary (the file has them all)


def max_upload_bytes() -> int:
    return int(getattr(settings, "KEHU_IMPORT_MAX_MB", 200)) * 1024 * 1024


def _emit(name: str, job: ImportJob, **data: Any) -> None:
    publish(
        Event(
            name,
            actor_id=job.created_by_id,
            object_type="import",
            object_id=job.pk,
            data=data,
        )
    )


def _may(actor: Any, kind: str) -> None:
    from kehu.core.permissions import has_perm

    if not has_perm(actor, importing.import_type(kind).permission):
        raise PermissionDenied


def signature(kind: str, headers: list[str]) -> str:
    text = kind + "\x1f" + "\x1f".join(importing._header_key(h) for h in headers)
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def _open(job: ImportJob) -> readers.TableSource:
    return readers.open_table(
        job.file.path,
        encoding=(job.encoding or None) if job.file_kind != "xlsx" else None,
        delimiter=job.delimiter or None,
        sheet=job.sheet or None,
        max_bytes=max_upload_bytes(),
    )


def _describe(job: ImportJob, source: readers.TableSource) -> None:
    job.file_kind = source.kind
    job.encoding = source.encoding or ""
    job.delimiter = source.delimiter or ""
    job.sheet = source.sheet or ""
    job.header_row = source.header_row
    job.headers = list(source.headers)


def _initial_mapping(job: ImportJob) -> dict[str, str]:
    kind = importing.import_type(job.kind)
    saved = ColumnMapping.objects.filter(
        kind=job.kind, signature=signature(job.kind, job.headers)
    ).first()
    if saved:
        known = {f.key for f in kind.fields}
        by_header = {importing._header_key(h): i for i, h in enumerate(job.headers)}
        mapping = {
            str(by_header[importing._header_key(h)]): key
            for h, key in saved.mapping.items()
            if key in known and importing._header_key(h) in by_header
        }
        if mapping:
            return mapping
    return kind.auto_mapping(job.headers)


@transaction.atomic
def start_import(*, actor: Any, upload: Any, kind: str, encoding: str = "") -> ImportJob:
    """Keep the uploaded file, find its header row and guess the mapping (nothing imported)."""
    if kind not in importing.TYPES:
        raise ValidationError(_("Choose what the file holds."), code="kind")
    _may(actor, kind)
    size = getattr(upload, "size", None) or 0
    if size > max_upload_bytes():
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": max_upload_bytes() // 2**20},
            code="too_big",
        )
    name = (getattr(upload, "name", "") or "import").rsplit("/", 1)[-1][:200]
    job = ImportJob(kind=kind, created_by=actor, original_name=name, size=size, encoding=encoding)
    job.file.save(
        f"{int(time.time())}-{hashlib.sha256(name.encode()).hexdigest()[:8]}.bin",
        File(upload),
        save=False,
    )
    try:
        source = _open(job)
        source.close()
    except readers.ImportFileError as exc:
        job.file.delete(save=False)
        raise ValidationError(str(exc.message), code=exc.code) from None
    _describe(job, source)
    job.mapping = _initial_mapping(job)
    job.save()
    return job


@transaction.atomic
def set_options(
    *,
    actor: Any,
    job: ImportJob,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    duplicates: str | None = None,
    mode: str | None = None,
) -> ImportJob:
    """Change how the file is read and written; the mapping is remembered for this source."""
    _editable(actor, job)
    reopen = False
    if encoding is not None and encoding != job.encoding and job.file_kind == "csv":
        job.encoding, reopen = encoding, True
    if sheet is not None and sheet != job.sheet and job.file_kind == "xlsx":
        job.sheet, reopen = sheet, True
    if reopen:
        try:
            source = _open(job)
            source.close()
        except readers.ImportFileError as exc:
            raise ValidationError(str(exc.message), code=exc.code) from None
        _describe(job, source)
        job.mapping = _initial_mapping(job)
    if duplicates is not None:
        if duplicates not in ImportJob.Duplicates.values:
            raise ValidationError(_("Choose what to do with duplicates."), code="duplicates")
        job.duplicates = duplicates
    if mode is not None:
        if mode not in ImportJob.Mode.values:
            raise ValidationError(_("Choose how to commit."), code="mode")
        job.mode = mode
    if mapping is not None and not reopen:
        job.mapping = _clean_mapping(job, mapping)
        ColumnMapping.objects.update_or_create(
            kind=job.kind,
            signature=signature(job.kind, job.headers),
            defaults={
                "mapping": {job.headers[int(i)]: key for i, key in job.mapping.items()},
                "updated_by": actor,
            },
        )
    job.status = ImportJob.Status.UPLOADED
    job.check_summary = {}
    job.save()
    return job


def _clean_mapping(job: ImportJob, mapping: dict[str, str]) -> dict[str, str]:
    kind = importing.import_type(job.kind)
    known = {f.key: f for f in kind.fields}
    clean: dict[str, str] = {}
    for index, key in mapping.items():
        if not key:
            continue
        if key not in known or not str(index).isdigit() or int(index) >= len(job.headers):
            raise ValidationError(_("That column mapping does not fit this file."), code="mapping")
        if key in clean.values():
            raise ValidationError(
                _("Two columns are mapped to “%(field)s”: choose one.")
                % {"field": known[key].label},
                code="mapping",
            )
        clean[str(index)] = key
    missing = [str(f.label) for f in kind.fields if f.required and f.key not in clean.values()]
    if missing:
        raise ValidationError(
            _("Map a column to: %(fields)s.") % {"fields": "、".join(missing)}, code="mapping"
        )
    return clean


def _editable(actor: Any, job: ImportJob) -> None:
    if job.created_by_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if job.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING} or job.finished:
        raise ValidationError(_("This import has started: its options are fixed."), code="state")


# ---- reading rows ---------------------------------------------------------------------------


def _batches(job: ImportJob, after: int = 0) -> Iterator[list[importing.Row]]:
    """Rows in batches of ``importing.BATCH``; a batch never splits a group (the lines of one
    order), so a group is written, resumed and undone whole."""
    source = _open(job)
    group_of = importing.import_type(job.kind).group_key(job.mapping)
    try:
        batch: list[importing.Row] = []
        for number, cells in source.rows():
            if number <= after:
                continue
            if (
                len(batch) >= importing.BATCH
                and group_of is not None
                and group_of(cells) == group_of(batch[-1].cells)
            ):
                batch.append(importing.Row(number=number, cells=cells))
                continue
            if len(batch) >= importing.BATCH:
                yield batch
                batch = []
            batch.append(importing.Row(number=number, cells=cells))
        if batch:
            yield batch
    except readers.ImportFileError as exc:
        raise ValidationError(str(exc.message), code=exc.code) from None
    finally:
        source.close()


def _decide(
    job: ImportJob, rows: list[importing.Row], kind: importing.ImportType, ctx: importing.Context
) -> None:
    """Parse, validate and match a batch; each row gets its action."""
    for row in rows:
        kind.parse(row, job.mapping, ctx)
    kind.match(rows, ctx)
    for row in rows:
        if row.errors:
            row.action = "invalid"
        elif row.existing is None:
            row.action = "create"
        elif not kind.overwritable:  # recorded once (an order number): skipped whatever
            row.action = "skip"
        elif row.existing < 0:  # the same record as an earlier row of this file
            row.action = "create" if job.duplicates == ImportJob.Duplicates.CREATE else "skip"
        elif job.duplicates == ImportJob.Duplicates.UPDATE:
            row.action = "update"
        elif job.duplicates == ImportJob.Duplicates.CREATE:
            row.action = "create"
        else:
            row.action = "skip"


@dataclass
class CheckResult:
    total: int
    counts: dict[str, int]
    invalid: list[dict[str, Any]]
    samples: dict[str, list[dict[str, Any]]]


def queue_check(*, actor: Any, job: ImportJob) -> ImportJob:
    """Start the dry run in the background (a big file takes a while); its progress and then
    its summary are on the job."""
    _ready_to_check(actor, job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.CHECKING, rows_done=0, heartbeat_at=timezone.now()
    )
    from kehu.dataops.tasks import check_import_task

    transaction.on_commit(lambda: check_import_task(job.pk))
    job.refresh_from_db()
    return job


def _ready_to_check(actor: Any, job: ImportJob) -> None:
    if job.status != ImportJob.Status.CHECKING:
        _editable(actor, job)
    if not job.mapping:
        raise ValidationError(_("Map the columns first."), code="mapping")
    _clean_mapping(job, job.mapping)


def check_import(*, actor: Any, job: ImportJob) -> ImportJob:
    """The dry run: every row read, validated and matched; nothing written but the summary."""
    _ready_to_check(actor, job)
    try:
        return _check(actor, job)
    except ValidationError as exc:
        job.status = ImportJob.Status.UPLOADED
        job.message = "; ".join(exc.messages)
        job.rows_done = 0
        job.save(update_fields=["status", "message", "rows_done"])
        raise


def _check(actor: Any, job: ImportJob) -> ImportJob:
    kind = importing.import_type(job.kind)
    ctx = importing.Context(actor)
    counts = {"create": 0, "update": 0, "skip": 0, "invalid": 0}
    invalid: list[dict[str, Any]] = []
    samples: dict[str, list[dict[str, Any]]] = {"create": [], "update": [], "skip": []}
    invalid_out = _InvalidRows(job)
    try:
        total, warnings = _check_rows(job, kind, ctx, counts, invalid, samples, invalid_out)
    finally:
        invalid_out.close()
    if invalid_out.count:
        invalid_out.attach()
    elif job.invalid_file:
        job.invalid_file.delete(save=False)
    job.total_rows = total
    job.check_summary = {
        "total": total,
        "counts": counts,
        "invalid": invalid,
        "samples": samples,
        "warnings": warnings,
        "checked_at": timezone.now().isoformat(),
    }
    job.status = ImportJob.Status.CHECKED
    job.rows_done = 0
    job.message = ""
    job.save(
        update_fields=[
            "total_rows",
            "check_summary",
            "status",
            "rows_done",
            "message",
            "invalid_file",
        ]
    )
    return job


def _check_rows(
    job: ImportJob,
    kind: importing.ImportType,
    ctx: importing.Context,
    counts: dict[str, int],
    invalid: list[dict[str, Any]],
    samples: dict[str, list[dict[str, Any]]],
    invalid_out: _InvalidRows,
) -> tuple[int, int]:
    """The dry run's reading: counts, the first invalid rows and samples for the page, every
    invalid row to the file. Returns (rows, warnings)."""
    total = warnings = 0
    for rows in _batches(job):
        _decide(job, rows, kind, ctx)
        if job.duplicates == ImportJob.Duplicates.UPDATE:
            _preview_updates(kind, rows)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=total + len(rows), heartbeat_at=timezone.now()
        )
        for row in rows:
            total += 1
            counts[row.action] += 1
            warnings += len(row.warnings)
            if row.action == "invalid":
                if len(invalid) < INVALID_SAMPLE:
                    invalid.append({"row": row.number, "errors": row.errors})
            elif len(samples[row.action]) < 10:
                samples[row.action].append(
                    {
                        "row": row.number,
                        "reason": str(row.reason),
                        "warnings": row.warnings[:3],
                        "name": str(_sample_name(row.values)),
                    }
                )
        invalid_out.add(rows)
    return total, warnings


def _sample_name(values: dict[str, Any]) -> Any:
    """What a row is called in the dry run's samples."""
    for key in ("name", "title", "subject", "customer"):
        if values.get(key):
            return values[key]
    return ""


def _preview_updates(kind: importing.ImportType, rows: list[importing.Row]) -> None:
    """In a dry run, an update that would change nothing is shown as a skip."""
    model = kind.model
    ids = [r.existing for r in rows if r.action == "update" and r.existing]
    if not ids:
        return
    existing = model._default_manager.in_bulk(ids)
    for r in rows:
        if r.action != "update":
            continue
        obj = existing.get(r.existing)
        if obj is None or not kind.changes(obj, r.values):
            r.action, r.reason = "skip", _("Already up to date.")


# ---- running ----------------------------------------------------------------------------------


def queue_import(*, actor: Any, job: ImportJob) -> ImportJob:
    """Start (or resume) writing in the background; progress is on the job."""
    prepare_run(actor=actor, job=job)
    from kehu.dataops.tasks import run_import_task

    transaction.on_commit(lambda: run_import_task(job.pk))
    job.refresh_from_db()
    return job


def prepare_run(*, actor: Any, job: ImportJob) -> ImportJob:
    """Mark an import ready to be written (or resumed) by ``run_import``."""
    if job.created_by_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if job.status not in {
        ImportJob.Status.CHECKED,
        ImportJob.Status.CANCELLED,
        ImportJob.Status.FAILED,
    } and not interrupted(job):
        raise ValidationError(_("Check the file first (the dry run)."), code="state")
    if job.status in {ImportJob.Status.FAILED, ImportJob.Status.CANCELLED} and (
        job.mode == ImportJob.Mode.ALL_OR_NOTHING
    ):
        _reset_counts(job)  # nothing of it was kept: start again
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.QUEUED,
        cancel_requested=False,
        message="",
        rows_done=job.rows_done,
        last_row=job.last_row,
        created_count=job.created_count,
        updated_count=job.updated_count,
        skipped_count=job.skipped_count,
        invalid_count=job.invalid_count,
    )
    job.refresh_from_db()
    return job


def interrupted(job: ImportJob) -> bool:
    """A run whose worker stopped (killed, machine restarted) without finishing."""
    if job.status not in {
        ImportJob.Status.RUNNING,
        ImportJob.Status.QUEUED,
        ImportJob.Status.CHECKING,
    }:
        return False
    beat = job.heartbeat_at or job.started_at or job.created_at
    return (timezone.now() - beat).total_seconds() > 120


class _Cancelled(Exception):
    pass


class _Invalid(Exception):
    def __init__(self, row: importing.Row) -> None:
        self.row = row


def run_import(job_id: int, *, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Write the rows (the background job). Safe to call again after a crash: it resumes."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.finished and job.status != ImportJob.Status.FAILED:
        return job
    actor = job.created_by
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])
    kind = importing.import_type(job.kind)
    ctx = importing.Context(actor)
    resume_after = 0 if job.mode == ImportJob.Mode.ALL_OR_NOTHING else job.last_row
    invalid_out = _InvalidRows(job, resume_after=resume_after)
    try:
        if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
            with transaction.atomic():
                _write_all(job, kind, ctx, invalid_out, resume_after=0, progress=progress)
        else:
            _write_all(job, kind, ctx, invalid_out, resume_after=resume_after, progress=progress)
    except _Cancelled:
        job.refresh_from_db()
        if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
            _reset_counts(job)
        job.status = ImportJob.Status.CANCELLED
        job.message = (
            _("Cancelled: nothing was written.")
            if job.mode == "all"
            else _("Cancelled after %(n)d rows: what was written stays; resume or undo it.")
            % {"n": job.rows_done}
        )
    except _Invalid as exc:
        job.refresh_from_db()
        _reset_counts(job)
        job.status = ImportJob.Status.FAILED
        label, reason = exc.row.errors[0]
        job.message = _(
            "Row %(row)d is not valid (%(field)s: %(reason)s): nothing was written."
        ) % {"row": exc.row.number, "field": label, "reason": reason}
    except ValidationError as exc:
        job.refresh_from_db()
        if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
            _reset_counts(job)
        job.status = ImportJob.Status.FAILED
        job.message = "; ".join(exc.messages)
    else:
        job.refresh_from_db()
        job.status = ImportJob.Status.DONE
        job.message = ""
    finally:
        invalid_out.close()
    importing.flush_search_index()
    if invalid_out.count and job.status != ImportJob.Status.FAILED:
        # a cancelled run's too (what was written so far, and why not); it may be resumed
        invalid_out.attach(keep_spool=job.status != ImportJob.Status.DONE)
    elif job.status == ImportJob.Status.DONE:
        invalid_out.path.unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.save()
    _emit("import.finished", job, status=job.status, created=job.created_count)
    from kehu.core.audit import audit

    audit(
        "import",
        actor=actor,
        obj=job,
        summary=f"{job.original_name} · {job.get_status_display()} · "
        f"+{job.created_count} ~{job.updated_count}",
        kind=job.kind,
        created=job.created_count,
        updated=job.updated_count,
        skipped=job.skipped_count,
        invalid=job.invalid_count,
    )
    return job


def _reset_counts(job: ImportJob) -> None:
    job.rows_done = job.last_row = 0
    job.created_count = job.updated_count = job.skipped_count = job.invalid_count = 0


def _write_all(
    job: ImportJob,
    kind: importing.ImportType,
    ctx: importing.Context,
    invalid_out: _InvalidRows,
    *,
    resume_after: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    if resume_after:
        _remember_rows(job, ctx)
    for rows in _batches(job, after=resume_after):
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise _Cancelled
        with transaction.atomic():
            _no_flush_wait()
            _decide(job, rows, kind, ctx)
            if job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                bad = next((r for r in rows if r.action == "invalid"), None)
                if bad is not None:
                    raise _Invalid(bad)
            created = kind.write(rows, ctx, job=job)
            _refresh_duplicates(job, kind, rows, created)
            importing.insert_rows(
                ImportedRecord,
                [{"job_id": job.pk, "row": n, "model": m, "object_id": pk} for n, m, pk in created],
            )
            counts = {"create": 0, "update": 0, "skip": 0, "invalid": 0}
            for r in rows:
                counts[r.action] += 1
            # created_count counts rows (a row with a contact creates two records)
            ImportJob.objects.filter(pk=job.pk).update(
                rows_done=job.rows_done + len(rows),
                last_row=rows[-1].number,
                created_count=job.created_count + counts["create"],
                updated_count=job.updated_count + counts["update"],
                skipped_count=job.skipped_count + counts["skip"],
                invalid_count=job.invalid_count + counts["invalid"],
                heartbeat_at=timezone.now(),
            )
            job.rows_done += len(rows)
            job.last_row = rows[-1].number
            job.created_count += counts["create"]
            job.updated_count += counts["update"]
            job.skipped_count += counts["skip"]
            job.invalid_count += counts["invalid"]
        invalid_out.add(rows)
        if progress is not None:
            progress(job.rows_done)


def _no_flush_wait() -> None:
    """PostgreSQL: the batch's commit does not wait for its WAL to reach the disk (about a
    third of a batch's time on a slow disk). A server crash can lose the last few batches
    committed, never part of one, and the job's progress is written in the same transaction:
    the import resumes from what the database kept."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _refresh_duplicates(
    job: ImportJob,
    kind: importing.ImportType,
    rows: list[importing.Row],
    created: list[tuple[int, str, int]],
) -> None:
    """Bring the "possible duplicate" flag of the customers a batch wrote up to date (the bulk
    writes bypass the services and their events), in the batch's transaction.

    Unless duplicates are created anyway, the duplicate check has proved that a customer the
    import creates shares no Unified Social Credit Code, name, contact mobile or e-mail with
    any other customer (existing, or from an earlier row): only a shared distinctive name can
    flag it, which two statements settle. Updated records and customers created anyway get
    the full refresh."""
    from kehu.customers.duplicates import refresh_for, refresh_for_new_distinct
    from kehu.customers.models import Contact, Customer

    if kind.model not in (Customer, Contact):
        return
    customer_ids = {pk for _n, model, pk in created if model == "customer"}
    contact_ids = {pk for _n, model, pk in created if model == "contact"}
    if kind.model is Customer and job.duplicates != ImportJob.Duplicates.CREATE:
        refresh_for_new_distinct(customer_ids)
        customer_ids = set()
        contact_ids = set()
    updated = [r.existing for r in rows if r.action == "update" and r.existing]
    if kind.model is Customer:
        customer_ids.update(updated)
    else:
        contact_ids.update(updated)
    if contact_ids:
        customer_ids.update(
            Contact.objects.filter(pk__in=contact_ids).values_list("customer_id", flat=True)
        )
    if customer_ids:
        refresh_for(customer_ids)


def _remember_rows(job: ImportJob, ctx: importing.Context) -> None:
    """On resume, rows already written count as seen: a later duplicate of them stays one."""
    kind = importing.import_type(job.kind)
    for rows in _batches(job):
        if rows[0].number > job.last_row:
            break
        done = [r for r in rows if r.number <= job.last_row]
        for r in done:
            kind.parse(r, job.mapping, ctx)
        kind.match(done, ctx)


class _InvalidRows:
    """The rows that were not written, as a CSV with the original columns and a reason.

    They are appended batch by batch to a spool file next to the uploads (rows numbered, so a
    resumed import keeps those of the batches written before the interruption and drops any
    of a batch that was rolled back), and become the downloadable file at the end: memory
    stays flat however many rows are invalid."""

    def __init__(self, job: ImportJob, *, resume_after: int = 0) -> None:
        from pathlib import Path

        self.job = job
        self.path = Path(settings.MEDIA_ROOT) / "imports" / "spool" / f"invalid-{job.pk}.csv"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept: list[list[str]] = []
        if resume_after and self.path.exists():
            with self.path.open(newline="", encoding="utf-8") as old:
                kept = [r for r in csv.reader(old) if r and int(r[0]) <= resume_after]
        self.handle = self.path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.handle)
        self.writer.writerows(kept)
        self.count = len(kept)

    def add(self, rows: list[importing.Row]) -> None:
        from kehu.dataops.exports import neutralise

        width = len(self.job.headers)
        for r in rows:
            if r.action != "invalid":
                continue
            self.count += 1
            reason = "；".join(f"{label}: {message}" for label, message in r.errors)
            cells = [neutralise(c) if c is not None else "" for c in r.cells]
            cells += [""] * (width - len(cells))
            self.writer.writerow([r.number, *cells[:width], reason])
        self.handle.flush()

    def attach(self, *, keep_spool: bool = False) -> None:
        """The spooled rows as the job's file (UTF-8 with a BOM, the header and a reason
        column), replacing any earlier one; the spool is removed unless the job may still be
        resumed."""
        import tempfile

        self.close()
        with tempfile.TemporaryFile("w+b") as out:
            text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow([*self.job.headers, _("Why it was not imported")])
            with self.path.open(newline="", encoding="utf-8") as spool:
                writer.writerows(r[1:] for r in csv.reader(spool) if r)
            text.flush()
            out.seek(0)
            if self.job.invalid_file:
                self.job.invalid_file.delete(save=False)
            self.job.invalid_file.save(f"invalid-{self.job.pk}.csv", File(out), save=False)
            text.detach()
        if not keep_spool:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()


def cancel_import(*, actor: Any, job: ImportJob) -> ImportJob:
    if job.created_by_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if job.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}:
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        if interrupted(job):
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CANCELLED)
    job.refresh_from_db()
    return job


def _undo_through_services(actor: Any, label: str, ids: list[int]) -> tuple[int, int]:
    """Orders, deals, tasks and tickets go one by one through their app's delete: the
    customer's purchase summary, a goal's progress, the search index and the boards follow;
    an order with returns since is history and stays."""
    from django.db.models import ProtectedError

    from kehu.dataops.importing_apps import delete_imported

    removed = kept = 0
    for obj in importing.model_for(label)._default_manager.filter(pk__in=ids):
        try:
            with transaction.atomic():
                delete_imported(label, actor, obj)
            removed += 1
        except (ValidationError, ProtectedError):
            kept += 1
    return removed, kept


def undo_import(*, actor: Any, job: ImportJob) -> dict[str, int]:
    """Delete what the import created (newest kinds first); what was changed since by hand —
    orders added to an imported customer, say — keeps its record, and is counted."""
    from django.db.models import ProtectedError

    from kehu.core.search import unindex

    if job.created_by_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if job.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING} and not interrupted(job):
        raise ValidationError(_("Cancel the import before undoing it."), code="state")
    from kehu.customers.duplicates import keys_of, refresh_for

    removed, kept = 0, 0
    # The keys of what goes, to clear the flag of customers that were duplicates only of it.
    imported = job.records.filter(model="customer").values_list("object_id", flat=True)
    gone_keys = keys_of(imported)
    touched = set(
        importing.model_for("contact")
        ._default_manager.filter(
            pk__in=job.records.filter(model="contact").values_list("object_id", flat=True)
        )
        .values_list("customer_id", flat=True)
    )
    for label in (
        "ticket",
        "task",
        "deal",
        "order",
        "interaction",
        "contact",
        "customer",
        "product",
    ):
        model = importing.model_for(label)
        ids = list(job.records.filter(model=label).values_list("object_id", flat=True))
        if label in ("ticket", "task", "deal", "order"):
            removed_here, kept_here = _undo_through_services(actor, label, ids)
            removed, kept = removed + removed_here, kept + kept_here
            continue
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        removed += (
                            model._default_manager.filter(pk__in=chunk)
                            .delete()[1]
                            .get(model._meta.label, 0)
                        )
                    for pk in chunk:
                        unindex(model, pk)
                except ProtectedError:
                    for pk in chunk:
                        try:
                            with transaction.atomic():
                                removed += (
                                    model._default_manager.filter(pk=pk)
                                    .delete()[1]
                                    .get(model._meta.label, 0)
                                )
                            unindex(model, pk)
                        except ProtectedError:
                            kept += 1
    with transaction.atomic():
        refresh_for(touched, old_keys=gone_keys)
    job.records.all().delete()
    job.status = ImportJob.Status.UNDONE
    job.message = _(
        "Undone: %(removed)d records removed, %(kept)d kept because others use them."
    ) % {"removed": removed, "kept": kept}
    job.save(update_fields=["status", "message"])
    from kehu.core.audit import audit

    audit("import_undo", actor=actor, obj=job, summary=job.message, removed=removed, kept=kept)
    return {"removed": removed, "kept": kept}
