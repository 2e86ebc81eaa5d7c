"""The import wizard: upload → columns and options → dry run → progress → result (and undo)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.htmx import is_htmx
from kehu.dataops import importing, selectors, services
from kehu.dataops.models import ImportJob

ENCODINGS = [
    ("", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 (BOM)"),
    ("gb18030", "GB18030 / GBK"),
    ("utf-16", "UTF-16"),
]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=[])
    file = forms.FileField(label=gettext_lazy("Excel (.xlsx) or CSV file"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding (CSV)"), choices=ENCODINGS, required=False
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


def _kinds(user: Any) -> list[tuple[str, str]]:
    from kehu.core.permissions import has_perm

    return [
        (key, str(factory().label))
        for key, factory in importing.TYPES.items()
        if has_perm(user, factory().permission)
    ]


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request.user)
    if not kinds:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                encoding=form.cleaned_data["encoding"] or "",
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        else:
            return HttpResponseRedirect(job.get_absolute_url())
    return render(
        request,
        "dataops/imports.html",
        {"form": form, "jobs": selectors.imports_for(request.user)[:50], "kinds": kinds},
        status=400 if form.errors else 200,
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = selectors.get_import_for(request.user, pk)
    if job is None:
        raise Http404
    return job


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    kind = importing.import_type(job.kind)
    if request.method == "POST":
        return _post_options(request, job, kind)
    return render(request, "dataops/import_detail.html", _context(job, kind))


def _context(job: ImportJob, kind: importing.ImportType) -> dict[str, Any]:
    from kehu.dataops import readers

    samples: list[list[Any]] = []
    sheets: list[str] = []
    if job.status == ImportJob.Status.UPLOADED:
        try:
            source = services._open(job)
            sheets = list(source.sheets or [])
            for _n, cells in source.rows():
                samples.append(cells)
                if len(samples) >= 3:
                    break
            source.close()
        except (readers.ImportFileError, ValidationError):
            samples = []
    columns = []
    for i, header in enumerate(job.headers):
        columns.append(
            {
                "index": str(i),
                "header": header,
                "field": job.mapping.get(str(i), ""),
                "samples": [row[i] for row in samples if i < len(row) and row[i]],
            }
        )
    return {
        "job": job,
        "kind": kind,
        "fields": kind.fields,
        "columns": columns,
        "sheets": sheets,
        "encodings": ENCODINGS,
        "summary": job.check_summary or {},
        "interrupted": services.interrupted(job),
        "progress": progress(job),
    }


def _post_options(request: HttpRequest, job: ImportJob, kind: importing.ImportType) -> HttpResponse:
    mapping = {
        key.removeprefix("col_"): value
        for key, value in request.POST.items()
        if key.startswith("col_")
    }
    try:
        encoding = request.POST.get("encoding")
        sheet = request.POST.get("sheet")
        if (encoding is not None and encoding != job.encoding) or (
            sheet is not None and sheet != job.sheet and sheet
        ):
            services.set_options(actor=request.user, job=job, encoding=encoding, sheet=sheet)
            messages.info(request, _("The file was read again: check the columns."))
            return HttpResponseRedirect(job.get_absolute_url())
        services.set_options(
            actor=request.user,
            job=job,
            mapping=mapping,
            duplicates=request.POST.get("duplicates"),
            mode=request.POST.get("mode"),
        )
        services.queue_check(actor=request.user, job=job)
    except ValidationError as exc:
        context = _context(job, kind)
        context["error"] = exc.messages[0]
        for column in context["columns"]:
            column["field"] = mapping.get(column["index"], column["field"])
        return render(request, "dataops/import_detail.html", context, status=400)
    return HttpResponseRedirect(job.get_absolute_url())


def progress(job: ImportJob) -> dict[str, Any]:
    """Rows done, rows per second and the time left, for the bar."""
    total = job.total_rows or 0
    done = job.rows_done
    rate = 0.0
    left = None
    if job.started_at and done:
        end = job.finished_at or timezone.now()
        seconds = max((end - job.started_at).total_seconds(), 0.001)
        rate = done / seconds
        if total and not job.finished:
            left = int(max(total - done, 0) / rate) if rate else None
    return {
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else (100 if job.finished else 0),
        "rate": int(rate),
        "left": left,
    }


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    response = render(
        request,
        "dataops/import_detail.html#progress",
        {"job": job, "progress": progress(job), "interrupted": services.interrupted(job)},
    )
    if job.finished or job.status not in {"checking", "queued", "running"}:
        response["HX-Refresh"] = "true"  # the summary or the result replaces the bar
    return response


@login_required
@require_POST
def job_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    job = _job(request, pk)
    try:
        if action == "run":
            services.queue_import(actor=request.user, job=job)
        elif action == "cancel":
            services.cancel_import(actor=request.user, job=job)
            messages.info(request, _("Stopping the import…"))
        elif action == "undo":
            outcome = services.undo_import(actor=request.user, job=job)
            messages.success(
                request,
                _("Undone: %(removed)d records removed.") % {"removed": outcome["removed"]},
            )
        elif action == "options":
            services.set_options(actor=request.user, job=job)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(job.get_absolute_url())


@login_required
def invalid_rows(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not job.invalid_file:
        raise Http404
    stem = job.original_name.rsplit(".", 1)[0]
    return FileResponse(
        job.invalid_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-{_('invalid rows')}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    from kehu.dataops.templates_xlsx import build_template

    if kind not in importing.TYPES or kind not in dict(_kinds(request.user)):
        raise Http404
    return FileResponse(
        build_template(kind),
        as_attachment=True,
        filename=f"kehu-{kind}-{_('template')}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
