"""Share links of the division table: create and revoke (signed in), view and download (anyone
holding a live link; no edit controls)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.permissions import has_perm
from kehu.work import sharing
from kehu.work.models_share import TableShareLink
from kehu.work.views_table import table_context, table_xlsx, xlsx_response


def share_links_for(user: Any) -> list[TableShareLink]:
    return list(TableShareLink.objects.filter(created_by=user, revoked_at__isnull=True)[:20])


@login_required
@require_POST
def create_link(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "task.view"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    try:
        days = int(request.POST.get("days") or 7)
    except ValueError:
        days = 7
    query = (request.POST.get("query") or "").lstrip("?")
    _link, raw = sharing.create_share_link(
        actor=request.user, query=query, days=days, name=request.POST.get("name", "")
    )
    url = request.build_absolute_uri(reverse("workviews:shared_table", args=[raw]))
    request.session["work_share_url"] = url  # shown once on the next page
    messages.success(request, _("Share link created. Copy it now: it is shown only once."))
    return redirect(reverse("workviews:table") + ("?" + query if query else ""))


@login_required
@require_POST
def revoke_link(request: HttpRequest, pk: int) -> HttpResponse:
    link = TableShareLink.objects.filter(pk=pk, created_by=request.user).first()
    if link is None:
        raise Http404
    sharing.revoke_share_link(actor=request.user, link=link)
    messages.success(request, _("The share link no longer works."))
    return redirect("workviews:table")


def _link_or_404(token: str) -> TableShareLink:
    link = sharing.open_share_link(token)
    if link is None:
        raise Http404
    return link


def _shared_request(request: HttpRequest, link: TableShareLink) -> HttpRequest:
    request.GET = QueryDict(link.query)  # the creator's filters, never the visitor's
    return request


def shared_table(request: HttpRequest, token: str) -> HttpResponse:
    link = _link_or_404(token)
    context = table_context(
        _shared_request(request, link), link.created_by, editable=False, shared=True
    )
    context.update({"title": _("Division of labour"), "link": link, "token": token, "shared": True})
    response = render(request, "work/shared_table.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def shared_table_xlsx(request: HttpRequest, token: str) -> HttpResponse:
    link = _link_or_404(token)
    context = table_context(
        _shared_request(request, link), link.created_by, editable=False, shared=True
    )
    return xlsx_response(table_xlsx(context["table"]))
