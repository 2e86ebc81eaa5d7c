"""What the work pages show, assembled from the scoped selectors in a fixed number of queries.

The division table, the kanban, the Gantt, "my tasks", the calendar and the workload page all
start from :func:`board_tasks` (``tasks_visible_to`` narrowed by the page's filters) and group
the rows in Python, so a page costs the same number of queries for 20 tasks or 2,000.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.work.models import Area, Goal, PriorityLabel, Task, WipLimit, WorkerProfile
from kehu.work.selectors import goals_visible_to, tasks_visible_to

NONE = "none"
FILTER_KEYS = ("team", "goal", "area", "label", "status", "person")


@dataclass
class Filters:
    team: int | None = None
    goal: int | None = None
    area: int | None = None
    label: int | None = None
    status: str | None = None
    person: int | None = None

    @classmethod
    def from_query(cls, data: Any) -> Filters:
        def number(key: str) -> int | None:
            try:
                return int(data.get(key) or "") or None
            except (TypeError, ValueError):
                return None

        status = data.get("status") or None
        if status not in Task.Status.values:
            status = None
        return cls(
            team=number("team"),
            goal=number("goal"),
            area=number("area"),
            label=number("label"),
            status=status,
            person=number("person"),
        )

    def active(self) -> bool:
        return any(getattr(self, k) for k in FILTER_KEYS)


def team_members(team_id: int) -> list[int]:
    from kehu.accounts.selectors import team_subtree_ids

    ids = team_subtree_ids({team_id})
    return list(get_user_model().objects.filter(teams__in=ids).values_list("pk", flat=True))


def board_tasks(user: Any, filters: Filters, *, include_done: bool = True) -> QuerySet[Task]:
    """The tasks a page may show: the viewer's scope, then the filters."""
    qs = tasks_visible_to(user).select_related("label", "responsible", "goal", "area")
    if filters.team:
        members = team_members(filters.team)
        qs = qs.filter(Q(goal__team_id=filters.team) | Q(responsible_id__in=members))
    if filters.goal:
        qs = qs.filter(Q(goal_id=filters.goal) | Q(goal__parent_id=filters.goal))
    if filters.area:
        qs = qs.filter(area_id=filters.area)
    if filters.label:
        qs = qs.filter(label_id=filters.label)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.person:
        qs = qs.filter(responsible_id=filters.person)
    if not include_done:
        qs = qs.exclude(status=Task.Status.DONE)
    return qs.order_by("position", "pk")


def filter_choices(user: Any) -> dict[str, Any]:
    """The lists behind the filter bar (3 queries)."""
    return {
        "teams": list(Team.objects.order_by("name").only("pk", "name")),
        "goals": list(goals_visible_to(user).order_by("title").only("pk", "title")),
        "areas": list(Area.objects.filter(is_active=True)),
        "labels": list(PriorityLabel.objects.all()),
        "statuses": Task.Status.choices,
    }


# ---- the division table (分工表) -----------------------------------------------------------------


@dataclass
class Gap:
    kind: str  # "overlap" | "omission" on cells; the finding's own kind on goal rows
    message: str
    task_ids: list[int] = field(default_factory=list)


@dataclass
class Header:
    key: str
    label: str
    depth: int = 0
    obj: Any = None
    progress: int | None = None
    goal_id: int | None = None
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class DivisionTable:
    rows: list[Header]
    columns: list[Header]
    cells: dict[tuple[str, str], list[Task]]
    gaps: dict[tuple[str, str], list[Gap]]
    by: str
    transposed: bool
    task_count: int
    notes: list[Gap] = field(default_factory=list)  # findings about the whole table

    def grid(self) -> list[tuple[Header, list[tuple[Header, list[Task], list[Gap]]]]]:
        return [
            (
                row,
                [
                    (
                        col,
                        self.cells.get((row.key, col.key), []),
                        self.gaps.get((row.key, col.key), []),
                    )
                    for col in self.columns
                ],
            )
            for row in self.rows
        ]


def _goal_tree(goals: Iterable[Goal]) -> list[tuple[Goal, int]]:
    """Goals ordered as a tree (parent, then its sub-goals), with their depth."""
    goals = list(goals)
    by_parent: dict[int | None, list[Goal]] = defaultdict(list)
    ids = {g.pk for g in goals}
    for g in goals:
        by_parent[g.parent_id if g.parent_id in ids else None].append(g)
    out: list[tuple[Goal, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for g in by_parent.get(parent, []):
            out.append((g, depth))
            walk(g.pk, depth + 1)

    walk(None, 0)
    return out


def thing_key_of(task: Task, by: str) -> str:
    """The goal (or area) row key of ``task`` in the division table."""
    value = task.area_id if by == "area" else task.goal_id
    return str(value) if value else NONE


def cell_key(task: Task, by: str, transpose: bool) -> tuple[str, str]:
    """The (row, column) of ``task`` in the division table: what a live refresh of one card
    uses to put it where a full render would."""
    person = str(task.responsible_id) if task.responsible_id else NONE
    thing = thing_key_of(task, by)
    return (person, thing) if transpose else (thing, person)


def person_label(person: Any) -> str:
    return str(person) if person is not None else str(_("Unassigned"))


def division_table(
    user: Any, filters: Filters, *, by: str = "goal", transpose: bool = False
) -> DivisionTable:
    """People × goals (or areas); ``transpose`` puts people in the rows."""
    by = by if by in {"goal", "area"} else "goal"
    tasks = list(board_tasks(user, filters))
    people: dict[int, Any] = {}
    if filters.team:
        for person in get_user_model().objects.filter(pk__in=team_members(filters.team)):
            people[person.pk] = person
    for task in tasks:
        if task.responsible_id and task.responsible_id not in people:
            people[task.responsible_id] = task.responsible
    person_headers = [
        Header(str(p.pk), str(p), obj=p) for p in sorted(people.values(), key=lambda p: str(p))
    ]
    person_headers.append(Header(NONE, str(_("Unassigned"))))

    if by == "goal":
        goals = goals_visible_to(user).filter(status=Goal.Status.OPEN)
        if filters.goal:
            goals = goals.filter(Q(pk=filters.goal) | Q(parent_id=filters.goal))
        if filters.team:
            goals = goals.filter(team_id=filters.team)
        task_goal_ids = {t.goal_id for t in tasks if t.goal_id}
        goal_list = {g.pk: g for g in goals}
        for task in tasks:  # a task's goal is a row even when the goal is closed
            if task.goal_id and task.goal_id not in goal_list:
                goal_list[task.goal_id] = task.goal
        if filters.active():
            goal_list = {
                k: g
                for k, g in goal_list.items()
                if k in task_goal_ids or k == filters.goal or filters.team
            }
        thing_headers = [
            Header(str(g.pk), g.title, depth=d, obj=g, progress=g.progress, goal_id=g.pk)
            for g, d in _goal_tree(goal_list.values())
        ]
        thing_headers.append(Header(NONE, str(_("No goal"))))
    else:
        areas = list(Area.objects.filter(is_active=True))
        known = {a.pk for a in areas}
        for task in tasks:
            if task.area_id and task.area_id not in known:
                areas.append(task.area)  # type: ignore[arg-type]
                known.add(task.area_id)
        if filters.area:
            areas = [a for a in areas if a.pk == filters.area]
        thing_headers = [Header(str(a.pk), str(a), obj=a) for a in areas]
        thing_headers.append(Header(NONE, str(_("No area"))))

    cells: dict[tuple[str, str], list[Task]] = defaultdict(list)
    for task in tasks:
        cells[cell_key(task, by, transpose)].append(task)
    found = findings(user, filters)
    gaps = cell_gaps(found, tasks, by, transpose)
    by_goal = goal_gaps(found)
    for header in thing_headers:
        header.gaps = by_goal.get(header.goal_id, []) if header.goal_id else []
    notes = [Gap(f.kind, f.message) for f in found if f.kind in GOAL_KINDS and f.goal_id is None]
    # Drop the empty catch-all row/column when nothing falls in it.
    rows, cols = (person_headers, thing_headers) if transpose else (thing_headers, person_headers)
    rows = [r for r in rows if r.key != NONE or any(k[0] == NONE for k in cells)]
    cols = [c for c in cols if c.key != NONE or any(k[1] == NONE for k in cells)]
    return DivisionTable(rows, cols, dict(cells), gaps, by, transpose, len(tasks), notes)


OVERLAP_KINDS = {"overlap", "contradiction", "do_not_contact"}
# Findings about a goal (or a whole table) rather than a cell: shown on the goal's row.
GOAL_KINDS = {"goal_without_tasks", "goal_late", "stale"}
KIND_LABELS = {
    "overlap": _("Overlaps: the same job held by more than one person"),
    "contradiction": _("Contradictions: one customer approached by several people at once"),
    "do_not_contact": _("Do not contact, yet contacted"),
    "no_responsible": _("Nobody responsible"),
    "overdue": _("Overdue"),
    "blocked": _("Blocked"),
    "goal_without_tasks": _("Goals without tasks"),
    "goal_late": _("Goals that cannot finish in time"),
    "stale": _("Tables nobody updates"),
}


def findings(user: Any, filters: Filters) -> list[Any]:
    """The gaps selector's findings for what the page shows (its team or goal)."""
    from kehu.work.selectors import gaps

    return list(gaps(user, team=filters.team, goal=filters.goal))


def cell_gaps(
    found: list[Any], tasks: list[Task], by: str, transpose: bool
) -> dict[tuple[str, str], list[Gap]]:
    """The findings on the cells holding their tasks: ``overlap`` for work held twice or
    clashing, ``omission`` for work nobody carries (no one responsible, overdue, blocked)."""
    by_id = {t.pk: t for t in tasks}
    out: dict[tuple[str, str], list[Gap]] = defaultdict(list)
    for finding in found:
        kind = "overlap" if finding.kind in OVERLAP_KINDS else "omission"
        cells = set()
        for task_id in finding.task_ids:
            task = by_id.get(task_id)
            if task is None:
                continue
            cells.add(cell_key(task, by, transpose))
        for cell in cells:
            out[cell].append(Gap(kind, finding.message, list(finding.task_ids)))
    return dict(out)


def goal_gaps(found: list[Any]) -> dict[int, list[Gap]]:
    """The findings about a goal as a whole (no task, cannot finish in time, nobody updates
    it), by goal id: a cell marker cannot show them, the goal's row does."""
    out: dict[int, list[Gap]] = defaultdict(list)
    for finding in found:
        if finding.kind in GOAL_KINDS and finding.goal_id is not None:
            out[finding.goal_id].append(Gap(finding.kind, finding.message, finding.task_ids))
    return dict(out)


# ---- kanban ------------------------------------------------------------------------------------

BOARD_MODES = ("status", "person", "label")


@dataclass
class Column:
    key: str
    label: str
    tasks: list[Task]
    wip: int | None = None
    colour: str = ""

    @property
    def over(self) -> bool:
        return bool(self.wip) and len(self.tasks) > (self.wip or 0)

    @property
    def full(self) -> bool:
        return bool(self.wip) and len(self.tasks) >= (self.wip or 0)


def wip_limits(team_id: int | None) -> dict[str, int]:
    """Per status: the team's limit when a team is chosen, else the limit for everyone."""
    limits = {w.status: w.limit for w in WipLimit.objects.filter(team__isnull=True)}
    if team_id:
        limits.update({w.status: w.limit for w in WipLimit.objects.filter(team_id=team_id)})
    return limits


def kanban(user: Any, filters: Filters, *, mode: str = "status") -> list[Column]:
    mode = mode if mode in BOARD_MODES else "status"
    tasks = list(board_tasks(user, filters))
    if mode == "status":
        limits = wip_limits(filters.team)
        columns = [
            Column(value, str(label), [], wip=limits.get(value))
            for value, label in Task.Status.choices
        ]
        index = {c.key: c for c in columns}
        for t in tasks:
            index[t.status].tasks.append(t)
        return columns
    if mode == "label":
        columns = [
            Column(str(lb.pk), str(lb), [], colour=lb.colour) for lb in PriorityLabel.objects.all()
        ]
        columns.append(Column(NONE, str(_("No priority")), []))
        index = {c.key: c for c in columns}
        for t in tasks:
            index.get(str(t.label_id) if t.label_id else NONE, columns[-1]).tasks.append(t)
        return columns
    people: dict[int, Any] = {}
    if filters.team:
        for p in get_user_model().objects.filter(pk__in=team_members(filters.team)):
            people[p.pk] = p
    for t in tasks:
        if t.responsible_id and t.responsible_id not in people:
            people[t.responsible_id] = t.responsible
    columns = [Column(str(p.pk), str(p), []) for p in sorted(people.values(), key=str)]
    columns.append(Column(NONE, str(_("Unassigned")), []))
    index = {c.key: c for c in columns}
    for t in tasks:
        index[str(t.responsible_id) if t.responsible_id else NONE].tasks.append(t)
    return columns


# ---- my tasks, calendar ------------------------------------------------------------------------


def my_tasks(user: Any, today: dt.date) -> dict[str, list[Task]]:
    tasks = (
        tasks_visible_to(user)
        .filter(Q(responsible=user) | Q(collaborators=user))
        .exclude(status=Task.Status.DONE)
        .select_related("label", "goal", "responsible", "area")
        .distinct()
        .order_by("due_on", "pk")
    )
    week_end = today + dt.timedelta(days=6 - today.weekday())
    groups: dict[str, list[Task]] = {"overdue": [], "today": [], "week": [], "later": []}
    for t in tasks:
        if t.due_on and t.due_on < today:
            groups["overdue"].append(t)
        elif t.due_on == today:
            groups["today"].append(t)
        elif t.due_on and t.due_on <= week_end:
            groups["week"].append(t)
        else:
            groups["later"].append(t)
    return groups


def month_calendar(
    user: Any, filters: Filters, year: int, month: int
) -> list[list[tuple[dt.date, list[Task]]]]:
    import calendar

    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    by_day: dict[dt.date, list[Task]] = defaultdict(list)
    for t in board_tasks(user, filters).filter(due_on__gte=first, due_on__lte=last):
        by_day[t.due_on].append(t)  # type: ignore[index]
    return [[(day, by_day.get(day, [])) for day in week] for week in weeks]


# ---- workload ----------------------------------------------------------------------------------


@dataclass
class LoadCell:
    hours: Decimal
    count: int
    capacity: Decimal

    @property
    def level(self) -> str:
        if self.capacity <= 0:
            return "over" if self.hours > 0 else "idle"
        ratio = self.hours / self.capacity
        if ratio > 1:
            return "over"
        if ratio < Decimal("0.5"):
            return "under"
        return "ok"

    @property
    def percent(self) -> int:
        if self.capacity <= 0:
            return 0
        return int(self.hours * 100 / self.capacity)


def workload(
    user: Any, filters: Filters, week_start: dt.date, weeks: int = 4
) -> tuple[list[dt.date], list[tuple[Any, list[LoadCell]]]]:
    """Hours (the estimate spread evenly over the task's working days) and counts per person and
    week, against the person's weekly capacity."""
    starts = [week_start + dt.timedelta(weeks=i) for i in range(weeks)]
    end = starts[-1] + dt.timedelta(days=6)
    tasks = (
        board_tasks(user, filters, include_done=False)
        .filter(responsible__isnull=False)
        .filter(Q(due_on__isnull=True) | Q(due_on__gte=week_start))
        .filter(Q(start_on__isnull=True) | Q(start_on__lte=end))
    )
    people: dict[int, Any] = {}
    load: dict[tuple[int, int], list[Decimal | int]] = defaultdict(lambda: [Decimal(0), 0])
    for t in tasks:
        people.setdefault(t.responsible_id, t.responsible)  # type: ignore[arg-type]
        first = t.start_on or t.due_on or week_start
        last = t.due_on or first
        first, last = max(first, week_start), min(last, end)
        if last < first:
            first = last
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        workdays = [d for d in days if d.weekday() < 5] or days
        per_day = (t.estimate_hours or Decimal(0)) / len(workdays)
        touched: set[int] = set()
        for d in workdays:
            w = (d - week_start).days // 7
            load[(t.responsible_id, w)][0] += per_day  # type: ignore[index,operator]
            touched.add(w)
        for w in touched:
            load[(t.responsible_id, w)][1] += 1  # type: ignore[index,operator]
    if filters.team:
        for p in get_user_model().objects.filter(pk__in=team_members(filters.team)):
            people.setdefault(p.pk, p)
    capacity = {
        p.user_id: p.weekly_capacity_hours
        for p in WorkerProfile.objects.filter(user_id__in=list(people))
    }
    rows = []
    for pk, person in sorted(people.items(), key=lambda kv: str(kv[1])):
        cap = capacity.get(pk, Decimal(40))
        rows.append(
            (
                person,
                [
                    LoadCell(
                        Decimal(load[(pk, w)][0]).quantize(Decimal("0.1")),
                        int(load[(pk, w)][1]),
                        cap,
                    )
                    for w in range(weeks)
                ],
            )
        )
    return starts, rows
