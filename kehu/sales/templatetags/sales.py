from django import template

from kehu.core.processmap import duration_label

register = template.Library()


@register.filter
def duration_seconds(value: object) -> str:
    """Seconds as a short duration (45 min, 3.5 h, 2.3 d)."""
    try:
        return duration_label(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"


@register.filter
def yuan(value: object) -> str:
    """An amount as ¥1,234 (whole yuan, grouped by thousands)."""
    from kehu.sales.views import money

    try:
        return money(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ArithmeticError):
        return ""
