"""The Gantt in a real browser: a plan's bars with the today line, the dependency arrow and the
critical path marked; dragging a bar moves the task's dates (saved with its version)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _finish, _new_page, sign_in

pytestmark = pytest.mark.e2e
_n = itertools.count(1)


def _new_task(page: Any, base: str, title: str, goal: str, start: dt.date, due: dt.date) -> int:
    page.goto(f"{base}/work/tasks/new/")
    page.fill("#id_title", title)
    page.locator("#id_goal").select_option(label=goal)
    page.fill("#id_start_on", start.isoformat())
    page.fill("#id_due_on", due.isoformat())
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(title)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_drag_a_bar_to_move_a_task_and_see_the_critical_path(
    browser: Any, request: Any, demo_server: Any
) -> None:
    base = demo_server.url
    stamp = f"{next(_n)}-{dt.datetime.now():%H%M%S}"
    goal = f"甘特目标{stamp}"
    context, page = _new_page(browser, request, viewport={"width": 1366, "height": 1200})
    try:
        page.goto(f"{base}/login/")
        sign_in(page, "linxue")
        page.goto(f"{base}/work/goals/new/")
        page.fill("#id_title", goal)
        page.locator("form.form button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text(goal)
        goal_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        today = dt.date.today()
        first = _new_task(
            page, base, f"准备{stamp}", goal, today + dt.timedelta(days=1), today + dt.timedelta(3)
        )
        second = _new_task(
            page, base, f"上线{stamp}", goal, today + dt.timedelta(days=4), today + dt.timedelta(6)
        )
        page.locator("#dep-select").select_option(str(first))  # 上线 waits for 准备
        page.locator("#dep-select").locator("xpath=..").locator("button[type=submit]").click()
        expect(page.locator("main")).to_contain_text(f"准备{stamp}")

        page.goto(f"{base}/work/gantt/?goal={goal_id}")
        chart = page.locator("[data-testid=gantt]")
        expect(chart.locator(f".bar-wrapper[data-id='t{first}']")).to_be_visible()
        # the chain is the critical path, drawn with an arrow; today has its line
        for pk in (first, second):
            expect(chart.locator(f".bar-wrapper.bar-critical[data-id='t{pk}']")).to_be_attached()
        expect(page.locator("[data-testid=critical-count]")).to_contain_text(re.compile("2"))
        expect(chart.locator(".arrow").first).to_be_attached()
        expect(chart.locator(".current-highlight")).to_be_attached()

        # drag the first bar two days later
        bar = chart.locator(f".bar-wrapper[data-id='t{first}'] .bar")
        bar.scroll_into_view_if_needed()
        width = page.evaluate("window.kehuGantt.config.column_width")
        box = bar.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + width / 2, y, steps=5)
        page.mouse.move(x + 2 * width, y, steps=10)
        page.mouse.up()
        # the bar that waits for it moves along and is saved too, in either order
        expect(chart).to_have_attribute("data-saved", re.compile(rf"(^| )t{first}( |$)"))

        # the task moved later as a whole (the same three days), as saved by the server
        page.goto(f"{base}/work/tasks/{first}/")
        shown = page.locator("main").inner_text()
        start, due = (
            dt.date.fromisoformat(d)
            for d in re.search(r"(\d{4}-\d{2}-\d{2}) → (\d{4}-\d{2}-\d{2})", shown).groups()
        )
        assert start > today + dt.timedelta(days=1), shown
        assert due - start == dt.timedelta(days=2), shown
    finally:
        _finish(request, page, context)
