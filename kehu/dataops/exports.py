"""Export of any table view — its filters, chosen columns and sort — to CSV or XLSX.

Rows are read with ``values_list`` in chunks (no model instances, a constant amount of memory
however many rows match), related names are looked up once per chunk, and the file is streamed:
CSV straight to the client, XLSX through openpyxl's write-only workbook into a temporary file.
Only what the table already shows is exported: the queryset comes scoped and filtered from the
table and the columns are the visible ones, so field rules (amounts without ``view_financials``)
apply unchanged. Text that a spreadsheet would run as a formula (``= + - @``) is neutralised.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")
CHUNK = 2000
XLSX_MAX_ROWS = 1_048_575  # one sheet holds 1,048,576 rows, the header included
_RISKY = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that Excel or LibreOffice would evaluate gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in _RISKY:
        return "'" + value
    return value


@dataclass
class ExportColumn:
    """One column of the file: a ``values_list`` path and how its raw value becomes a cell."""

    label: str
    path: str | None  # None: a many-to-many column, filled per chunk
    convert: Callable[[Any], Any] | None = None  # None: the value as it is (or by labels)
    related: Any = None  # FK: the model whose str() names the value
    many: models.ManyToManyField | None = None
    labels: dict[Any, Any] | None = None  # value -> cell (choices, yes/no)
    text: bool = False  # text that may need neutralising
    names: dict[Any, str] = field(default_factory=dict)  # FK id -> name, filled lazily


def _local_time_in(zone: Any) -> Callable[[Any], Any]:
    def local_time(value: Any) -> Any:
        return None if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return local_time


def _date(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def export_columns(model: type[models.Model], columns: Iterable[Any]) -> list[ExportColumn]:
    """The exportable columns among a table's: model fields, foreign keys and many-to-many
    fields (cells drawn only for the screen, like the selection box, are left out)."""
    result = []
    local_time = _local_time_in(timezone.get_current_timezone())
    for col in columns:
        name = col.export if getattr(col, "export", None) is not None else col.name
        if not name:
            continue
        try:
            f: Any = model._meta.get_field(name)
        except Exception:  # noqa: S112 - not a model field: nothing to export
            continue
        label = str(col.label)
        if isinstance(f, models.ManyToManyField):
            result.append(ExportColumn(label=label, path=None, many=f))
        elif isinstance(f, models.ForeignKey):
            result.append(ExportColumn(label=label, path=f.attname, related=f.related_model))
        elif getattr(f, "choices", None):
            labels = {k: neutralise(str(v)) for k, v in f.flatchoices}
            result.append(ExportColumn(label=label, path=f.attname, labels=labels))
        elif isinstance(f, models.DateTimeField):
            result.append(ExportColumn(label=label, path=f.attname, convert=local_time))
        elif isinstance(f, models.DateField):
            result.append(ExportColumn(label=label, path=f.attname, convert=_date))
        elif isinstance(f, models.BooleanField):
            yes, no = _("Yes"), _("No")
            result.append(
                ExportColumn(label=label, path=f.attname, labels={True: yes, False: no, None: None})
            )
        elif isinstance(f, models.DecimalField):
            result.append(ExportColumn(label=label, path=f.attname, convert=_decimal))
        elif isinstance(f, (models.CharField, models.TextField)):
            result.append(ExportColumn(label=label, path=f.attname, text=True))
        else:
            result.append(ExportColumn(label=label, path=f.attname))
    return result


def _decimal(value: Any) -> Any:
    """Plain notation (``100.00``, never ``1E+2``)."""
    return None if value is None else format(value, "f")


def _neutralised(values: list[Any]) -> list[Any]:
    return ["'" + v if v and v[0] in _RISKY else v for v in values]


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def export_rows(
    qs: QuerySet[Any], ordering: list[str], cols: list[ExportColumn]
) -> Iterator[tuple[Any, ...]]:
    """Every matching row as a tuple of cell values, in the table's order, chunk by chunk; text
    a spreadsheet would evaluate comes neutralised.

    A chunk is converted column by column (one pass of a dictionary lookup or a converter down
    each column, then the columns zipped into rows): a million rows cost a few seconds, not the
    tens a per-cell dispatch would."""
    model = qs.model
    paths = ["pk"] + [c.path for c in cols if c.path is not None]
    order = list(ordering)
    if not any(o.lstrip("-") in ("pk", "id") for o in order):
        order.append("pk")
    rows = qs.prefetch_related(None).order_by(*order).values_list(*paths)
    for chunk in _chunks(rows.iterator(chunk_size=CHUNK), CHUNK):
        columns: list[Any] = []
        for c in cols:
            if c.many is not None:
                linked = _many_names(model, c.many, [r[0] for r in chunk], c.names)
                columns.append([linked.get(r[0], "") for r in chunk])
                continue
            values = list(map(itemgetter(paths.index(c.path)), chunk))  # type: ignore[arg-type]
            if c.related is not None:
                missing = set(values) - c.names.keys() - {None}
                if missing:
                    found = c.related._default_manager.in_bulk(missing)
                    c.names.update((pk, neutralise(str(obj))) for pk, obj in found.items())
                columns.append(list(map(c.names.get, values)))
            elif c.labels is not None:
                columns.append(list(map(c.labels.get, values, values)))
            elif c.convert is not None:
                columns.append(list(map(c.convert, values)))
            elif c.text:
                columns.append(_neutralised(values))
            else:
                columns.append(values)
        yield from zip(*columns, strict=True) if columns else (() for _ in chunk)


def _many_names(
    model: type[models.Model], m2m: models.ManyToManyField, ids: list[Any], names: dict[Any, str]
) -> dict[Any, str]:
    """Per row id, the names of its linked records (tags) joined with 、: the links read as
    plain id pairs in one statement, each linked record's name fetched once for the export."""
    from django.db import connections

    through: Any = m2m.remote_field.through
    source = through._meta.get_field(m2m.m2m_field_name()).column
    target = through._meta.get_field(m2m.m2m_reverse_field_name()).column
    connection = connections[through._default_manager.db]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote(source)}, {quote(target)} FROM {quote(through._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {quote(source)} "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql + f"= ANY(%s) ORDER BY {quote(target)}", [ids])
        else:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(sql + f"IN ({marks}) ORDER BY {quote(target)}", ids)
        pairs = cursor.fetchall()
    missing = {t for _, t in pairs} - names.keys()
    if missing:
        related = m2m.related_model._default_manager.in_bulk(missing)
        names.update((pk, str(obj)) for pk, obj in related.items())
    found: dict[Any, list[str]] = {}
    for row_id, target_id in pairs:
        found.setdefault(row_id, []).append(names.get(target_id, ""))
    return {row_id: neutralise("、".join(linked)) for row_id, linked in found.items()}


def csv_chunks(header: list[str], rows: Iterator[Iterable[Any]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel opens Chinese correctly), one bytes chunk per 2,000 rows.
    The rows come neutralised from :func:`export_rows`; None is written as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in header])
    yield ("\ufeff" + buffer.getvalue()).encode()
    for chunk in _chunks(rows, CHUNK):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(chunk)
        yield buffer.getvalue().encode()


def write_xlsx(header: list[str], rows: Iterable[Sequence[Any]], sheet_title: str) -> Any:
    """A temporary XLSX file (write-only workbook: memory stays flat), rewound for reading.
    The rows come neutralised from :func:`export_rows`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(sheet_title))
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=neutralise(h))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append(row)
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    wb.save(out)
    out.seek(0)
    return out


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return (cleaned or "Sheet")[:31]


@dataclass
class ExportRequest:
    """What one export is: the rows (scoped and filtered), their order and the columns."""

    queryset: QuerySet[Any]
    ordering: list[str]
    columns: list[Any]
    fmt: str
    name: str  # file name stem, e.g. "customers"
    title: str  # sheet title
    query: str = ""  # the table address's query string, recorded in the audit log


def may_export(user: Any, model: type[models.Model]) -> bool:
    from kehu.core.permissions import has_perm, record_type_for

    record_type = record_type_for(model)
    if record_type is None:
        return bool(getattr(user, "is_superuser", False))
    return has_perm(user, record_type.code("export"))


def export_response(request: HttpRequest, spec: ExportRequest) -> HttpResponseBase:
    """The file as a download, recorded in the audit log (with its row count once written)."""
    from kehu.core.audit import audit

    cols = export_columns(spec.queryset.model, spec.columns)
    header = [c.label for c in cols]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{spec.name}-{stamp}.{spec.fmt}"
    event = audit(
        "export",
        actor=request.user,
        request=request,
        summary=f"{spec.title} · {spec.fmt.upper()}",
        table=spec.name,
        format=spec.fmt,
        query=spec.query[:500],
        columns=[c.path or c.label for c in cols],
    )
    counted = iter(_Counter(export_rows(spec.queryset, spec.ordering, cols), event))
    if spec.fmt == "xlsx":
        file = write_xlsx(header, counted, spec.title)
        response: HttpResponseBase = FileResponse(
            file,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return response
    chunks = csv_chunks(header, counted)
    streaming = StreamingHttpResponse(
        _async_chunks(chunks) if hasattr(request, "scope") else chunks,
        content_type="text/csv; charset=utf-8",
    )
    streaming["Content-Disposition"] = f'attachment; filename="{filename}"'
    return streaming


class _Counter:
    """Passes rows through and writes their number into the audit event at the end."""

    def __init__(self, rows: Iterator[tuple[Any, ...]], event: Any) -> None:
        self.rows, self.event, self.n = rows, event, 0

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for row in self.rows:
            self.n += 1
            yield row
        self.event.data = {**self.event.data, "rows": self.n}
        self.event.summary = f"{self.event.summary} · {self.n}"[:300]
        self.event.save(update_fields=["data", "summary"])


async def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI a synchronous iterator would be read whole into memory first: pull it chunk
    by chunk on the thread that owns the database connection instead."""
    from asgiref.sync import sync_to_async

    pull = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    while (chunk := await pull()) is not None:
        yield chunk


def xlsx_too_big(qs: QuerySet[Any]) -> bool:
    return qs.order_by()[XLSX_MAX_ROWS : XLSX_MAX_ROWS + 1].exists()
