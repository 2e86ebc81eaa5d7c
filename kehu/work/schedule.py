"""Scheduling arithmetic for the Gantt: the critical path.

The critical path of a goal is the chain of tasks, linked by "depends on", that ends at the
goal's latest task (latest due date) and is the longest in days: delaying any task on it delays
the goal's end. Pure functions over plain values, so they are tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    id: int
    start: dt.date | None
    end: dt.date | None
    group: int | None = None  # the goal

    @property
    def days(self) -> int:
        if self.start is None and self.end is None:
            return 0
        start, end = self.start or self.end, self.end or self.start
        assert start is not None and end is not None
        return max((end - start).days + 1, 1)


def critical_path(spans: Iterable[Span], depends_on: Iterable[tuple[int, int]]) -> list[int]:
    """Ids on the critical path, first task first. ``depends_on`` holds (task, prerequisite)
    pairs. A dependency cycle (refused by the services, but never trusted here) is cut."""
    spans = [s for s in spans if s.end is not None or s.start is not None]
    if not spans:
        return []
    by_id = {s.id: s for s in spans}
    preds: dict[int, list[int]] = defaultdict(list)
    for task, prereq in depends_on:
        if task in by_id and prereq in by_id and task != prereq:
            preds[task].append(prereq)
    last = max(spans, key=lambda s: (s.end or s.start, s.days, -s.id))  # type: ignore[return-value]

    best: dict[int, tuple[int, list[int]]] = {}

    def longest(node: int, trail: frozenset[int]) -> tuple[int, list[int]]:
        if node in best:
            return best[node]
        candidates = []
        for p in preds.get(node, []):
            if p in trail:
                continue  # a cycle: ignore the edge that closes it
            length, chain = longest(p, trail | {p})
            # the longer chain wins; on a tie the prerequisite that ends later drives the date
            candidates.append((length, by_id[p].end or by_id[p].start, -p, chain))
        choice: tuple[int, list[int]] = (0, [])
        if candidates:
            top = max(candidates, key=lambda c: (c[0], c[1], c[2]))
            choice = (top[0], top[3])
        result = (choice[0] + by_id[node].days, [*choice[1], node])
        best[node] = result
        return result

    return longest(last.id, frozenset({last.id}))[1]


def critical_paths_by_goal(
    spans: Iterable[Span], depends_on: Iterable[tuple[int, int]]
) -> set[int]:
    """The union of the critical paths of each goal (tasks without a goal form one group)."""
    groups: dict[int | None, list[Span]] = defaultdict(list)
    for s in spans:
        groups[s.group].append(s)
    edges = list(depends_on)
    out: set[int] = set()
    for members in groups.values():
        path = critical_path(members, edges)
        if len(path) > 1:
            out.update(path)
    return out
