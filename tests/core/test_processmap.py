"""The process-map renderer: boxes, arrows, escaping and the bottleneck."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kehu.core.processmap import StageStat, bottleneck_index, render_svg


def parse(svg: object) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output


NS = {"s": "http://www.w3.org/2000/svg"}


def test_svg_has_a_box_per_step_and_arrows_between():
    stats = [StageStat("线索", count_now=3), StageStat("跟进"), StageStat("签约")]
    root = parse(render_svg(stats, title="销售流程"))
    assert len(root.findall(".//s:g", NS)) == 3
    assert len(root.findall(".//s:line", NS)) == 2
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "销售流程" in texts and "线索" in texts


def test_names_are_escaped():
    svg = str(render_svg([StageStat("<script>&", owner_label='"x"')], title='a"b'))
    parse(svg)  # still well-formed
    assert "<script>" not in svg


def test_bottleneck_is_most_overdue():
    stats = [StageStat("a", overdue=1), StageStat("b", overdue=4), StageStat("c", overdue=2)]
    assert bottleneck_index(stats) == 1
    root = parse(render_svg(stats))
    marked = [
        g.get("data-step") for g in root.findall(".//s:g", NS) if "pm-bottleneck" in g.get("class")
    ]
    assert marked == ["1"]


def test_bottleneck_without_overdue_is_median_relative_to_limit():
    stats = [
        StageStat("a", median_seconds=10_000, limit_seconds=100_000),
        StageStat("b", median_seconds=9_000, limit_seconds=10_000),
        StageStat("c", median_seconds=50_000),
    ]
    assert bottleneck_index(stats) == 1


def test_no_history_no_bottleneck():
    assert bottleneck_index([StageStat("a"), StageStat("b")]) is None
    assert bottleneck_index([]) is None
    assert (
        bottleneck_index([StageStat("a", median_seconds=5), StageStat("b", median_seconds=9)]) == 1
    )
