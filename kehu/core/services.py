"""Writes owned by core: the notification inbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.core.events import Event, publish
from kehu.core.models import Notification


@transaction.atomic
def notify(
    *,
    recipient: Any,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    kind: str = "",
) -> Notification | None:
    """Put a notification in ``recipient``'s inbox and push it live once committed.

    Inactive users get nothing: a deactivated account must not keep receiving company data.
    """
    if recipient is None or not recipient.is_active:
        return None
    notification = Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, url=url, level=level, kind=kind
    )
    publish(
        Event(
            "notification.created",
            object_type="notification",
            object_id=notification.pk,
            data={"recipient_id": recipient.pk},
        )
    )
    return notification


@transaction.atomic
def mark_notifications_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the given notifications of ``user`` (all unread ones when ``ids`` is None) read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=timezone.now())
    if count:
        publish(Event("notification.read", data={"recipient_id": user.pk}))
    return count


@transaction.atomic
def share_record(
    *, actor: Any, obj: Any, user: Any = None, team: Any = None, can_edit: bool = False
) -> Any:
    """Share ``obj`` with a person or a team beyond their role's scope.

    Only someone who may edit the record may share it, and only as far as they may edit it.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.exceptions import PermissionDenied

    from kehu.core import scoping
    from kehu.core.models import Share

    if (user is None) == (team is None):
        raise ValueError("share with exactly one person or team")
    if not scoping.can(actor, "change", obj):
        raise PermissionDenied
    share, _created = Share.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        user=user,
        team=team,
        defaults={"can_edit": can_edit, "created_by": actor},
    )
    publish(
        Event(
            "record.shared",
            actor_id=actor.pk,
            object_type=type(obj)._meta.model_name,
            object_id=obj.pk,
        )
    )
    return share


PAGING_KEYS = ("after", "before")


@transaction.atomic
def save_view(*, actor: Any, table: str, name: str, query: str, team: Any = None) -> Any:
    """Save (or replace) the actor's view of a table; paging cursors are never saved."""
    from urllib.parse import parse_qsl, urlencode

    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from kehu.core.models import SavedView

    name = name.strip()[:80]
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if team is not None and not actor.teams.filter(pk=team.pk).exists():
        raise PermissionDenied
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in PAGING_KEYS]
    view, _created = SavedView.objects.update_or_create(
        owner=actor,
        table=table,
        name=name,
        defaults={"query": urlencode(pairs)[:2000], "team": team, "updated_by": actor},
    )
    return view


@transaction.atomic
def delete_view(*, actor: Any, view_id: int) -> bool:
    from kehu.core.models import SavedView

    deleted, _rows = SavedView.objects.filter(owner=actor, pk=view_id).delete()
    return bool(deleted)


# -- the working calendar -------------------------------------------------------------------


def _calendar_changed(actor: Any, summary: str, **data: Any) -> None:
    from kehu.core.audit import audit
    from kehu.core.models import AuditEvent
    from kehu.core.workcalendar import forget_calendar

    audit(AuditEvent.Action.CALENDAR_CHANGED, actor=actor, summary=summary, **data)
    forget_calendar()
    # Clear again once committed: a reader between the two must not cache the old calendar.
    transaction.on_commit(forget_calendar)
    publish(Event("calendar.changed", actor_id=getattr(actor, "pk", None), data=data))


@transaction.atomic
def set_working_hours(
    *, actor: Any, weekdays: list[int], periods: str, version: int | None = None
) -> Any:
    """Change the working week. ``periods`` like ``09:00-12:00,13:00-18:00``; ValueError with a
    translated message for bad input; StaleWriteError when ``version`` is not the stored one."""
    from kehu.core.locking import StaleWriteError
    from kehu.core.models import WorkingHours
    from kehu.core.workcalendar import parse_periods, parse_weekdays

    text = ",".join(str(d) for d in sorted(set(weekdays)))
    parse_weekdays(text)
    cleaned = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in parse_periods(periods))
    hours, _created = WorkingHours.objects.select_for_update().get_or_create(pk=1)
    if version is not None and version != hours.version:
        raise StaleWriteError(hours, version)
    hours.weekdays, hours.periods = text, cleaned
    hours.version += 1
    hours.save()
    _calendar_changed(actor, f"{text} {cleaned}", weekdays=text, periods=cleaned)
    return hours


@transaction.atomic
def set_calendar_day(*, actor: Any, day: Any, kind: str, name: str = "") -> Any:
    """Mark ``day`` as a holiday or a working day (replacing what it was)."""
    from django.utils.translation import gettext as _

    from kehu.core.models import CalendarDay

    if kind not in CalendarDay.Kind.values:
        raise ValueError(_("Choose holiday or working day."))
    row, _created = CalendarDay.objects.update_or_create(
        day=day, defaults={"kind": kind, "name": name.strip()[:60], "created_by": actor}
    )
    _calendar_changed(actor, f"{day} {kind} {name}", day=str(day), kind=kind, name=name)
    return row


@transaction.atomic
def set_calendar_days(*, actor: Any, first: Any, last: Any, kind: str, name: str = "") -> int:
    """Mark every day from ``first`` to ``last`` (inclusive, at most 366) at once, e.g. 国庆节."""
    import datetime as dt

    from django.utils.translation import gettext as _

    if last < first:
        raise ValueError(_("The last day is before the first."))
    if (last - first).days > 366:
        raise ValueError(_("Mark at most a year of days at once."))
    day = first
    count = 0
    while day <= last:
        set_calendar_day(actor=actor, day=day, kind=kind, name=name)
        day += dt.timedelta(days=1)
        count += 1
    return count


@transaction.atomic
def remove_calendar_day(*, actor: Any, day: Any) -> bool:
    from kehu.core.models import CalendarDay

    deleted, _rows = CalendarDay.objects.filter(day=day).delete()
    if deleted:
        _calendar_changed(actor, f"{day} removed", day=str(day), kind="")
    return bool(deleted)
