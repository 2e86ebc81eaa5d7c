"""Template helpers for the Kehu shell."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlencode

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def icon(name: str, extra_class: str = "") -> SafeString:
    """An inline SVG that references the icon sprite (no icon font, no inline scripts)."""
    return _icon(name, extra_class)


@functools.lru_cache(maxsize=512)
def _icon(name: str, extra_class: str) -> SafeString:
    # A page draws dozens of icons: the sprite's (hashed) address is looked up once per icon.
    return format_html(
        '<svg class="icon {}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        extra_class,
        static("vendor/lucide/sprite.svg"),
        name,
    )


@receiver(setting_changed)
def _forget_icons(**kwargs: Any) -> None:
    if kwargs.get("setting") in {"STATIC_URL", "STORAGES"}:
        _icon.cache_clear()


def _is_current(path: str, url: str) -> bool:
    return path == "/" if url == "/" else path.startswith(url)


@register.simple_tag(takes_context=True)
def sidebar_nav(context: template.Context) -> SafeString:
    """The sidebar's links, drawn in Python: the current one marked, a heading before the
    settings section."""
    request = context.get("request")
    path = request.path if request is not None else None
    parts = []
    section = None
    for item in context.get("nav_items") or ():
        if item.section != section:
            section = item.section
            if section == "admin":
                parts.append(format_html('<div class="nav-section">{}</div>', _("Settings")))
        url = item.url
        current = (
            SafeString(' aria-current="page"')
            if path is not None and _is_current(path, url)
            else ""
        )
        parts.append(
            format_html(
                '<a href="{}"{} data-nav="{}">{}<span>{}</span></a>',
                url,
                current,
                item.key,
                _icon(item.icon, ""),
                item.label,
            )
        )
    return SafeString("\n".join(parts))


@register.simple_tag
def form_fields(form: Any) -> SafeString:
    """A form's fields in the compact layout, drawn in Python: each visible one with its label
    and errors, hidden ones as they are; the form's own errors first."""
    parts = []
    if form.non_field_errors():
        parts.append(
            format_html(
                '<div class="alert alert-danger" role="alert">{}</div>', form.non_field_errors()
            )
        )
    for field in form:
        if field.is_hidden:
            parts.append(str(field))
            continue
        parts.append(
            format_html(
                '<div class="field"><label for="{}">{}</label>{}{}</div>',
                field.id_for_label,
                field.label,
                field,
                field.errors,
            )
        )
    return SafeString("".join(parts))


@register.simple_tag
def options(choices: Any, selected: Any = None, blank: Any = None) -> SafeString:
    """``<option>`` elements for ``(value, label)`` pairs, drawn in Python (a filter form has
    hundreds). Those in ``selected`` (one value or a list) are marked. With ``blank``, one
    empty-valued option with that label comes first; without it, empty values are left out."""
    if selected is None or selected == "":
        chosen: set[str] = set()
    elif isinstance(selected, (list, tuple, set, frozenset)):
        chosen = {str(v) for v in selected}
    else:
        chosen = {str(selected)}
    from kehu.core.generic import escape_text

    parts = []
    if blank is not None:
        parts.append(
            format_html('<option value=""{}>{}</option>', " selected" if not chosen else "", blank)
        )
    # Plain escaping per option rather than format_html: a filter form has hundreds.
    for value, label in choices:
        if value is None or value == "":
            continue
        value = str(value)
        selected = " selected" if value in chosen else ""
        parts.append(
            f'<option value="{escape_text(value)}"{selected}>{escape_text(label)}</option>'
        )
    return SafeString("".join(parts))


@register.simple_tag(takes_context=True)
def sort_url(context: template.Context, column: Any) -> str:
    """The query string that sorts by ``column``, toggling the direction when already sorted."""
    request = context["request"]
    params = request.GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)
    current = params.get("sort", "")
    params["sort"] = f"-{column.name}" if current == column.name else column.name
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, key: str, cursor: str) -> str:
    request = context["request"]
    params = request.GET.copy()
    for k in ("after", "before"):
        params.pop(k, None)
    params[key] = cursor
    return "?" + params.urlencode()


@register.filter
def attr(obj: Any, name: str) -> Any:
    value = getattr(obj, name, "")
    return value() if callable(value) else value


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def relative_day(value: dt.datetime | None) -> str:
    """今天 / 明天 / 3 天后 / 逾期 2 天 — how far a date is from today, in the team's zone."""
    if value is None:
        return ""
    today = timezone.localdate()
    days = (timezone.localtime(value).date() - today).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}
    return ngettext("%(n)d day ago", "%(n)d days ago", -days) % {"n": -days}


@register.filter
def due_class(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    now = timezone.now()
    if value < now:
        return "due-overdue"
    if value < now + dt.timedelta(days=2):
        return "due-soon"
    return ""


@register.simple_tag
def query(**params: Any) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@register.filter
def search_title(obj: Any, searchable: Any) -> str:
    return str(searchable.title(obj))


@register.filter
def search_subtitle(obj: Any, searchable: Any) -> str:
    return str(searchable.subtitle(obj))


@register.filter
def search_url(obj: Any, searchable: Any) -> str:
    return str(searchable.url(obj))


@register.filter
def phone(value: str) -> str:
    """An E.164 number as people read it: 138 0013 8000 at home, +1 650-253-0000 abroad."""
    import phonenumbers
    from django.conf import settings

    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, settings.KEHU_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    home = phonenumbers.region_code_for_number(number) == settings.KEHU_PHONE_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
