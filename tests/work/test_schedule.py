"""The critical path: the longest chain of dependencies ending at the goal's latest task."""

from __future__ import annotations

import datetime as dt

from kehu.work.schedule import Span, critical_path, critical_paths_by_goal

D = dt.date(2026, 3, 2)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_the_longest_chain_to_the_last_task_wins() -> None:
    spans = [
        Span(1, day(0), day(9)),  # research, 10 days
        Span(2, day(0), day(1)),  # a short prerequisite
        Span(3, day(10), day(14)),  # complaint process, after 1 and 2
        Span(4, day(15), day(20)),  # after-sales, the last task
        Span(5, day(3), day(4)),  # unrelated
    ]
    edges = [(3, 1), (3, 2), (4, 3)]
    assert critical_path(spans, edges) == [1, 3, 4]


def test_a_tie_goes_to_the_prerequisite_that_ends_later() -> None:
    spans = [Span(1, day(0), day(2)), Span(2, day(1), day(3)), Span(3, day(4), day(5))]
    assert critical_path(spans, [(3, 1), (3, 2)]) == [2, 3]


def test_a_task_alone_is_its_own_path_and_nothing_is_empty() -> None:
    assert critical_path([Span(7, day(0), day(1))], []) == [7]
    assert critical_path([], []) == []
    assert critical_path([Span(8, None, None)], []) == []


def test_a_cycle_is_cut_instead_of_looping() -> None:
    spans = [Span(1, day(0), day(1)), Span(2, day(2), day(3))]
    assert critical_path(spans, [(2, 1), (1, 2)]) == [1, 2]


def test_per_goal_union_ignores_single_task_goals() -> None:
    spans = [
        Span(1, day(0), day(1), group=10),
        Span(2, day(2), day(4), group=10),
        Span(3, day(0), day(9), group=20),
    ]
    assert critical_paths_by_goal(spans, [(2, 1)]) == {1, 2}


def test_dates_missing_on_one_side_count_as_one_day() -> None:
    assert Span(1, None, day(3)).days == 1
    assert Span(1, day(0), day(0)).days == 1
    spans = [Span(1, None, day(3)), Span(2, day(1), day(8)), Span(3, day(9), day(9))]
    assert critical_path(spans, [(3, 1), (3, 2)]) == [2, 3]
