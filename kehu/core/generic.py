"""Generic list / detail / edit / delete views with HTMX partial rendering.

An app's view is a few declarative lines: the selector that scopes records to the user, the
columns, the filterset, the form and the service that writes. Lists are keyset-paginated and
sortable on declared columns only; a request from HTMX gets just the ``results`` partial.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext as _
from django.views import View

from kehu.core.fieldrules import FieldRulesFormMixin, hidden_fields
from kehu.core.htmx import is_htmx, toast
from kehu.core.locking import StaleWriteError
from kehu.core.pagination import InvalidCursor, paginate_keyset
from kehu.dataops.exports import may_export


@dataclass(frozen=True)
class Column:
    """A table column: ``name`` is the model field (or attribute) shown and sorted on."""

    name: str
    label: str | Promise
    sortable: bool = True
    template: str | None = None  # a partial to render the cell, e.g. "customers/_cells.html#kind"
    link: bool = False  # the cell links to the row's detail page
    order_by: str | None = None  # the field to sort on, when it differs from ``name``
    edit_url: str | None = None  # a URL name taking (pk, field): the cell can be edited in place
    render: Callable[[Any], str] | None = None  # row -> safe HTML; fastest way to draw a cell
    default: bool = True  # shown until the user chooses their columns
    hideable: bool = True  # offered in the column chooser (False: always shown)
    export: str | None = None  # the field exported for this column ("" = not exported)

    @property
    def sort_key(self) -> str:
        return self.order_by or self.name


class ScopedObjectMixin(LoginRequiredMixin):
    """Fetches the object through the app's selector: out of scope means 404."""

    get_for: Callable[[Any, int], Model]

    def get_object(self) -> Model:
        try:
            pk = int(self.kwargs["pk"])  # type: ignore[attr-defined]
        except (KeyError, ValueError) as exc:
            raise Http404 from exc
        return type(self).get_for(self.request.user, pk)  # type: ignore[attr-defined]


class PermissionRequiredMixin(LoginRequiredMixin):
    """Signed in, and holding ``required_perm`` (a permission code) when one is set: 403 without."""

    required_perm: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from django.core.exceptions import PermissionDenied

        from kehu.core.permissions import has_perm

        if (
            self.required_perm
            and request.user.is_authenticated
            and not has_perm(request.user, self.required_perm)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ObjectListView(PermissionRequiredMixin, View):
    selector: Callable[[Any], QuerySet[Any]]
    columns: list[Column]
    filterset_class: Any = None
    default_ordering: list[str] = ["-pk"]
    page_size = 50
    max_page_size = 200
    count_cap = 10_000  # counting stops here: "10,000+" stays fast on a million rows
    template_name = "core/object_list.html"
    results_template = "core/object_list.html#results"  # what an HTMX request gets
    title: str | Promise = ""
    create_url: str | None = None

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).selector(self.request.user)

    def sorting(self, model: type[Model]) -> list[str]:
        requested = self.request.GET.get("sort", "")
        hidden = hidden_fields(self.request.user, model)
        # Sorting by a hidden field would leak its order: only visible, sortable columns.
        allowed = {c.name: c.sort_key for c in self.columns if c.sortable and c.name not in hidden}
        if requested.lstrip("-") in allowed:
            field = allowed[requested.lstrip("-")]
            return [f"-{field}" if requested.startswith("-") else field]
        return list(self.default_ordering)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        qs = self.get_queryset()
        filterset = None
        if self.filterset_class is not None:
            # A form sends every field; an empty one means "any", not an invalid choice.
            data = request.GET.copy()
            for key in list(data):
                values = [v for v in data.getlist(key) if v.strip()]
                if values:
                    data.setlist(key, values)
                else:
                    del data[key]
            filterset = self.filterset_class(data or None, queryset=qs, request=request)
            if filterset.is_bound and not filterset.is_valid():
                messages.warning(request, _("Some filters were not valid and were ignored."))
            else:
                qs = filterset.qs
        if request.GET.get("export"):
            return self.export(request, qs)
        if request.GET.get("count"):
            # Asked for by the page once it is shown: counting never holds the table up.
            return render(
                request,
                "core/object_list.html#count",
                {"matching": self.count(qs), "count_cap": self.count_cap},
            )
        try:
            limit = min(int(request.GET.get("limit", self.page_size)), self.max_page_size)
        except ValueError:
            limit = self.page_size
        try:
            page = paginate_keyset(
                qs,
                ordering=self.sorting(qs.model),
                limit=max(limit, 1),
                after=request.GET.get("after") or None,
                before=request.GET.get("before") or None,
            )
        except InvalidCursor:
            messages.warning(request, _("That page link has expired; showing the first page."))
            page = paginate_keyset(qs, ordering=self.sorting(qs.model), limit=self.page_size)
        # A single page holds every match: its length is the count. Otherwise the page asks
        # for the count once it is shown (``count=1``) instead of waiting for it here.
        matching: int | str | None = (
            len(page.items) if not (page.next_cursor or page.prev_cursor) else "later"
        )
        hidden = hidden_fields(request.user, qs.model)
        allowed = self.visible_columns(qs.model, hidden)
        columns = self.chosen_columns(request, allowed)
        editable_ids: set[Any] = set()
        if any(c.edit_url for c in columns) and page.items:
            from kehu.core import scoping

            editable_ids = scoping.permitted_among(
                qs.model, request.user, [row.pk for row in page.items]
            )
        from kehu.core.selectors import saved_views_for

        table = request.resolver_match.view_name if request.resolver_match else ""
        context = {
            "title": self.title,
            "columns": columns,
            "rows": self.render_rows(columns, page.items, editable_ids),
            "column_choices": [c for c in allowed if c.hideable],
            "shown_columns": {c.name for c in columns},
            "editable_ids": editable_ids,
            "table": table,
            "saved_views": [] if is_htmx(request) else list(saved_views_for(request.user, table)),
            "my_teams": [] if is_htmx(request) else list(request.user.teams.all()),
            "page": page,
            "matching": matching,
            "count_cap": self.count_cap,
            "filterset": filterset,
            "sort": request.GET.get("sort", ""),
            "query": self._query_without_paging(request),
            "create_url": self.create_url,
            "may_export": may_export(request.user, qs.model),
        }
        context.update(self.extra_context())
        template = self.results_template if is_htmx(request) else self.template_name
        return render(request, template, context)

    def extra_context(self) -> dict[str, Any]:
        return {}

    export_name = ""  # the file name stem of exports, e.g. "customers"

    def export(self, request: HttpRequest, qs: QuerySet[Any]) -> HttpResponse:
        """The table as the user sees it — filters, chosen columns, sort — as CSV or XLSX."""
        from django.core.exceptions import PermissionDenied

        from kehu.dataops import exports

        fmt = request.GET.get("export", "")
        if fmt not in exports.FORMATS:
            messages.error(request, _("Exports are CSV or Excel (XLSX) files."))
            return HttpResponseRedirect(f"{request.path}?{self._query_without_paging(request)}")
        if not exports.may_export(request.user, qs.model):
            raise PermissionDenied
        if fmt == "xlsx" and exports.xlsx_too_big(qs):
            messages.error(
                request,
                _(
                    "More rows match than one Excel sheet holds (1,048,575): export as CSV, "
                    "or narrow the filters."
                ),
            )
            params = request.GET.copy()
            params.pop("export", None)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        hidden = hidden_fields(request.user, qs.model)
        columns = self.chosen_columns(request, self.visible_columns(qs.model, hidden))
        params = request.GET.copy()
        params.pop("export", None)
        return exports.export_response(
            request,
            exports.ExportRequest(
                queryset=qs,
                ordering=self.sorting(qs.model),
                columns=columns,
                fmt=fmt,
                name=self.export_name or qs.model._meta.model_name or "export",
                title=str(self.title or qs.model._meta.verbose_name_plural),
                query=params.urlencode(),
            ),
        )

    def visible_columns(self, model: type[Model], hidden: set[str]) -> list[Column]:
        """Columns the user may see; in-place editing only where they may set the field."""
        import dataclasses

        from kehu.core.fieldrules import unwritable_fields

        blocked = unwritable_fields(self.request.user, model)
        return [
            dataclasses.replace(c, edit_url=None) if c.edit_url and c.name in blocked else c
            for c in self.columns
            if c.name not in hidden
        ]

    def render_rows(
        self, columns: list[Column], items: list[Any], editable_ids: set[Any]
    ) -> list[tuple[Any, SafeString]]:
        return draw_rows(columns, items, editable_ids)

    def count(self, qs: QuerySet[Any]) -> int | None:
        """How many rows match, counted up to ``count_cap`` + 1 (more reads as "cap+") within
        a small time budget (None: too many to count quickly)."""
        from kehu.core.pagination import capped_count

        return capped_count(qs, self.count_cap)

    def chosen_columns(self, request: HttpRequest, allowed: list[Column]) -> list[Column]:
        """The columns the user chose (``cols`` in the address, so saved views keep them; else
        their last choice for this table; else the defaults), in the table's order."""
        key = f"kehu:cols:{request.path}"
        requested = [c for c in request.GET.getlist("cols") if c]
        if requested:
            request.session[key] = requested
        else:
            requested = request.session.get(key) or []
        known = {c.name for c in allowed if c.hideable}
        chosen = set(requested) & known
        if not chosen:
            chosen = {c.name for c in allowed if c.hideable and c.default}
        return [c for c in allowed if not c.hideable or c.name in chosen]

    @staticmethod
    def _query_without_paging(request: HttpRequest) -> str:
        params = request.GET.copy()
        for key in ("after", "before", "export", "count"):
            params.pop(key, None)
        return params.urlencode()


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's refusal shown on the form that was sent: each reason by its field where the
    form has that field, the others at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def escape_text(value: Any) -> str:
    """``value`` as HTML text: escaped unless already safe (the standard library's escape, a
    few times cheaper per cell than ``format_html``)."""
    if isinstance(value, SafeData):
        return str(value)
    return html_escape(str(value))


def draw_rows(
    columns: list[Column], items: list[Any], editable_ids: set[Any]
) -> list[tuple[Any, SafeString]]:
    """Each row with its cells drawn in Python: a column's ``render`` function, else its
    partial template (compiled once per call), else the plain value; in-place editing buttons
    where the user may change the row. Thousands of cells per page stay cheap."""
    from django.template.loader import get_template
    from django.urls import reverse
    from django.utils.html import format_html

    from kehu.core.templatetags.kehu import icon

    pencil = icon("pencil", "icon-sm")
    sentinel = "2147480001"
    drawers = []
    for col in columns:
        template = get_template(col.template) if col.template and not col.render else None
        edit = None
        if col.edit_url:
            pattern = reverse(col.edit_url, args=[int(sentinel), col.name])
            button = format_html(
                ' <button type="button" class="cell-edit" hx-get="{{}}" '
                'hx-target="closest td" aria-label="{} {}" data-edit="{}">{}</button>',
                _("Edit"),
                col.label,
                col.name,
                pencil,
            )
            edit = (pattern, str(button))
        drawers.append((col, template, edit))
    rows = []
    for row in items:
        cells = []
        for col, template, edit in drawers:
            if col.render is not None:
                html = col.render(row)
            elif template is not None:
                html = template.render({"row": row})
            elif col.link:
                html = (
                    f'<a href="{escape_text(row.get_absolute_url())}">'
                    f"{escape_text(getattr(row, col.name))}</a>"
                )
            else:
                value = getattr(row, col.name, "")
                html = escape_text(value) if value not in (None, "") else "—"
            if edit is not None and row.pk in editable_ids:
                url = edit[0].replace(sentinel, str(row.pk))
                html = f"{html}{edit[1].replace('{}', url, 1)}"
            cells.append(html)
        rows.append((row, SafeString("".join(f"<td>{c}</td>" for c in cells))))
    return rows


class ObjectDetailView(ScopedObjectMixin, View):
    template_name: str

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        context = {
            "object": obj,
            "hidden_fields": hidden_fields(request.user, type(obj)),
            **self.extra_context(obj),
        }
        return render(request, self.template_name, context)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        return {}


class ObjectEditView(ScopedObjectMixin, View):
    """Edit through a form that carries the ``version`` it was read at.

    ``save`` calls the app's service; a :class:`StaleWriteError` re-renders the form with the
    newer values and HTTP 409, keeping what the user typed in ``conflict_form``.
    """

    form_class: type[forms.Form]
    template_name = "core/object_form.html"
    title: str | Promise = ""

    def save(self, obj: Model, form: forms.Form) -> Model:  # pragma: no cover - abstract
        raise NotImplementedError

    def initial(self, obj: Model) -> dict[str, Any]:
        return {"version": getattr(obj, "version", None)}

    def get_form(self, obj: Model, data: Any = None) -> forms.Form:
        # A ModelForm writes cleaned values onto its instance while validating; give it a copy
        # so the service still sees the values as read and can tell what changed.
        extra = (
            {"user": self.request.user} if issubclass(self.form_class, FieldRulesFormMixin) else {}
        )
        return self.form_class(  # type: ignore[call-arg]
            data=data, instance=copy.copy(obj), initial=self.initial(obj), **extra
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        return self.render(obj, self.get_form(obj))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = self.get_form(obj, request.POST)
        if form.is_valid():
            try:
                saved = self.save(obj, form)
            except StaleWriteError as exc:
                return self.render(
                    exc.instance,
                    form,
                    status=409,
                    conflict=str(exc.message),
                    newer=self.newer_values(exc.instance, form),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                message = _("Saved.")
                if is_htmx(request):
                    response = HttpResponse(status=204)
                    response.headers["HX-Redirect"] = saved.get_absolute_url()  # type: ignore[attr-defined]
                    return toast(response, message)
                messages.success(request, message)
                return HttpResponseRedirect(saved.get_absolute_url())  # type: ignore[attr-defined]
        return self.render(obj, form, status=400)

    @staticmethod
    def newer_values(current: Model, form: forms.Form) -> dict[str, Any]:
        """Fields whose saved value differs from what the user typed, shown as saved now."""
        newer: dict[str, Any] = {}
        for name, typed in form.cleaned_data.items():
            if name == "version" or not hasattr(current, name):
                continue
            field = next((f for f in current._meta.many_to_many if f.name == name), None)
            if field is not None:  # a choice of several records: compare what is chosen
                chosen = list(getattr(current, name).all())
                if {o.pk for o in chosen} != {o.pk for o in typed or ()}:
                    newer[name] = "、".join(str(o) for o in chosen)
                continue
            saved = getattr(current, name)
            if saved != typed:
                display = getattr(current, f"get_{name}_display", None)
                newer[name] = display() if callable(display) else saved
        return newer

    def render(self, obj: Model, form: forms.Form, status: int = 200, **extra: Any) -> HttpResponse:
        context = {"object": obj, "form": form, "title": self.title, **extra}
        return render(self.request, self.template_name, context, status=status)


class ObjectCreateView(PermissionRequiredMixin, View):
    """Create through a form and the app's service (``create``)."""

    form_class: type[forms.Form]
    template_name = "core/object_form.html"
    title: str | Promise = ""

    def create(self, form: forms.Form) -> Model:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_form(self, data: Any = None) -> forms.Form:
        extra = (
            {"user": self.request.user} if issubclass(self.form_class, FieldRulesFormMixin) else {}
        )
        return self.form_class(data=data, **extra)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, {"form": self.get_form(), "title": self.title})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                obj = self.create(form)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Created."))
                return HttpResponseRedirect(obj.get_absolute_url())  # type: ignore[attr-defined]
        context = {"form": form, "title": self.title}
        return render(request, self.template_name, context, status=400)


class ObjectDeleteView(ScopedObjectMixin, View):
    """Confirm, then delete through the app's service (``delete``); the record must be in the
    user's ``delete`` scope, otherwise 404."""

    template_name = "core/object_confirm_delete.html"
    success_url: str = "/"

    def delete(self, obj: Model) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, {"object": self.get_object()})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        self.delete(obj)
        messages.success(request, _("Deleted."))
        if is_htmx(request):
            response = HttpResponse(status=204)
            response.headers["HX-Redirect"] = self.success_url
            return response
        return HttpResponseRedirect(self.success_url)


class ObjectHistoryView(ScopedObjectMixin, View):
    """Who changed which field from what to what, and when (django-simple-history).

    Fields the user may not see (financial ones) are left out of the changes shown.
    """

    template_name = "core/object_history.html"
    limit = 100
    IGNORED = ("version", "updated_at", "updated_by", "created_at", "created_by")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        hidden = hidden_fields(request.user, type(obj))
        records = list(
            obj.history.select_related("history_user").order_by("-history_date", "-history_id")[  # type: ignore[attr-defined]
                : self.limit + 1
            ]
        )
        entries = []
        for newer, older in zip(records, [*records[1:], None], strict=False):
            if len(entries) == self.limit:
                break
            changes = []
            if older is not None:
                excluded = [*self.IGNORED, *hidden]
                delta = newer.diff_against(older, excluded_fields=excluded)
                for change in delta.changes:
                    field = type(obj)._meta.get_field(change.field)
                    changes.append(
                        {
                            "label": field.verbose_name,
                            "old": self._display(field, change.old),
                            "new": self._display(field, change.new),
                        }
                    )
            entries.append({"record": newer, "changes": changes})
        context = {"object": obj, "entries": entries}
        return render(request, self.template_name, context)

    @staticmethod
    def _display(field: Any, value: Any) -> Any:
        if value in (None, ""):
            return "—"
        choices = dict(getattr(field, "flatchoices", None) or [])
        if value in choices:
            return choices[value]
        if field.is_relation and field.related_model is not None:
            related = field.related_model._default_manager.filter(pk=value).first()
            return related if related is not None else value
        return value


class CellEditView(ScopedObjectMixin, View):
    """Edit one cell of a table in place (HTMX), with optimistic locking.

    GET answers the editor for the cell; POST saves through ``save`` with the version the
    editor was opened at. A stale edit answers the editor again with the newer saved value and
    a question: keep theirs, or save yours over it.
    """

    fields: dict[str, Column]  # field name -> the column that displays it
    form_class: type[forms.ModelForm]  # supplies each field's form field and validation
    template_name = "core/_cell.html"

    def save(self, obj: Model, field: str, value: Any, version: int) -> Model:
        raise NotImplementedError  # pragma: no cover - abstract

    def field_form(self, obj: Model, field: str, data: Any = None) -> forms.Form:
        from kehu.core.fieldrules import unwritable_fields

        if field not in self.fields or field in unwritable_fields(self.request.user, type(obj)):
            raise Http404
        form_class = forms.modelform_factory(type(obj), form=self.form_class, fields=[field])
        extra = {"user": self.request.user} if issubclass(form_class, FieldRulesFormMixin) else {}
        form = form_class(data=data, instance=copy.copy(obj), **extra)
        for name in list(form.fields):
            if name != field:
                del form.fields[name]
        return form

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        field = kwargs["field"]
        form = self.field_form(obj, field)
        if request.GET.get("cancel"):
            return self.display(obj, field)
        return self.editor(obj, field, form, version=obj.version)  # type: ignore[attr-defined]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        field = kwargs["field"]
        form = self.field_form(obj, field, request.POST)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        if not form.is_valid():
            return self.editor(obj, field, form, version=version, status=400)
        try:
            saved = self.save(obj, field, form.cleaned_data[field], version)
        except StaleWriteError as exc:
            newer = exc.instance
            return self.editor(
                newer,
                field,
                form,
                version=newer.version,  # type: ignore[attr-defined]
                status=409,
                conflict=self.fields[field],
                stale=True,
                newer_value=self.shown_value(newer, field),
            )
        except ValidationError as exc:
            form.add_error(field, exc.messages)
            return self.editor(obj, field, form, version=version, status=400)
        return toast(self.display(saved, field), _("Saved."))

    @staticmethod
    def shown_value(obj: Model, field: str) -> Any:
        """The value as a person reads it: a choice's label rather than its code."""
        display = getattr(obj, f"get_{field}_display", None)
        return display() if callable(display) else getattr(obj, field)

    def editor(
        self,
        obj: Model,
        field: str,
        form: forms.Form,
        *,
        version: int,
        status: int = 200,
        **extra: Any,
    ) -> HttpResponse:
        context = {
            "row": obj,
            "field": field,
            "form": form,
            "bound": form[field],
            "version": version,
            "column": self.fields[field],
            **extra,
        }
        return render(self.request, f"{self.template_name}#editor", context, status=status)

    def display(self, obj: Model, field: str) -> HttpResponse:
        cell = draw_rows([self.fields[field]], [obj], {obj.pk})[0][1]
        cell = SafeString(cell.removeprefix("<td>").removesuffix("</td>"))
        context = {"row": obj, "col": self.fields[field], "cell": cell}
        return render(self.request, f"{self.template_name}#display", context)
