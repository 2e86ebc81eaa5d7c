"""Writes of the division-of-labour table. Every function is keyword-only, atomic, checks
nothing about permissions (the views and the API do, through kehu.core.scoping) and publishes
the domain events the boards listen to: ``task.created``, ``task.changed``, ``task.deleted``,
``goal.created``, ``goal.changed``."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.locking import save_versioned
from kehu.core.services import notify
from kehu.work.models import ChecklistItem, Goal, Task, TaskAttachment, TaskComment

OPEN_STATUSES = (Task.Status.TODO, Task.Status.DOING, Task.Status.BLOCKED)

TASK_FIELDS = {
    "title",
    "description",
    "goal",
    "customer",
    "area",
    "label",
    "status",
    "progress",
    "progress_mode",
    "parent",
    "start_on",
    "due_on",
    "estimate_hours",
    "responsible",
    "recurrence",
    "remind_at",
    "position",
    "recurs_from",
}
TASK_M2M = {"collaborators", "depends_on"}
GOAL_FIELDS = {
    "title",
    "description",
    "metric",
    "target_value",
    "current_value",
    "unit",
    "owner",
    "team",
    "parent",
    "start_on",
    "due_on",
    "status",
}


def _emit(name: str, actor: Any, object_type: str, object_id: Any, data: dict[str, Any]) -> None:
    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type=object_type,
            object_id=object_id,
            data=data,
        )
    )


def _task_event(name: str, actor: Any, task: Task, changed: list[str] | None = None) -> None:
    team_id = None
    if task.goal_id:
        team_id = Goal.objects.filter(pk=task.goal_id).values_list("team_id", flat=True).first()
    data: dict[str, Any] = {
        "task_id": task.pk,
        "goal_id": task.goal_id,
        "team_id": team_id,
        "responsible_id": task.responsible_id,
        "status": task.status,
    }
    if changed is not None:
        data["changed"] = sorted(changed)
    _emit(name, actor, "task", task.pk, data)


def _check_task(task: Task) -> None:
    errors: dict[str, list[str]] = {}
    if task.start_on and task.due_on and task.due_on < task.start_on:
        errors["due_on"] = [_("The due date cannot be before the start date.")]
    if task.pk and task.parent_id == task.pk:
        errors["parent"] = [_("A task cannot be its own sub-task.")]
    if task.pk and task.parent_id:
        # No loops in the sub-task tree either.
        seen = {task.pk}
        parent_id: int | None = task.parent_id
        while parent_id:
            if parent_id in seen:
                errors["parent"] = [_("A task cannot be a sub-task of its own sub-task.")]
                break
            seen.add(parent_id)
            parent_id = (
                Task.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
            )
    if errors:
        raise ValidationError(errors)
    task.full_clean(exclude=["collaborators", "depends_on"])


def _clean_fields(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


@transaction.atomic
def create_task(*, actor: Any, title: str, rollup: bool = True, **fields: Any) -> Task:
    """A new task. ``collaborators`` and ``depends_on`` may be given as lists. A caller writing
    many tasks of one goal (an import) passes ``rollup=False`` and recomputes the goal's
    progress once at the end (:func:`recompute_goal_progress`)."""
    _clean_fields(fields, TASK_FIELDS | TASK_M2M)
    collaborators = fields.pop("collaborators", None)
    depends_on = fields.pop("depends_on", None)
    task = Task(title=(title or "").strip(), created_by=actor, updated_by=actor)
    for key, value in fields.items():
        setattr(task, key, value)
    if task.status == Task.Status.DONE:
        task.completed_at = timezone.now()
        if task.progress_mode == Task.ProgressMode.MANUAL:
            task.progress = 100
    if "position" not in fields:
        task.position = _next_position(task.status)
    _check_task(task)
    task.save()
    if collaborators:
        task.collaborators.set(collaborators)
    for other in depends_on or []:
        add_dependency(actor=actor, task=task, depends_on=other, emit=False)
    if rollup:
        _after_task_write(task, old_goal_id=None, old_parent_id=None)
    _task_event("task.created", actor, task)
    return task


def _next_position(status: str) -> int:
    last = (
        Task.objects.filter(status=status).order_by("-position").values_list("position", flat=True)
    )
    top = last.first()
    return (top or 0) + 1


@transaction.atomic
def update_task(*, actor: Any, task: Task, version: int | None, **fields: Any) -> Task:
    """Change ``fields`` of ``task`` if nobody changed it since ``version`` was read
    (otherwise :class:`kehu.core.locking.StaleWriteError` with the current values)."""
    _clean_fields(fields, TASK_FIELDS | TASK_M2M)
    collaborators = fields.pop("collaborators", None)
    depends_on = fields.pop("depends_on", None)
    old_goal_id, old_parent_id, old_status = task.goal_id, task.parent_id, task.status
    changed: set[str] = set()
    for key, value in fields.items():
        attname = Task._meta.get_field(key).attname  # type: ignore[union-attr]
        compare = (
            value.pk if attname != key and value is not None and hasattr(value, "pk") else value
        )
        if getattr(task, attname) != compare:
            changed.add(key)
        setattr(task, key, value)
    if task.status != old_status:
        _check_wip(task, task.status)
    changed |= _status_side_effects(task, old_status)
    _check_task(task)
    save_versioned(
        task, expected_version=version, update_fields=changed | {"updated_by"}, user=actor
    )
    if collaborators is not None:
        task.collaborators.set(collaborators)
        changed.add("collaborators")
    if depends_on is not None:
        set_dependencies(actor=actor, task=task, depends_on=list(depends_on), emit=False)
        changed.add("depends_on")
    _after_task_write(task, old_goal_id=old_goal_id, old_parent_id=old_parent_id)
    if old_status != Task.Status.DONE and task.status == Task.Status.DONE:
        _on_completed(actor, task)
    _task_event("task.changed", actor, task, sorted(changed))
    return task


def _status_side_effects(task: Task, old_status: str) -> set[str]:
    """Completion time and, for hand-kept progress, 100 % when done."""
    changed: set[str] = set()
    if task.status == Task.Status.DONE and old_status != Task.Status.DONE:
        task.completed_at = timezone.now()
        changed.add("completed_at")
        if task.progress_mode == Task.ProgressMode.MANUAL and task.progress != 100:
            task.progress = 100
            changed.add("progress")
    elif task.status != Task.Status.DONE and old_status == Task.Status.DONE:
        task.completed_at = None
        changed.add("completed_at")
    return changed


def move_task(
    *,
    actor: Any,
    task: Task,
    status: str | None = None,
    position: int | None = None,
    responsible: Any = None,
    label: Any = None,
    start_on: dt.date | None = None,
    due_on: dt.date | None = None,
    version: int | None = None,
) -> Task:
    """A drag on the kanban (column, place, person, priority) or the Gantt (dates).

    Only the arguments given change; ``version=None`` trusts the version on ``task``.
    Dropping at ``position`` makes room in the target column.
    """
    fields: dict[str, Any] = {}
    if status is not None:
        fields["status"] = status
    if responsible is not None:
        fields["responsible"] = responsible
    if label is not None:
        fields["label"] = label
    if start_on is not None:
        fields["start_on"] = start_on
    if due_on is not None:
        fields["due_on"] = due_on
    with transaction.atomic():
        # update_task checks the column's WIP limit; a refusal undoes the room made here
        if position is not None:
            column = status or task.status
            Task.objects.filter(status=column, position__gte=position).exclude(pk=task.pk).update(
                position=F("position") + 1
            )
            fields["position"] = position
        return update_task(
            actor=actor,
            task=task,
            version=task.version if version is None else version,
            **fields,
        )


class WipLimitReached(ValidationError):
    """A status change into a kanban column already at its WIP limit (kept apart from other
    invalid input so pages can answer it as a conflict with the board's state)."""


def _check_wip(task: Task, status: str) -> None:
    """Refuse a status change into a kanban column that already holds its WIP limit (the limit
    of the task's team, through its goal, else the limit for every team). Every status change
    passes here: a kanban drop, an in-place edit, the edit form, the API."""
    from kehu.work.selectors import wip_limit_for

    team_id = (
        Goal.objects.filter(pk=task.goal_id).values_list("team_id", flat=True).first()
        if task.goal_id
        else None
    )
    limit = wip_limit_for(status, team_id)
    if limit is None:
        return
    column = Task.objects.filter(status=status).exclude(pk=task.pk)
    column = column.filter(goal__team_id=team_id) if team_id is not None else column
    count = column.count()
    if count >= limit:
        raise WipLimitReached(
            {
                "status": [
                    _(
                        "“%(column)s” already holds %(count)d tasks, its limit is %(limit)d. "
                        "Finish or move one first."
                    )
                    % {"column": Task.Status(status).label, "count": count, "limit": limit}
                ]
            }
        )


@transaction.atomic
def delete_task(*, actor: Any, task: Task) -> None:
    goal_id, parent_id, pk = task.goal_id, task.parent_id, task.pk
    data_task = Task(pk=pk, goal_id=goal_id, responsible_id=task.responsible_id, status=task.status)
    task.delete()
    if goal_id:
        recompute_goal_progress(goal_id=goal_id)
    if parent_id:
        recompute_task_progress(task_id=parent_id)
    _task_event("task.deleted", actor, data_task)


# ---- dependencies ------------------------------------------------------------------------------


def _dependency_path(start_id: int, target_id: int) -> list[int] | None:
    """Task ids from ``start_id`` following "depends on" to ``target_id``, or None."""
    through = Task.depends_on.through
    edges: dict[int, list[int]] = {}
    for src, dst in through.objects.values_list("from_task_id", "to_task_id"):
        edges.setdefault(src, []).append(dst)
    stack: list[tuple[int, list[int]]] = [(start_id, [start_id])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node == target_id:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in edges.get(node, []):
            stack.append((nxt, [*path, nxt]))
    return None


@transaction.atomic
def add_dependency(*, actor: Any, task: Task, depends_on: Task, emit: bool = True) -> None:
    """``task`` cannot finish before ``depends_on``. A dependency that would close a loop is
    refused with a message naming the loop."""
    if depends_on.pk == task.pk:
        raise ValidationError(
            {"depends_on": [_("A task cannot depend on itself: “%s”.") % task.title]}
        )
    path = _dependency_path(depends_on.pk, task.pk)
    if path is not None:
        titles = dict(Task.objects.filter(pk__in=path).values_list("pk", "title"))
        loop = " → ".join(f"“{titles[pk]}”" for pk in [task.pk, *path])
        raise ValidationError(
            {"depends_on": [_("This would make a circular dependency: %s.") % loop]}
        )
    task.depends_on.add(depends_on)
    if emit:
        _task_event("task.changed", actor, task, ["depends_on"])


@transaction.atomic
def remove_dependency(*, actor: Any, task: Task, depends_on: Task) -> None:
    task.depends_on.remove(depends_on)
    _task_event("task.changed", actor, task, ["depends_on"])


def set_dependencies(*, actor: Any, task: Task, depends_on: list[Task], emit: bool = True) -> None:
    wanted = {t.pk for t in depends_on}
    current = set(task.depends_on.values_list("pk", flat=True))
    if current - wanted:
        task.depends_on.remove(*(current - wanted))
    for other in depends_on:
        if other.pk not in current:
            add_dependency(actor=actor, task=task, depends_on=other, emit=False)
    if emit:
        _task_event("task.changed", actor, task, ["depends_on"])


# ---- progress ----------------------------------------------------------------------------------


@transaction.atomic
def set_progress(*, actor: Any, task: Task, progress: int, version: int | None = None) -> Task:
    """Progress by hand (only for tasks whose progress is kept by hand)."""
    if task.progress_mode != Task.ProgressMode.MANUAL:
        raise ValidationError(
            {"progress": [_("This task's progress is computed; it cannot be set by hand.")]}
        )
    return update_task(actor=actor, task=task, version=version, progress=max(0, min(100, progress)))


def _computed_task_progress(task: Task) -> int | None:
    if task.progress_mode == Task.ProgressMode.CHECKLIST:
        items = list(task.checklist.values_list("done", flat=True))
        return round(100 * sum(items) / len(items)) if items else 0
    if task.progress_mode == Task.ProgressMode.SUBTASKS:
        rows = list(task.subtasks.values_list("progress", "status", "estimate_hours"))
        return _weighted(rows)
    return None


def _weighted(rows: list[tuple[int, str, Decimal | None]]) -> int:
    """Average progress of (progress, status, estimate) rows, weighted by the estimate when
    every row has one (a done task counts 100 %)."""
    if not rows:
        return 0
    values = [100 if status == Task.Status.DONE else progress for progress, status, _e in rows]
    weights = [e for _p, _s, e in rows if e is not None and e > 0]
    if len(weights) == len(rows):
        total = sum(weights, Decimal(0))
        weighted = sum((Decimal(v) * w for v, w in zip(values, weights, strict=True)), Decimal(0))
        return round(weighted / total)
    return round(sum(values) / len(values))


def recompute_task_progress(*, task_id: int) -> None:
    """Refresh a computed task progress (checklist or sub-tasks) and what rolls up from it."""
    task = Task.objects.filter(pk=task_id).first()
    if task is None:
        return
    value = _computed_task_progress(task)
    if value is not None and value != task.progress:
        Task.objects.filter(pk=task.pk).update(progress=value)
        task.progress = value
        if task.parent_id:
            recompute_task_progress(task_id=task.parent_id)
        if task.goal_id:
            recompute_goal_progress(goal_id=task.goal_id)


def recompute_goal_progress(*, goal_id: int) -> int:
    """A goal's progress: its top-level tasks (weighted by estimate when all have one) and its
    sub-goals, each sub-goal counting as one task; then up the goal tree."""
    goal = Goal.objects.filter(pk=goal_id).first()
    if goal is None:
        return 0
    rows = list(
        Task.objects.filter(goal_id=goal_id, parent__isnull=True).values_list(
            "progress", "status", "estimate_hours"
        )
    )
    children = list(
        goal.children.exclude(status=Goal.Status.CANCELLED).values_list("progress", flat=True)
    )
    if rows and children:
        task_part = _weighted(rows)
        value = round((task_part * len(rows) + sum(children)) / (len(rows) + len(children)))
    elif rows:
        value = _weighted(rows)
    elif children:
        value = round(sum(children) / len(children))
    else:
        value = 0
    if value != goal.progress:
        Goal.objects.filter(pk=goal.pk).update(progress=value)
    if goal.parent_id:
        recompute_goal_progress(goal_id=goal.parent_id)
    return value


def _after_task_write(task: Task, *, old_goal_id: int | None, old_parent_id: int | None) -> None:
    recompute_task_progress(task_id=task.pk)
    for parent_id in {old_parent_id, task.parent_id} - {None}:
        recompute_task_progress(task_id=parent_id)  # type: ignore[arg-type]
    for goal_id in {old_goal_id, task.goal_id} - {None}:
        recompute_goal_progress(goal_id=goal_id)  # type: ignore[arg-type]


# ---- recurrence and reminders -------------------------------------------------------------------


def _shift(day: dt.date | None, recurrence: str) -> dt.date | None:
    if day is None:
        return None
    if recurrence == Task.Recurrence.DAILY:
        return day + dt.timedelta(days=1)
    if recurrence == Task.Recurrence.WEEKLY:
        return day + dt.timedelta(days=7)
    if recurrence == Task.Recurrence.MONTHLY:
        month = day.month % 12 + 1
        year = day.year + (1 if day.month == 12 else 0)
        last = calendar.monthrange(year, month)[1]
        return day.replace(year=year, month=month, day=min(day.day, last))
    return day


def _on_completed(actor: Any, task: Task) -> Task | None:
    """Completing a repeating task creates its next occurrence (same people, area, priority,
    checklist unticked, dates moved one period on). Only once per occurrence: the successor
    points back through ``recurs_from`` (unique), so re-opening and completing a task again
    does not create a second one."""
    if task.recurrence == Task.Recurrence.NONE:
        return None
    if Task.objects.filter(recurs_from=task).exists():
        return None
    base = task.due_on or timezone.localdate()
    next_due = (
        _shift(task.due_on, task.recurrence) if task.due_on else _shift(base, task.recurrence)
    )
    next_start = _shift(task.start_on, task.recurrence)
    remind_at = None
    if task.remind_at and task.due_on and next_due:
        remind_at = task.remind_at + (next_due - task.due_on)
    successor = create_task(
        actor=actor,
        title=task.title,
        description=task.description,
        goal=task.goal,
        customer=task.customer,
        area=task.area,
        label=task.label,
        progress_mode=task.progress_mode,
        parent=task.parent,
        start_on=next_start,
        due_on=next_due,
        estimate_hours=task.estimate_hours,
        responsible=task.responsible,
        collaborators=list(task.collaborators.all()),
        recurrence=task.recurrence,
        remind_at=remind_at,
        recurs_from=task,
    )
    for item in task.checklist.all():
        ChecklistItem.objects.create(task=successor, text=item.text, position=item.position)
    return successor


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Notify the responsible person (and collaborators) of every open task whose reminder
    time has come and that was not reminded yet; each reminder goes out once."""
    now = now or timezone.now()
    sent = 0
    due = Task.objects.filter(
        remind_at__lte=now, reminded_at__isnull=True, status__in=OPEN_STATUSES
    ).order_by("remind_at")
    for task_id in list(due.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            # Claim the reminder first: a second worker running at the same time updates 0 rows.
            claimed = Task.objects.filter(pk=task_id, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            task = Task.objects.select_related("responsible").get(pk=task_id)
            people = [task.responsible] if task.responsible else []
            people += [u for u in task.collaborators.all() if u.pk != task.responsible_id]
            for person in people:
                notify(
                    recipient=person,
                    title=_("Reminder: %(task)s") % {"task": task.title},
                    body=_("Due %(due)s") % {"due": task.due_on} if task.due_on else "",
                    url=task.get_absolute_url(),
                    kind="work.reminder",
                )
            sent += 1
    return sent


# ---- checklist ---------------------------------------------------------------------------------


@transaction.atomic
def add_checklist_item(*, actor: Any, task: Task, text: str) -> ChecklistItem:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write what is to be done.")]})
    last = task.checklist.order_by("-position").values_list("position", flat=True).first()
    item = ChecklistItem.objects.create(
        task=task, text=text[:255], position=(last or 0) + 1, created_by=actor, updated_by=actor
    )
    recompute_task_progress(task_id=task.pk)
    _task_event("task.changed", actor, task, ["checklist"])
    return item


@transaction.atomic
def update_checklist_item(
    *, actor: Any, item: ChecklistItem, text: str | None = None, done: bool | None = None
) -> ChecklistItem:
    fields = []
    if text is not None:
        if not text.strip():
            raise ValidationError({"text": [_("Write what is to be done.")]})
        item.text = text.strip()[:255]
        fields.append("text")
    if done is not None:
        item.done = done
        fields.append("done")
    item.updated_by = actor
    item.save(update_fields=[*fields, "updated_by", "updated_at"])
    recompute_task_progress(task_id=item.task_id)
    _task_event("task.changed", actor, item.task, ["checklist"])
    return item


@transaction.atomic
def delete_checklist_item(*, actor: Any, item: ChecklistItem) -> None:
    task = item.task
    item.delete()
    recompute_task_progress(task_id=task.pk)
    _task_event("task.changed", actor, task, ["checklist"])


# ---- comments and attachments ------------------------------------------------------------------

MENTION = re.compile(r"@([\w.\-\u4e00-\u9fff]+)")


def mentioned_users(body: str) -> list[Any]:
    """Active users named ``@username`` or ``@显示名`` in ``body``."""
    from kehu.accounts.models import User

    names = set(MENTION.findall(body or ""))
    if not names:
        return []
    return list(
        User.objects.filter(is_active=True).filter(
            Q(username__in=names) | Q(display_name__in=names)
        )
    )


@transaction.atomic
def add_comment(*, actor: Any, task: Task, body: str) -> TaskComment:
    """A comment; everyone @mentioned who may see the task is notified (someone who may not
    see it is not told it exists)."""
    from kehu.core.scoping import can

    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The comment is empty.")]})
    comment = TaskComment.objects.create(task=task, author=actor, body=body)
    mentioned = [u for u in mentioned_users(body) if u.pk != getattr(actor, "pk", None)]
    allowed = [u for u in mentioned if can(u, "view", task)]
    if allowed:
        comment.mentions.set(allowed)
    for person in allowed:
        notify(
            recipient=person,
            title=_("%(name)s mentioned you on “%(task)s”")
            % {"name": getattr(actor, "display_name", "") or str(actor), "task": task.title},
            body=body[:500],
            url=task.get_absolute_url(),
            kind="work.mention",
        )
    _emit("task.commented", actor, "task", task.pk, {"task_id": task.pk, "comment_id": comment.pk})
    return comment


ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".txt", ".csv", ".xlsx", ".xls",
    ".docx", ".doc", ".pptx", ".ppt", ".zip", ".md", ".eml",
}  # fmt: skip
# Files whose first bytes must match what their extension claims.
MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".zip": (b"PK",),
    ".xlsx": (b"PK",),
    ".docx": (b"PK",),
    ".pptx": (b"PK",),
}


@transaction.atomic
def add_attachment(*, actor: Any, task: Task, upload: Any) -> TaskAttachment:
    """Attach an uploaded file, refused when too big or not an accepted type."""
    import os

    name = os.path.basename(getattr(upload, "name", "") or "file")
    ext = os.path.splitext(name)[1].lower()
    size = int(getattr(upload, "size", 0) or 0)
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": [
                    _("The file is too big (at most %(mb)d MB).")
                    % {"mb": ATTACHMENT_MAX_BYTES // 2**20}
                ]
            }
        )
    if ext not in ATTACHMENT_TYPES:
        raise ValidationError(
            {"file": [_("This type of file is not accepted: %s") % (ext or name)]}
        )
    if ext in MAGIC:
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(m) for m in MAGIC[ext]):
            raise ValidationError(
                {"file": [_("The file's content does not match its type (%s).") % ext]}
            )
    attachment = TaskAttachment(task=task, name=name[:255], size=size, uploaded_by=actor)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _task_event("task.changed", actor, task, ["attachments"])
    return attachment


@transaction.atomic
def delete_attachment(*, actor: Any, attachment: TaskAttachment) -> None:
    task = attachment.task
    attachment.file.delete(save=False)
    attachment.delete()
    _task_event("task.changed", actor, task, ["attachments"])


# ---- goals -------------------------------------------------------------------------------------


def _goal_event(name: str, actor: Any, goal: Goal, changed: list[str] | None = None) -> None:
    data: dict[str, Any] = {"goal_id": goal.pk, "team_id": goal.team_id}
    if changed is not None:
        data["changed"] = sorted(changed)
    _emit(name, actor, "goal", goal.pk, data)


def _check_goal(goal: Goal) -> None:
    errors: dict[str, list[str]] = {}
    if goal.start_on and goal.due_on and goal.due_on < goal.start_on:
        errors["due_on"] = [_("The due date cannot be before the start date.")]
    parent_id = goal.parent_id
    seen = {goal.pk}
    while parent_id:
        if parent_id in seen:
            errors["parent"] = [_("A goal cannot be a sub-goal of itself.")]
            break
        seen.add(parent_id)
        parent_id = Goal.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    if errors:
        raise ValidationError(errors)
    goal.full_clean()


@transaction.atomic
def create_goal(*, actor: Any, title: str, **fields: Any) -> Goal:
    _clean_fields(fields, GOAL_FIELDS)
    goal = Goal(title=(title or "").strip(), created_by=actor, updated_by=actor)
    fields.setdefault("owner", actor)
    for key, value in fields.items():
        setattr(goal, key, value)
    _check_goal(goal)
    goal.save()
    if goal.parent_id:
        recompute_goal_progress(goal_id=goal.parent_id)
    _goal_event("goal.created", actor, goal)
    return goal


@transaction.atomic
def update_goal(*, actor: Any, goal: Goal, version: int | None, **fields: Any) -> Goal:
    _clean_fields(fields, GOAL_FIELDS)
    old_parent = goal.parent_id
    changed = set()
    for key, value in fields.items():
        attname = Goal._meta.get_field(key).attname  # type: ignore[union-attr]
        compare = (
            value.pk if attname != key and value is not None and hasattr(value, "pk") else value
        )
        if getattr(goal, attname) != compare:
            changed.add(key)
        setattr(goal, key, value)
    _check_goal(goal)
    save_versioned(
        goal, expected_version=version, update_fields=changed | {"updated_by"}, user=actor
    )
    for parent_id in {old_parent, goal.parent_id} - {None}:
        recompute_goal_progress(goal_id=parent_id)  # type: ignore[arg-type]
    _goal_event("goal.changed", actor, goal, sorted(changed))
    return goal


def set_goal_metric(*, actor: Any, goal: Goal, current_value: Decimal, version: int | None) -> Goal:
    """Record the measured value of the goal's metric (e.g. satisfaction 4.3)."""
    return update_goal(actor=actor, goal=goal, version=version, current_value=current_value)


def goal_tree(goal: Goal) -> list[tuple[int, Goal]]:
    """The goal and its sub-goals, depth first, as (depth, goal) (one query per level)."""
    out: list[tuple[int, Goal]] = [(0, goal)]
    level = [goal]
    depth = 0
    while level and depth < 10:
        depth += 1
        children = list(Goal.objects.filter(parent__in=level).order_by("due_on", "pk"))
        by_parent: dict[int, list[Goal]] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)  # type: ignore[arg-type]
        # Insert children right after their parent.
        result: list[tuple[int, Goal]] = []
        for d, g in out:
            result.append((d, g))
            if d == depth - 1 and g in level:
                result.extend((depth, c) for c in by_parent.get(g.pk, []))
        out = result
        level = children
    return out


@transaction.atomic
def delete_goal(*, actor: Any, goal: Goal) -> None:
    parent_id, pk, team_id = goal.parent_id, goal.pk, goal.team_id
    goal.delete()
    if parent_id:
        recompute_goal_progress(goal_id=parent_id)
    _emit("goal.deleted", actor, "goal", pk, {"goal_id": pk, "team_id": team_id})


# ---- templates (see kehu.work.templating) ------------------------------------------------------


def instantiate_template(
    *,
    actor: Any,
    template: Any,
    start_on: dt.date,
    role_map: dict[str, Any],
    goal_owner: Any = None,
    team: Any = None,
    customer: Any = None,
) -> Goal:
    from kehu.work import templating

    return templating.instantiate_template(
        actor=actor,
        template=template,
        start_on=start_on,
        role_map=role_map,
        goal_owner=goal_owner,
        team=team,
        customer=customer,
    )


# ---- setting up the division of labour: areas, labels, WIP limits, capacity -----------------


def _require_setup(actor: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from kehu.core.permissions import has_perm

    if not has_perm(actor, "manage_work"):
        raise PermissionDenied


def save_area(
    *,
    actor: Any,
    area: Any = None,
    name: str,
    name_en: str = "",
    position: int = 0,
    is_active: bool = True,
    version: int | None = None,
) -> Any:
    """Add an area of work (``area`` None) or rename, reorder, retire one."""
    from kehu.work.models import Area

    _require_setup(actor)
    name, name_en = name.strip(), name_en.strip()
    if not name:
        raise ValidationError({"name": _("An area needs a name.")})
    clash = Area.objects.filter(name__iexact=name)
    if area is not None:
        clash = clash.exclude(pk=area.pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("There is already an area called “%(name)s”.") % {"name": name}}
        )
    if area is None:
        return Area.objects.create(
            name=name,
            name_en=name_en,
            position=position,
            is_active=is_active,
            created_by=actor,
            updated_by=actor,
        )
    area.name, area.name_en, area.position, area.is_active = name, name_en, position, is_active
    save_versioned(
        area,
        expected_version=version,
        update_fields=["name", "name_en", "position", "is_active"],
        user=actor,
    )
    return area


def update_label(
    *, actor: Any, label: Any, name: str, colour: str, position: int, version: int | None = None
) -> Any:
    """Rename or recolour a priority label (its code, P0…P3, stays)."""
    _require_setup(actor)
    label.name, label.colour, label.position = name.strip(), colour.strip(), position
    if not label.name:
        raise ValidationError({"name": _("A priority label needs a name.")})
    label.full_clean(exclude=["code", "created_by", "updated_by"])
    save_versioned(
        label, expected_version=version, update_fields=["name", "colour", "position"], user=actor
    )
    return label


def set_wip_limit(*, actor: Any, status: str, limit: int | None, team: Any = None) -> None:
    """At most ``limit`` tasks in a kanban column for ``team`` (None: every team); no limit
    when ``limit`` is None."""
    from kehu.work.models import WipLimit

    _require_setup(actor)
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if limit is None:
        WipLimit.objects.filter(status=status, team=team).delete()
        return
    if limit < 1:
        raise ValidationError({"limit": _("A limit is at least 1; leave it empty for none.")})
    fields = {"limit": limit, "updated_by": actor}
    WipLimit.objects.update_or_create(
        status=status, team=team, defaults=fields, create_defaults={**fields, "created_by": actor}
    )


def set_capacity(*, actor: Any, user: Any, weekly_hours: Decimal, skills: list[str]) -> Any:
    """A person's weekly hours and skills, which the workload page and its suggestions use."""
    from kehu.work.models import WorkerProfile

    _require_setup(actor)
    if weekly_hours < 0 or weekly_hours > 168:
        raise ValidationError(
            {"weekly_hours": _("Weekly hours are between 0 and 168 (a week has no more).")}
        )
    cleaned = sorted({s.strip() for s in skills if s.strip()}, key=str.casefold)
    fields = {"weekly_capacity_hours": weekly_hours, "skills": cleaned, "updated_by": actor}
    profile, _created = WorkerProfile.objects.update_or_create(
        user=user, defaults=fields, create_defaults={**fields, "created_by": actor}
    )
    return profile
