"""The pipeline board in a real browser: drag a deal to the next stage, and to lost with a
reason (the dialog refuses an empty one; cancelling puts the card back)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _open_board(page, base, wide=True):
    if wide:
        # Every column side by side: a drag then never relies on the board scrolling under
        # the pointer (a drop on a half-hidden column could land on its neighbour).
        page.set_viewport_size({"width": 1920, "height": 1000})
    page.goto(f"{base}/login/?next=/sales/")
    sign_in(page, "linxue")
    expect(page.locator("[data-testid=board]")).to_be_visible()


def drag(page, card, target):
    """Press on the card, move in steps onto the target list and release (pointer events)."""
    target.scroll_into_view_if_needed()
    card.scroll_into_view_if_needed()
    start = card.bounding_box()
    end = target.bounding_box()
    width = page.viewport_size["width"]
    assert end["x"] >= 0 and end["x"] + end["width"] <= width, "target column off screen"
    assert start["x"] >= 0 and start["x"] + start["width"] <= width, "card off screen"
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] - 8)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + min(end["height"] - 10, 40)
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] - 8, steps=3)
    page.mouse.move(x, y, steps=15)
    page.mouse.move(x, y + 2, steps=2)
    page.mouse.up()


def _column(page, kind, index=0):
    return page.locator(f".board-col[data-kind={kind}]").nth(index)


def _first_card_in_open_column(page):
    columns = page.locator(".board-col[data-kind=open]")
    for i in range(columns.count() - 1):
        cards = columns.nth(i).locator(".deal-card")
        if cards.count():
            return i, cards.first
    raise AssertionError("no open deal on the demo board")


def test_drag_to_next_stage_and_to_lost(page, demo_server):
    base = demo_server.url
    _open_board(page, base)
    i, card = _first_card_in_open_column(page)
    deal_id = card.get_attribute("data-deal")
    target = _column(page, "open", i + 1)
    before = int(target.locator("[data-col-count]").inner_text())
    drag(page, card, target.locator("[data-cards]"))
    moved = target.locator(f"[data-deal='{deal_id}']")
    expect(moved).to_be_visible()
    expect(target.locator("[data-col-count]")).to_have_text(str(before + 1))
    expect(page.locator("#toasts .toast")).to_be_visible()
    page.reload()
    expect(target.locator(f"[data-deal='{deal_id}']")).to_be_visible()

    # To lost: the dialog asks for the reason; cancelling puts the card back.
    lost = _column(page, "lost")
    card = target.locator(f"[data-deal='{deal_id}']")
    drag(page, card, lost.locator("[data-cards]"))
    dialog = page.locator("[data-lost-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("[data-lost-cancel]").click()
    expect(dialog).to_be_hidden()
    expect(target.locator(f"[data-deal='{deal_id}']")).to_be_visible()
    expect(lost.locator(f"[data-deal='{deal_id}']")).to_have_count(0)

    card = target.locator(f"[data-deal='{deal_id}']")
    version = card.get_attribute("data-version")
    drag(page, card, lost.locator("[data-cards]"))
    expect(dialog).to_be_visible()
    dialog.locator("[data-lost-ok]").click()  # empty: refused in the dialog
    expect(dialog.locator("[data-lost-error]")).to_be_visible()
    dialog.locator("[data-lost-reason]").fill("客户选择了竞品")
    dialog.locator("[data-lost-ok]").click()
    saved = lost.locator(f"[data-deal='{deal_id}']")
    expect(saved).to_be_visible()
    expect(saved).not_to_have_attribute("data-version", version)  # the server answered
    page.goto(f"{base}/sales/deals/{deal_id}/")
    expect(page.locator("[data-testid=lost-reason]")).to_have_text("客户选择了竞品")
    expect(page.locator("[data-testid=stage-history]")).to_contain_text("客户选择了竞品")


def test_refused_move_puts_card_back(page, demo_server):
    """A stale card (changed elsewhere since the board was drawn) is refused and put back."""
    base = demo_server.url
    _open_board(page, base)
    i, card = _first_card_in_open_column(page)
    deal_id = card.get_attribute("data-deal")
    source = _column(page, "open", i)
    card.evaluate("el => { el.dataset.version = '1' + el.dataset.version; }")
    drag(page, card, _column(page, "open", i + 1).locator("[data-cards]"))
    expect(page.locator("[data-board-error]")).to_be_visible()
    expect(page.locator("[data-board-error]")).to_contain_text(re.compile(r"\S"))
    expect(source.locator(f"[data-deal='{deal_id}']")).to_be_visible()


def test_board_at_phone_width(phone, demo_server):
    base = demo_server.url
    _open_board(phone, base, wide=False)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page is {width}px wide at 375px"
    expect(phone.locator(".board-col").first).to_be_visible()


def test_forecast_chart_and_flow_map_downloads(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/?next=/sales/forecast/")
    sign_in(page, "linxue")
    expect(page.locator("[data-testid=forecast-chart] svg")).to_be_visible()
    expect(page.locator("[data-testid=forecast-table] tbody tr").first).to_be_visible()
    page.goto(f"{base}/sales/map/")
    expect(page.locator("#sales-map .pm-step").first).to_be_visible()
    with page.expect_download() as svg:
        page.locator("[data-processmap-download=svg]").click()
    assert svg.value.suggested_filename == "sales-flow.svg"
    assert "<svg" in Path(svg.value.path()).read_text(encoding="utf-8")
    with page.expect_download() as png:
        page.locator("[data-processmap-download=png]").click()
    assert png.value.suggested_filename == "sales-flow.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
