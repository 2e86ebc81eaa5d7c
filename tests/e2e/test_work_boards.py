"""The division-of-labour boards in a real browser: the seed's plan from the built-in template
shows in the table with priority chips and progress bars, a kanban drag in one browser moves
the card in another user's browser without a reload (within a second or two, even on a busy
machine), and an edit in one tab shows in the same person's other tab."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _finish, _new_page, sign_in

pytestmark = pytest.mark.e2e
_n = itertools.count(1)
LIVE_DEADLINE_MS = 2000


def _signed_in(browser: Any, request: Any, base: str, username: str) -> tuple[Any, Any]:
    # tall: the demo's plan fills the columns, and a pointer drag needs both ends on screen
    context, page = _new_page(browser, request, viewport={"width": 1366, "height": 3200})
    page.goto(f"{base}/login/")
    sign_in(page, username)
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()
    return context, page


def _drag(page: Any, source: Any, target: Any) -> None:
    """A pointer drag the way a person does it: press, move in steps, release."""
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + a["width"] / 2 + 10, a["y"] + a["height"] / 2 + 10, steps=5)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + 20, steps=15)
    page.mouse.up()


def test_the_seed_plan_from_the_template_shows_in_the_division_table(
    page: Any, demo_server: Any
) -> None:
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "linxue")  # a customer manager leading 华东销售组
    page.goto(f"{base}/work/templates/")
    page.locator("a[href$='/use/']").first.click()  # the user reads Chinese: not by text
    page.fill("#id_start_on", (dt.date.today() + dt.timedelta(days=1)).isoformat())
    people = ["林雪", "王芳", "刘洋"]
    selects = page.locator("main form.card select[name^=role_]")
    for i in range(selects.count()):
        selects.nth(i).select_option(label=people[i % len(people)])
    page.locator("main form.card button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("客服体系升级")
    goal_id = page.url.rstrip("/").rsplit("/", 1)[1]

    page.goto(f"{base}/work/table/?goal={goal_id}")
    table = page.locator("[data-testid=division-table]")
    expect(table).to_be_visible()
    expect(table.locator("thead th", has_text="王芳")).to_be_visible()
    expect(table.locator("tbody th", has_text="客服体系升级")).to_be_visible()
    expect(table.locator(".chip[data-label=P0]").first).to_be_visible()
    assert table.locator(".task-card [role=progressbar]").count() >= 10

    # in place: set a card's progress, its bar follows
    card = table.locator(".task-card").first
    card.locator("[data-testid=edit-card]").click()
    form = page.locator("[data-testid=quick-form]")
    form.locator("select[name=status]").select_option("doing")
    form.locator("input[name=progress]").fill("60")
    form.locator("button[type=submit]").click()
    expect(table.locator(".task-card [aria-valuenow='60']").first).to_be_visible()


def test_a_kanban_drag_in_one_browser_moves_the_card_in_the_other(
    browser: Any, request: Any, demo_server: Any
) -> None:
    base = demo_server.url
    title = f"实时看板任务{next(_n)}-{dt.datetime.now():%H%M%S}"
    ctx_b, rep = _signed_in(browser, request, base, "wangfang")  # a sales rep
    try:
        rep.goto(f"{base}/work/tasks/new/")
        rep.fill("#id_title", title)
        rep.locator("form.form button[type=submit]").click()
        expect(rep.locator("h1")).to_contain_text(title)
        ctx_a, lead = _signed_in(browser, request, base, "linxue")  # her team's manager
        try:
            lead.goto(f"{base}/work/board/")
            rep.goto(f"{base}/work/board/")
            expect(rep.locator("body[data-work-live='1']")).to_be_attached()
            expect(lead.locator("body[data-work-live='1']")).to_be_attached()
            card = lead.locator("[data-column=todo] [data-task-id]", has_text=title)
            expect(card).to_be_visible()
            theirs = rep.locator("[data-column=todo] [data-task-id]", has_text=title)
            expect(theirs).to_be_visible()

            _drag(lead, card, lead.locator("[data-column=doing]"))
            expect(
                lead.locator("[data-column=doing] [data-task-id]", has_text=title)
            ).to_be_visible()
            # the other browser, never reloaded, shows the move: the issue asks for about a
            # second; 2 s (polled) leaves room for a loaded machine
            moved = rep.locator("[data-column=doing] [data-task-id]", has_text=title)
            expect(moved).to_be_visible(timeout=LIVE_DEADLINE_MS)
            expect(theirs).to_have_count(0)
        finally:
            _finish(request, lead, ctx_a)
    finally:
        _finish(request, rep, ctx_b)


def test_an_edit_in_one_tab_shows_in_the_same_persons_other_tab(
    browser: Any, request: Any, demo_server: Any
) -> None:
    base = demo_server.url
    title = f"两个标签页{next(_n)}-{dt.datetime.now():%H%M%S}"
    context, first = _signed_in(browser, request, base, "linxue")
    try:
        first.goto(f"{base}/work/tasks/new/")
        first.fill("#id_title", title)
        first.locator("form.form button[type=submit]").click()
        expect(first.locator("h1")).to_contain_text(title)
        second = context.new_page()  # the same session, another tab
        second.js_errors = []  # type: ignore[attr-defined]
        second.on("pageerror", lambda exc: second.js_errors.append(str(exc)))
        for tab in (first, second):
            tab.goto(f"{base}/work/table/")
            expect(tab.locator("body[data-work-live='1']")).to_be_attached()
        card = first.locator(".task-card", has_text=title)
        card.locator("[data-testid=edit-card]").click()
        form = first.locator("[data-testid=quick-form]")
        form.locator("select[name=status]").select_option("doing")
        form.locator("input[name=progress]").fill("35")
        form.locator("button[type=submit]").click()
        expect(first.locator(".task-card.status-doing", has_text=title)).to_be_visible()
        other = second.locator(".task-card.status-doing", has_text=title)
        expect(other).to_be_visible(timeout=LIVE_DEADLINE_MS)
        expect(other.locator("[aria-valuenow='35']")).to_be_attached()
        assert not second.js_errors, second.js_errors  # type: ignore[attr-defined]
    finally:
        _finish(request, first, context)
