"""Gaps in the division of labour: work that overlaps, contradicts itself, or was forgotten.

Every rule reads only what the viewer may see, from a handful of queries (tasks, goals,
dependencies, names), and returns :class:`Finding` records — kind, severity, a translated
message and links to the records concerned.

Rules (open tasks are those not done):

* ``overlap`` — two open tasks of the same area, for the same customer or the same goal, held
  by different responsible people, whose date ranges overlap: two people doing the same job.
  One finding per (customer or goal, area), listing every task involved.
* ``contradiction`` — one customer, open tasks by different responsible people in *different*
  areas whose date ranges overlap: the customer is approached by several colleagues in the
  same follow-up window without one of them coordinating (e.g. sales pushes a renewal while
  complaint handling is still open). One finding per customer.
* ``do_not_contact`` — one open task marks its customer "do not contact" (勿扰 / 暂停联系 /
  不要联系 / 勿联系 / do not contact in its title or description) while another person holds
  an open task for that customer whose dates reach into that task's window or later.
* ``goal_without_tasks`` — an open goal or sub-goal with no task in it or below it.
* ``no_responsible`` — an open task with nobody responsible.
* ``overdue`` — an open task past its due date.
* ``blocked`` — a task marked blocked.
* ``goal_late`` — an open goal with a due date whose tasks cannot finish in time: a task in it
  (or its sub-goals) is due after the goal, or the end of a dependency chain reaching one of
  its tasks is after the goal's due date. An open task already past its due date counts as
  finishing today at the earliest (so it can push its goal past due, and what waits for it).
* ``stale`` — a team's or goal's table with open tasks where nothing (tasks or goal) changed
  for ``stale_days`` days (``KEHU_WORK_STALE_DAYS``, 14 by default).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.work.models import Area, Goal, Task

DO_NOT_CONTACT = ("勿扰", "暂停联系", "不要联系", "勿联系", "do not contact", "don't contact")

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class Finding:
    kind: str
    severity: str  # high | medium | low
    message: str
    links: list[dict[str, str]] = field(default_factory=list)  # [{"label", "url"}]
    task_ids: list[int] = field(default_factory=list)
    goal_id: int | None = None
    customer_id: int | None = None
    team_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "links": self.links,
            "task_ids": self.task_ids,
            "goal_id": self.goal_id,
            "customer_id": self.customer_id,
            "team_id": self.team_id,
        }


@dataclass
class _T:
    id: int
    title: str
    description: str
    status: str
    area_id: int | None
    goal_id: int | None
    customer_id: int | None
    responsible_id: int | None
    start_on: dt.date | None
    due_on: dt.date | None
    updated_at: dt.datetime

    @property
    def open(self) -> bool:
        return self.status != Task.Status.DONE

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        first = self.start_on or self.due_on
        last = self.due_on or self.start_on
        if first is None or last is None:
            return None
        return (min(first, last), max(first, last))

    @property
    def link(self) -> dict[str, str]:
        return {"label": self.title, "url": f"/work/tasks/{self.id}/"}


def _clashing(tasks: list[_T], *, different_area: bool = False) -> list[_T]:
    """The tasks whose dates overlap a task of another responsible person (and, with
    ``different_area``, of another area), in date order. A sweep over the tasks sorted by
    start: each is compared only with those still running when it starts."""
    ordered = sorted(tasks, key=lambda t: (t.window or (dt.date.min, dt.date.min))[0])
    running: list[_T] = []
    involved: dict[int, _T] = {}
    for task in ordered:
        start, _end = task.window  # type: ignore[misc]
        running = [r for r in running if r.window[1] >= start]  # type: ignore[index]
        for other in running:
            if other.responsible_id == task.responsible_id:
                continue
            if different_area and other.area_id == task.area_id:
                continue
            involved[task.id] = task
            involved[other.id] = other
        running.append(task)
    return [t for t in ordered if t.id in involved]


def find_gaps(
    user: Any,
    *,
    team: Any = None,
    goal: Any = None,
    today: dt.date | None = None,
    stale_days: int | None = None,
    kinds: set[str] | None = None,
) -> list[Finding]:
    """Findings for what ``user`` can see (optionally one team's or one goal's table), most
    severe first."""
    from kehu.accounts.models import NAME_FIELDS, User
    from kehu.customers.models import Customer
    from kehu.work import selectors

    today = today or timezone.localdate()
    stale_days = stale_days if stale_days is not None else settings.KEHU_WORK_STALE_DAYS
    qs, _members = selectors._scoped_tasks(user, team=team, goal=goal)
    tasks = [
        _T(*row)
        for row in qs.values_list(
            "id",
            "title",
            "description",
            "status",
            "area_id",
            "goal_id",
            "customer_id",
            "responsible_id",
            "start_on",
            "due_on",
            "updated_at",
        )
    ]
    goals_qs = selectors.goals_visible_to(user)
    if goal is not None:
        goals_qs = goals_qs.filter(
            pk__in=selectors._goal_tree_ids([int(getattr(goal, "pk", goal))])
        )
    elif team is not None:
        goals_qs = goals_qs.filter(team=team)
    goals = {
        g[0]: g
        for g in goals_qs.values_list(
            "pk", "title", "parent_id", "status", "due_on", "team_id", "updated_at"
        )
    }
    by_id = {t.id: t for t in tasks}
    names = {
        pk: str(u)
        for pk, u in (
            (u.pk, u)
            for u in User.objects.filter(
                pk__in={t.responsible_id for t in tasks if t.responsible_id}
            ).only("pk", *NAME_FIELDS)
        )
    }
    customer_ids = {t.customer_id for t in tasks if t.customer_id}
    customers = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name"))
    findings: list[Finding] = []
    want = (lambda k: k in kinds) if kinds else (lambda k: True)
    open_tasks = [t for t in tasks if t.open]

    def who(t: _T) -> str:
        return names.get(t.responsible_id or 0, "—")

    def customer_link(pk: int) -> dict[str, str]:
        return {"label": customers.get(pk, str(pk)), "url": f"/customers/{pk}/"}

    # -- overlaps: same area, same customer or goal, different people, overlapping dates ----
    area_names = dict(Area.objects.values_list("pk", "name"))
    if want("overlap"):
        groups: dict[tuple[str, int, int], list[_T]] = defaultdict(list)
        for t in open_tasks:
            if t.area_id and t.responsible_id and t.window:
                if t.customer_id:
                    groups[("c", t.customer_id, t.area_id)].append(t)
                if t.goal_id:
                    groups[("g", t.goal_id, t.area_id)].append(t)
        for (what, key, area_id), members in groups.items():
            involved = _clashing(members)
            if not involved:
                continue
            target = customers.get(key, "") if what == "c" else goals.get(key, ("", ""))[1]
            findings.append(
                Finding(
                    "overlap",
                    "medium",
                    _(
                        "%(people)s do the same kind of work (%(area)s) for “%(target)s” at "
                        "the same time: %(tasks)s."
                    )
                    % {
                        "people": "、".join(sorted({who(t) for t in involved})),
                        "area": area_names.get(area_id, ""),
                        "target": target,
                        "tasks": "、".join(f"“{t.title}”" for t in involved),
                    },
                    [t.link for t in involved],
                    [t.id for t in involved],
                    goal_id=key if what == "g" else None,
                    customer_id=key if what == "c" else None,
                )
            )

    # -- contradictions for one customer ---------------------------------------------------
    by_customer: dict[int, list[_T]] = defaultdict(list)
    for t in open_tasks:
        if t.customer_id:
            by_customer[t.customer_id].append(t)
    if want("contradiction"):
        for customer_id, members in by_customer.items():
            involved = _clashing(
                [t for t in members if t.responsible_id and t.window], different_area=True
            )
            if not involved:
                continue
            findings.append(
                Finding(
                    "contradiction",
                    "medium",
                    _(
                        "“%(customer)s” is approached by %(people)s in the same period "
                        "(%(tasks)s): agree who speaks to the customer."
                    )
                    % {
                        "customer": customers.get(customer_id, ""),
                        "people": "、".join(sorted({who(t) for t in involved})),
                        "tasks": "、".join(f"“{t.title}”" for t in involved),
                    },
                    [customer_link(customer_id), *[t.link for t in involved]],
                    [t.id for t in involved],
                    customer_id=customer_id,
                )
            )
    if want("do_not_contact"):
        for customer_id, members in by_customer.items():
            for stop in members:
                text = f"{stop.title} {stop.description}".lower()
                if not any(marker in text for marker in DO_NOT_CONTACT):
                    continue
                window = stop.window
                for other in members:
                    if other.id == stop.id or other.responsible_id == stop.responsible_id:
                        continue
                    other_end = (other.window or (None, None))[1]
                    if window is None or other_end is None or other_end >= window[0]:
                        findings.append(
                            Finding(
                                "do_not_contact",
                                "high",
                                _(
                                    "“%(customer)s” is marked not to be contacted in “%(stop)s” "
                                    "(%(stop_person)s), but %(person)s plans “%(task)s”."
                                )
                                % {
                                    "customer": customers.get(customer_id, ""),
                                    "stop": stop.title,
                                    "stop_person": who(stop),
                                    "person": who(other),
                                    "task": other.title,
                                },
                                [customer_link(customer_id), stop.link, other.link],
                                [stop.id, other.id],
                                customer_id=customer_id,
                            )
                        )

    # -- omissions on tasks ------------------------------------------------------------------
    for t in open_tasks:
        if want("no_responsible") and t.responsible_id is None:
            findings.append(
                Finding(
                    "no_responsible",
                    "high",
                    _("“%(task)s” has nobody responsible.") % {"task": t.title},
                    [t.link],
                    [t.id],
                    goal_id=t.goal_id,
                )
            )
        if want("overdue") and t.due_on and t.due_on < today:
            findings.append(
                Finding(
                    "overdue",
                    "high",
                    _("“%(task)s” (%(person)s) was due on %(due)s.")
                    % {"task": t.title, "person": who(t), "due": t.due_on.isoformat()},
                    [t.link],
                    [t.id],
                    goal_id=t.goal_id,
                )
            )
        if want("blocked") and t.status == Task.Status.BLOCKED:
            findings.append(
                Finding(
                    "blocked",
                    "medium",
                    _("“%(task)s” (%(person)s) is blocked.") % {"task": t.title, "person": who(t)},
                    [t.link],
                    [t.id],
                    goal_id=t.goal_id,
                )
            )

    # -- goals -------------------------------------------------------------------------------
    children: dict[int, list[int]] = defaultdict(list)
    for pk, _title, parent_id, *_rest in goals.values():
        if parent_id:
            children[parent_id].append(pk)

    def subtree(pk: int) -> list[int]:
        out, stack = [], [pk]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(children.get(node, []))
        return out

    tasks_by_goal: dict[int, list[_T]] = defaultdict(list)
    for t in tasks:
        if t.goal_id:
            tasks_by_goal[t.goal_id].append(t)
    # Goal-wide task lists need every task of the goal, not only the visible ones' subset
    # when narrowed to a team: fetch the missing ones' ids only for the "no task" rule.
    all_goal_ids_with_tasks = set(
        Task.objects.filter(goal_id__in=list(goals)).values_list("goal_id", flat=True).distinct()
    )
    finish = _finish_dates(tasks, by_id, today) if want("goal_late") else {}
    for pk, title, _parent, status, due_on, team_id, updated_at in goals.values():
        if status != Goal.Status.OPEN:
            continue
        tree = subtree(pk)
        link = {"label": title, "url": f"/work/goals/{pk}/"}
        if want("goal_without_tasks") and not (set(tree) & all_goal_ids_with_tasks):
            findings.append(
                Finding(
                    "goal_without_tasks",
                    "medium",
                    _("The goal “%(goal)s” has no task: nobody works on it yet.") % {"goal": title},
                    [link],
                    goal_id=pk,
                    team_id=team_id,
                )
            )
        in_goal = [t for g in tree for t in tasks_by_goal.get(g, [])]
        if want("goal_late") and due_on:
            late = [t for t in in_goal if t.open and finish.get(t.id) and finish[t.id] > due_on]
            if late:
                worst = max(late, key=lambda t: finish[t.id])
                findings.append(
                    Finding(
                        "goal_late",
                        "high",
                        _(
                            "The goal “%(goal)s” is due on %(due)s but its work cannot finish "
                            "before %(end)s (“%(task)s”)."
                        )
                        % {
                            "goal": title,
                            "due": due_on.isoformat(),
                            "end": finish[worst.id].isoformat(),
                            "task": worst.title,
                        },
                        [link, *[t.link for t in late[:5]]],
                        [t.id for t in late],
                        goal_id=pk,
                        team_id=team_id,
                    )
                )
        if want("stale") and any(t.open for t in in_goal):
            last = max([updated_at, *[t.updated_at for t in in_goal]])
            idle = (timezone.now() - last).days
            if idle >= stale_days:
                findings.append(
                    Finding(
                        "stale",
                        "low",
                        _("Nothing in “%(goal)s” changed for %(days)d days.")
                        % {"goal": title, "days": idle},
                        [link],
                        goal_id=pk,
                        team_id=team_id,
                    )
                )
    if want("stale") and team is not None and goal is None:
        open_in_team = [t for t in tasks if t.open]
        if open_in_team:
            last = max(t.updated_at for t in tasks)
            idle = (timezone.now() - last).days
            if idle >= stale_days:
                findings.append(
                    Finding(
                        "stale",
                        "low",
                        _("Nothing in the table of “%(team)s” changed for %(days)d days.")
                        % {"team": str(team), "days": idle},
                        team_id=getattr(team, "pk", team),
                    )
                )
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.kind))
    return findings


def _finish_dates(tasks: list[_T], by_id: dict[int, _T], today: dt.date) -> dict[int, dt.date]:
    """Each open task's earliest possible finish: its own due date, or later when something it
    depends on (transitively) ends so late that the task's own duration no longer fits: it
    starts the day after its prerequisite ends and takes as many days as planned. An open task
    whose due date has passed finishes today at the earliest, not on that past date."""
    through = Task.depends_on.through
    deps: dict[int, list[int]] = defaultdict(list)
    for src, dst in through.objects.filter(from_task_id__in=list(by_id)).values_list(
        "from_task_id", "to_task_id"
    ):
        deps[src].append(dst)
    missing = {d for ds in deps.values() for d in ds} - set(by_id)
    extra: dict[int, tuple[str, dt.date | None]] = {}
    if missing:
        # Prerequisites out of view still delay the goal; only their dates are used.
        extra = {
            pk: (status, due)
            for pk, status, due in Task.objects.filter(pk__in=missing).values_list(
                "pk", "status", "due_on"
            )
        }
    memo: dict[int, dt.date | None] = {}

    def end(pk: int, trail: frozenset[int]) -> dt.date | None:
        if pk in memo:
            return memo[pk]
        if pk in trail:
            return None
        length = dt.timedelta(0)
        if pk in by_id:
            status, own = by_id[pk].status, by_id[pk].due_on
            window = by_id[pk].window
            if window:
                length = window[1] - window[0]
        else:
            status, own = extra.get(pk, ("done", None))
        if status == Task.Status.DONE:
            memo[pk] = None
            return None
        best = max(own, today) if own is not None else None
        for d in deps.get(pk, []):
            other = end(d, trail | {pk})
            if other is None:
                continue
            # It starts the day after what it waits for ends, and still needs its own days.
            pushed = other + dt.timedelta(days=1) + length
            if best is None or pushed > best:
                best = pushed
        memo[pk] = best
        return best

    return {t.id: d for t in tasks if t.open and (d := end(t.id, frozenset())) is not None}
