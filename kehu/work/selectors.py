"""Reads of the division-of-labour table, always scoped to the viewer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.scoping import restrict
from kehu.work.models import Area, Goal, PriorityLabel, Task


def tasks_visible_to(user: Any, action: str = "view") -> QuerySet[Task]:
    return restrict(Task.objects.all(), user, action)


def goals_visible_to(user: Any, action: str = "view") -> QuerySet[Goal]:
    """Goals in the viewer's scope; for viewing, also the goals of tasks they can see (a
    person sees the goal their work serves)."""
    scoped = restrict(Goal.objects.all(), user, action)
    if action != "view" or not getattr(user, "is_authenticated", False):
        return scoped
    extra = (
        tasks_visible_to(user)
        .filter(goal__isnull=False)
        .values_list("goal_id", flat=True)
        .distinct()
    )
    return Goal.objects.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=extra))


def get_task_for(user: Any, task_id: int, action: str = "view") -> Task:
    from kehu.core.scoping import get_visible_or_404

    return get_visible_or_404(
        Task.objects.select_related("goal", "customer", "area", "label", "responsible", "parent"),
        user,
        action,
        pk=task_id,
    )


def get_goal_for(user: Any, goal_id: int, action: str = "view") -> Goal:
    from django.http import Http404

    qs = goals_visible_to(user, action).select_related("owner", "team", "parent")
    goal = qs.filter(pk=goal_id).first()
    if goal is None:
        raise Http404
    return goal


def task_list(user: Any) -> QuerySet[Task]:
    return tasks_visible_to(user).select_related("goal", "area", "label", "responsible", "customer")


def goal_list(user: Any) -> QuerySet[Goal]:
    return goals_visible_to(user).select_related("owner", "team", "parent")


def wip_limit_for(status: str, team_id: int | None) -> int | None:
    """The WIP limit of a kanban column: the team's own, else the one for every team."""
    from kehu.work.models import WipLimit

    limits: dict[int | None, int] = dict(
        WipLimit.objects.filter(status=status)
        .filter(Q(team_id=team_id) | Q(team__isnull=True))
        .values_list("team_id", "limit")
    )
    if team_id is not None and team_id in limits:
        return limits[team_id]
    return limits.get(None)


def tasks_for_customer(user: Any, customer: Any, limit: int = 50) -> list[Task]:
    """The customer's tasks the user may see, newest change first, with what the customer
    page's entries show (title, description, status, dates, who is responsible)."""
    from kehu.accounts.models import name_fields

    return list(
        tasks_visible_to(user)
        .filter(customer=customer)
        .select_related("responsible")
        .only(
            "title",
            "description",
            "status",
            "due_on",
            "completed_at",
            "updated_at",
            *name_fields("responsible"),
        )
        .order_by("-updated_at")[:limit]
    )


# ---- the division-of-labour table --------------------------------------------------------------

CARD_COLUMNS = (
    "id",
    "title",
    "status",
    "progress",
    "start_on",
    "due_on",
    "label_id",
    "area_id",
    "goal_id",
    "customer_id",
    "responsible_id",
    "estimate_hours",
    "position",
    "version",
)


@dataclass
class TaskCard:
    """One task as the boards draw it (plain values; no model instance, no extra queries)."""

    id: int
    title: str
    status: str
    progress: int
    start_on: dt.date | None
    due_on: dt.date | None
    label_id: int | None
    area_id: int | None
    goal_id: int | None
    customer_id: int | None
    responsible_id: int | None
    estimate_hours: Decimal | None
    position: int
    version: int
    label_code: str = ""
    label_colour: str = ""
    overdue: bool = False
    is_collaboration: bool = False  # shown in a collaborator's column, not the responsible's

    @property
    def url(self) -> str:
        return f"/work/tasks/{self.id}/"


@dataclass
class Person:
    id: int | None  # None: the "nobody responsible" column
    name: str
    capacity_hours: Decimal = Decimal(40)


@dataclass
class TableRow:
    key: int | None  # goal or area id; None: tasks with no goal / no area
    label: str
    depth: int = 0
    progress: int | None = None  # goal rows: the goal's progress
    cells: list[list[TaskCard]] = field(default_factory=list)  # one list per person column

    @property
    def count(self) -> int:
        return sum(1 for cell in self.cells for card in cell if not card.is_collaboration)


@dataclass
class DivisionTable:
    rows_by: str
    people: list[Person]
    rows: list[TableRow]
    task_count: int
    labels: dict[int, tuple[str, str]]  # id -> (code, colour)


def _scoped_tasks(
    user: Any, *, team: Any = None, goal: Any = None, include_done: bool = True
) -> tuple[QuerySet[Task], list[int] | None]:
    """Visible tasks narrowed to a team (its goals and its members' tasks) or a goal tree;
    with the team's member ids when a team is given."""
    qs = tasks_visible_to(user)
    members: list[int] | None = None
    if goal is not None:
        goal_id = getattr(goal, "pk", goal)
        ids = _goal_tree_ids([int(goal_id)])
        qs = qs.filter(goal_id__in=ids)
    if team is not None:
        from kehu.accounts.models import Team

        team_obj = team if isinstance(team, Team) else Team.objects.get(pk=team)
        members = list(
            team_obj.members.filter(is_active=True).values_list("pk", flat=True).order_by("pk")
        )
        qs = qs.filter(Q(goal__team=team_obj) | Q(responsible_id__in=members))
    if not include_done:
        qs = qs.exclude(status=Task.Status.DONE)
    return qs, members


def _goal_tree_ids(roots: list[int]) -> list[int]:
    ids = list(roots)
    level = list(roots)
    for _depth in range(10):
        level = list(Goal.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        ids += level
    return ids


def _people(ids: set[int] | list[int]) -> list[Person]:
    from kehu.accounts.models import NAME_FIELDS, User
    from kehu.work.models import WorkerProfile

    capacity = dict(
        WorkerProfile.objects.filter(user_id__in=ids).values_list(
            "user_id", "weekly_capacity_hours"
        )
    )
    users = User.objects.filter(pk__in=ids).only("pk", *NAME_FIELDS)
    people = [Person(u.pk, str(u), capacity.get(u.pk, Decimal(40))) for u in users]
    people.sort(key=lambda p: (p.name, p.id or 0))
    return people


def division_table(
    user: Any,
    rows: str = "goal",
    filters: dict[str, Any] | None = None,
    *,
    team: Any = None,
    goal: Any = None,
    include_done: bool = True,
    with_collaborators: bool = True,
) -> DivisionTable:
    """The 分工表: one column per person (plus "nobody"), one row per goal (sub-goals indented
    under their goal) or per area, each cell the person's tasks there.

    ``filters`` may carry ``team``, ``goal`` (records or ids) and ``include_done`` instead of
    the keyword arguments.

    Built from one query over the task columns the table draws, plus one each for labels,
    rows, people and collaborations: the query count does not grow with the tasks.
    """
    if rows not in {"goal", "area"}:
        raise ValueError("rows must be 'goal' or 'area'")
    filters = filters or {}
    team = filters.get("team", team) or None
    goal = filters.get("goal", goal) or None
    include_done = bool(filters.get("include_done", include_done))
    qs, members = _scoped_tasks(user, team=team, goal=goal, include_done=include_done)
    today = timezone.localdate()
    labels = {
        pk: (code, colour)
        for pk, code, colour in PriorityLabel.objects.values_list("pk", "code", "colour")
    }
    cards: list[TaskCard] = []
    for values in qs.order_by("due_on", "position", "pk").values_list(*CARD_COLUMNS):
        card = TaskCard(*values)
        if card.label_id in labels:
            card.label_code, card.label_colour = labels[card.label_id]
        card.overdue = bool(card.due_on and card.due_on < today and card.status != "done")
        cards.append(card)
    collaborations: list[tuple[int, int]] = []
    if with_collaborators and cards:
        through = Task.collaborators.through
        collaborations = list(
            through.objects.filter(task_id__in=qs.values("pk")).values_list("task_id", "user_id")
        )
    person_ids = set(members or []) | {c.responsible_id for c in cards if c.responsible_id}
    person_ids |= {uid for _t, uid in collaborations}
    people = _people(person_ids)
    people.append(Person(None, str(_("Nobody responsible")), Decimal(0)))
    column = {p.id: i for i, p in enumerate(people)}

    table_rows: list[TableRow] = []
    row_index: dict[int | None, int] = {}
    if rows == "goal":
        goal_ids = {c.goal_id for c in cards if c.goal_id}
        if goal is not None:
            goal_ids |= set(_goal_tree_ids([int(getattr(goal, "pk", goal))]))
        elif team is not None:
            goal_ids |= set(
                Goal.objects.filter(team=team, status=Goal.Status.OPEN).values_list("pk", flat=True)
            )
        goals = {
            g[0]: g
            for g in Goal.objects.filter(pk__in=goal_ids).values_list(
                "pk", "title", "parent_id", "progress", "due_on"
            )
        }
        # Order: each top goal (by due date) followed by its sub-goals.
        children: dict[int | None, list[int]] = {}
        for pk, _t, parent_id, _p, _d in goals.values():
            children.setdefault(parent_id if parent_id in goals else None, []).append(pk)
        for lst in children.values():
            lst.sort(key=lambda pk: (goals[pk][4] or dt.date.max, pk))

        def walk(parent: int | None, depth: int) -> None:
            for pk in children.get(parent, []):
                row_index[pk] = len(table_rows)
                table_rows.append(TableRow(pk, goals[pk][1], depth, goals[pk][3]))
                walk(pk, depth + 1)

        walk(None, 0)
        if any(c.goal_id is None for c in cards):
            row_index[None] = len(table_rows)
            table_rows.append(TableRow(None, str(_("No goal"))))
        key_of = "goal_id"
    else:
        for area in Area.objects.filter(is_active=True) | Area.objects.filter(
            pk__in={c.area_id for c in cards if c.area_id}
        ):
            if area.pk not in row_index:
                row_index[area.pk] = len(table_rows)
                table_rows.append(TableRow(area.pk, str(area)))
        if any(c.area_id is None for c in cards):
            row_index[None] = len(table_rows)
            table_rows.append(TableRow(None, str(_("No area"))))
        key_of = "area_id"
    for row in table_rows:
        row.cells = [[] for _p in people]
    by_id = {c.id: c for c in cards}
    for card in cards:
        r = row_index.get(getattr(card, key_of))
        if r is not None:
            table_rows[r].cells[column[card.responsible_id]].append(card)
    for task_id, user_id in collaborations:
        held = by_id.get(task_id)
        if held is None or user_id == held.responsible_id:
            continue
        r = row_index.get(getattr(held, key_of))
        if r is not None:
            copy = dataclasses.replace(held, is_collaboration=True)
            table_rows[r].cells[column[user_id]].append(copy)
    return DivisionTable(rows, people, table_rows, len(cards), labels)


# ---- workload ----------------------------------------------------------------------------------


def working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday to Friday from ``start`` to ``end`` inclusive."""
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass
class WorkloadWeek:
    week_start: dt.date
    hours: Decimal
    tasks: int
    capacity: Decimal

    @property
    def over(self) -> bool:
        return self.hours > self.capacity

    @property
    def under(self) -> bool:
        """Less than half the capacity planned: room for more work."""
        return self.hours < self.capacity / 2

    @property
    def load(self) -> int:
        """Percent of capacity."""
        return int(self.hours * 100 / self.capacity) if self.capacity else 0


@dataclass
class WorkloadRow:
    person: Person
    weeks: list[WorkloadWeek]


def workload(
    user: Any,
    week_start: dt.date,
    weeks: int = 4,
    *,
    team: Any = None,
    people: list[int] | None = None,
) -> list[WorkloadRow]:
    """Planned hours and open tasks per person per week against their weekly capacity.

    A task's estimate is spread evenly over the working days (Mon–Fri) from its start (or its
    due date when it has no start) to its due date; a task with no dates counts in no week. A
    task counts in every week it overlaps. One query for the tasks, one for the people.
    """
    week_start = week_start - dt.timedelta(days=week_start.weekday())
    horizon = week_start + dt.timedelta(days=7 * weeks)
    qs, members = _scoped_tasks(user, team=team, include_done=False)
    qs = (
        qs.filter(responsible__isnull=False)
        .filter(Q(due_on__gte=week_start) | Q(due_on__isnull=True, start_on__gte=week_start))
        .filter(Q(start_on__lt=horizon) | Q(start_on__isnull=True, due_on__lt=horizon))
    )
    if people is not None:
        qs = qs.filter(responsible_id__in=people)
    rows = list(qs.values_list("responsible_id", "start_on", "due_on", "estimate_hours"))
    ids = set(members or []) | {r[0] for r in rows} | set(people or [])
    persons = _people(ids)
    hours: dict[tuple[int, int], Decimal] = {}
    counts: dict[tuple[int, int], int] = {}
    for person_id, start, due, estimate in rows:
        first = start or due
        last = due or start
        assert first is not None and last is not None
        if last < first:
            first, last = last, first
        days = working_days(first, last) or [last]
        share = (estimate or Decimal(0)) / len(days)
        touched: set[int] = set()
        for day in days:
            index = (day - week_start).days // 7
            if 0 <= index < weeks:
                hours[(person_id, index)] = hours.get((person_id, index), Decimal(0)) + share
                touched.add(index)
        first_week = max(0, (first - week_start).days // 7)
        last_week = min(weeks - 1, (last - week_start).days // 7)
        for index in range(first_week, last_week + 1):
            touched.add(index)
        for index in touched:
            counts[(person_id, index)] = counts.get((person_id, index), 0) + 1
    return [
        WorkloadRow(
            person,
            [
                WorkloadWeek(
                    week_start + dt.timedelta(days=7 * i),
                    hours.get((person.id, i), Decimal(0)).quantize(Decimal("0.1")),  # type: ignore[arg-type]
                    counts.get((person.id, i), 0),  # type: ignore[arg-type]
                    person.capacity_hours,
                )
                for i in range(weeks)
            ],
        )
        for person in persons
    ]


def usual_role(task: Task) -> str:
    """The job title the task's work usually falls to: its responsible person's; for a task with
    nobody responsible, the title most held by those responsible for the other tasks of its
    goal, else by the members of the goal's team, else by those holding tasks of its area."""
    from collections import Counter

    from kehu.accounts.models import User

    if task.responsible_id:
        title = User.objects.filter(pk=task.responsible_id).values_list("title", flat=True).first()
        return (title or "").strip()
    held = Task.objects.exclude(pk=task.pk).filter(responsible__is_active=True)
    sources: list[Any] = []
    if task.goal_id:
        sources.append(held.filter(goal_id=task.goal_id).values_list("responsible__title"))
        team_id = Goal.objects.filter(pk=task.goal_id).values_list("team_id", flat=True).first()
        if team_id:
            sources.append(
                User.objects.filter(teams__pk=team_id, is_active=True).values_list("title")
            )
    if task.area_id:
        sources.append(held.filter(area_id=task.area_id).values_list("responsible__title"))
    for rows in sources:
        titles = Counter(t.strip() for (t,) in rows if t and t.strip())
        if titles:
            return titles.most_common(1)[0][0]
    return ""


def _open_hours(
    person_ids: set[int], start: dt.date, end: dt.date, skip: int | None
) -> dict[int, Decimal]:
    """Open estimated hours of each person among tasks overlapping ``start``…``end``."""
    out: dict[int, Decimal] = {}
    for person_id, estimate in (
        Task.objects.filter(responsible_id__in=person_ids)
        .exclude(status=Task.Status.DONE)
        .exclude(pk=skip or 0)
        .filter(Q(due_on__gte=start) | Q(due_on__isnull=True))
        .filter(Q(start_on__lte=end) | Q(start_on__isnull=True))
        .values_list("responsible_id", "estimate_hours")
    ):
        out[person_id] = out.get(person_id, Decimal(0)) + (estimate or Decimal(0))
    return out


def _window(task: Task) -> tuple[dt.date, dt.date]:
    start = task.start_on or task.due_on or timezone.localdate()
    return start, task.due_on or start


def responsible_overloaded(task: Task) -> bool:
    """Whether the task's responsible person holds more open estimated hours over the task's
    dates (this task included) than their weekly capacity allows for that many weeks."""
    if not task.responsible_id or task.status == Task.Status.DONE:
        return False
    start, end = _window(task)
    hours = _open_hours({task.responsible_id}, start, end, None).get(task.responsible_id)
    person = _people({task.responsible_id})
    if not hours or not person:
        return False
    weeks = max(Decimal(1), Decimal((end - start).days + 1) / 7)
    return hours > person[0].capacity_hours * weeks


def suggest_assignees(task: Task, *, limit: int = 5) -> list[tuple[Person, Decimal]]:
    """People who could take ``task`` (its responsible person aside): those who already hold
    tasks of the same area, or whose skills name the area, or who hold the same job title as
    the work's usual role (see :func:`usual_role`; for an unassigned task, its goal's, team's or
    area's); least loaded first (open estimated hours over the task's dates, relative to their
    capacity)."""
    from kehu.accounts.models import User
    from kehu.work.models import WorkerProfile

    candidates: set[int] = set()
    if task.area_id:
        candidates |= set(
            Task.objects.filter(area_id=task.area_id, responsible__isnull=False)
            .values_list("responsible_id", flat=True)
            .distinct()
        )
        area = task.area
        names = {area.name, area.name_en} - {""} if area else set()
        for user_id, skills in WorkerProfile.objects.values_list("user_id", "skills"):
            if names & set(skills or []):
                candidates.add(user_id)
    title = usual_role(task)
    if title:
        candidates |= set(User.objects.filter(title=title).values_list("pk", flat=True))
    if task.responsible_id:
        candidates.discard(task.responsible_id)
    if not candidates:
        everyone = User.objects.filter(is_active=True).values_list("pk", flat=True)
        candidates = set(everyone[:201])
        candidates.discard(task.responsible_id or 0)
    active = set(
        User.objects.filter(pk__in=candidates, is_active=True).values_list("pk", flat=True)
    )
    start, end = _window(task)
    open_hours = _open_hours(active, start, end, task.pk)
    ranked = []
    for person in _people(active):
        assert person.id is not None
        load = open_hours.get(person.id, Decimal(0))
        ranked.append((load / (person.capacity_hours or Decimal(1)), person, load))
    ranked.sort(key=lambda r: (r[0], r[1].name))
    return [(person, load) for _ratio, person, load in ranked[:limit]]


def gaps(user: Any, **options: Any) -> list[Any]:
    """Overlaps, contradictions and omissions in what ``user`` can see (kehu.work.gaps)."""
    from kehu.work import gaps as gap_rules

    return gap_rules.find_gaps(user, **options)
