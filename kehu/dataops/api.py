"""Imports API: upload a file, set the mapping and options, dry-run, run, follow, cancel, undo.

The same services as the wizard; a program can do everything a person can in the page.
"""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kehu.core.apisupport import KeysetPagination
from kehu.dataops import selectors, services
from kehu.dataops.models import ImportJob

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    kind: str
    status: str
    original_name: str
    file_kind: str
    encoding: str
    sheet: str
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    duplicates: str
    mode: str
    total_rows: int | None
    rows_done: int
    created_count: int
    updated_count: int
    skipped_count: int
    invalid_count: int
    check_summary: dict[str, Any]
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    invalid_rows_url: str | None = None

    @staticmethod
    def resolve_invalid_rows_url(obj: ImportJob) -> str | None:
        return f"/data/imports/{obj.pk}/invalid-rows.csv" if obj.invalid_file else None


class ImportOptions(Schema):
    mapping: dict[str, str] | None = None  # column index -> field key ("" leaves a column out)
    encoding: str | None = None
    sheet: str | None = None
    duplicates: str | None = None  # skip / update / create
    mode: str | None = None  # all / valid


def _out(job: ImportJob) -> ImportJob:
    return job


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = selectors.get_import_for(request.auth, job_id)  # type: ignore[attr-defined]
    if job is None:
        raise Http404
    return job


@router.get("/imports", response=list[ImportOut])
@paginate(KeysetPagination)
def list_imports(request: HttpRequest, **kwargs: Any) -> Any:
    return selectors.imports_for(request.auth)  # type: ignore[attr-defined]


@router.post("/imports", response={201: ImportOut})
def upload(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    encoding: Form[str] = "",
) -> Any:
    """Upload a CSV or XLSX file: its header row is found and its columns mapped (editable)."""
    job = services.start_import(actor=request.auth, upload=file, kind=kind, encoding=encoding)
    return Status(201, _out(job))


@router.get("/imports/{job_id}", response=ImportOut)
def get_import(request: HttpRequest, job_id: int) -> Any:
    return _out(_job(request, job_id))


@router.patch("/imports/{job_id}", response=ImportOut)
def set_options(request: HttpRequest, job_id: int, payload: ImportOptions) -> Any:
    job = services.set_options(
        actor=request.auth, job=_job(request, job_id), **payload.model_dump(exclude_none=True)
    )
    return _out(job)


@router.post("/imports/{job_id}/check", response={202: ImportOut})
def check(request: HttpRequest, job_id: int) -> Any:
    """Start the dry run (counts of rows to create, update, skip, and every invalid row's
    reasons, in ``check_summary`` once the status is ``checked``)."""
    return Status(202, _out(services.queue_check(actor=request.auth, job=_job(request, job_id))))


@router.post("/imports/{job_id}/run", response={202: ImportOut})
def run(request: HttpRequest, job_id: int) -> Any:
    """Write (or resume) in the background; poll the import for progress."""
    return Status(202, _out(services.queue_import(actor=request.auth, job=_job(request, job_id))))


@router.post("/imports/{job_id}/cancel", response=ImportOut)
def cancel(request: HttpRequest, job_id: int) -> Any:
    return _out(services.cancel_import(actor=request.auth, job=_job(request, job_id)))


class UndoOut(Schema):
    removed: int
    kept: int


@router.post("/imports/{job_id}/undo", response=UndoOut)
def undo(request: HttpRequest, job_id: int) -> Any:
    return services.undo_import(actor=request.auth, job=_job(request, job_id))
