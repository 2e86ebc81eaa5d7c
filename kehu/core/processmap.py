"""A live process map: a flow's stages as boxes joined by arrows, drawn as SVG on the server.

Seed 003 asks for maps of the sales and service flows where every step shows its owner and its
time node, kept current. An app computes one :class:`StageStat` per step from its configuration
and data and calls :func:`render_svg`; the page shows the returned markup and, with the static
module ``kehu/processmap.js``, offers it for download as ``.svg`` and ``.png``.

Usage::

    from kehu.core.processmap import StageStat, render_svg

    svg = render_svg(
        [
            StageStat("受理", "客服组", "4 工作小时", count_now=12, overdue=3,
                      median_seconds=9000, limit_seconds=14400),
            StageStat("解决", "技术支持", "2 工作日", count_now=5, overdue=0,
                      median_seconds=86400, limit_seconds=57600),
        ],
        title="服务流程",
    )
    # template: <figure class="processmap">{{ svg }}</figure>
    #           <button data-processmap-download="svg" data-target="#map-svg" data-filename="x">
    #           (and data-processmap-download="png"); load {% static 'kehu/processmap.js' %}

The **bottleneck** is highlighted (red border and a label): the step with the most overdue
items; when nothing is overdue, the step whose median time is the largest share of its limit
(``median_seconds / limit_seconds``), or — without limits — the largest median. Steps with no
items and no history are never the bottleneck. :func:`bottleneck_index` tells which one it is.

The SVG carries literal colours and fonts (no CSS variables) so the downloaded file looks the
same outside Kehu. Everything user-visible goes through gettext; names are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BOX_W = 200
BOX_H = 132
GAP = 56
PAD = 16
TITLE_H = 36

COLOURS = {
    "text": "#1e293b",
    "muted": "#64748b",
    "border": "#cbd5e1",
    "surface": "#ffffff",
    "bg": "#f8fafc",
    "arrow": "#94a3b8",
    "danger": "#dc2626",
    "danger_bg": "#fef2f2",
    "primary": "#2f6bff",
}
FONT = "-apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif"


@dataclass(frozen=True)
class StageStat:
    """One step of a flow as the map shows it.

    ``name``: the step; ``owner_label``: who answers for it (a person, a role or a team);
    ``time_limit_label``: its time node as people read it ("2 working days"); ``count_now``:
    items in the step now; ``overdue``: those past their limit; ``median_seconds``: the median
    time items spent in it (None: no history yet); ``limit_seconds``: the limit in seconds, to
    weigh the median against (optional); ``url``: where a click on the box leads (optional).
    """

    name: str
    owner_label: str = ""
    time_limit_label: str = ""
    count_now: int = 0
    overdue: int = 0
    median_seconds: float | None = None
    limit_seconds: float | None = None
    url: str = ""


def duration_label(seconds: float | None) -> str:
    """A short human duration: 45 min, 3.5 h, 2.3 d."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(n)d min") % {"n": round(seconds / 60)}
    if seconds < 86400:
        return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}".rstrip("0").rstrip(".")}
    return _("%(n)s d") % {"n": f"{seconds / 86400:.1f}".rstrip("0").rstrip(".")}


def bottleneck_index(stats: list[StageStat]) -> int | None:
    """Which step holds the flow up most (see the module docstring), or None."""
    if not stats:
        return None
    most_overdue = max(range(len(stats)), key=lambda i: (stats[i].overdue, -i))
    if stats[most_overdue].overdue > 0:
        return most_overdue
    scored = []
    for i, s in enumerate(stats):
        if s.median_seconds is None:
            continue
        ratio = s.median_seconds / s.limit_seconds if s.limit_seconds else None
        scored.append((ratio if ratio is not None else -1.0, s.median_seconds, -i, i))
    if not scored:
        return None
    if any(r >= 0 for r, *_rest in scored):
        return max(x for x in scored if x[0] >= 0)[3]
    return max(scored, key=lambda x: (x[1], x[2]))[3]


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 13,
    weight: str = "normal",
    fill: str = COLOURS["text"],
    anchor: str = "middle",
) -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" '
        f'fill="{fill}" text-anchor="{anchor}">{escape(content)}</text>'
    )


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _clip(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(
    stats: list[StageStat], *, title: str = "", element_id: str = "processmap"
) -> SafeString:
    """The map as an ``<svg>`` element (safe markup): steps left to right joined by arrows,
    the bottleneck highlighted. It scales to its container (``viewBox``), so the page decides
    the width (wrap it in a horizontally scrolling box for narrow screens)."""
    n = max(len(stats), 1)
    width = PAD * 2 + n * BOX_W + (n - 1) * GAP
    top = PAD + (TITLE_H if title else 0)
    height = top + BOX_H + PAD + 8
    neck = bottleneck_index(stats)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_attr(element_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{_attr(FONT)}" role="img" '
        f'aria-label="{_attr(title or _("Process map"))}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{COLOURS["bg"]}"/>',
        '<defs><marker id="pm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{COLOURS["arrow"]}"/></marker></defs>',
    ]
    if title:
        parts.append(_text(PAD, PAD + 20, title, size=16, weight="bold", anchor="start"))
    for i, s in enumerate(stats):
        x = PAD + i * (BOX_W + GAP)
        is_neck = i == neck
        stroke = COLOURS["danger"] if is_neck else COLOURS["border"]
        fill = COLOURS["danger_bg"] if is_neck else COLOURS["surface"]
        cx = x + BOX_W / 2
        box = [
            f'<g class="pm-step{" pm-bottleneck" if is_neck else ""}" data-step="{i}">',
            f'<rect x="{x}" y="{top}" width="{BOX_W}" height="{BOX_H}" rx="10" ry="10" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if is_neck else 1.5}"/>',
            _text(cx, top + 24, _clip(s.name), size=15, weight="bold"),
            _text(
                cx,
                top + 44,
                _clip(s.owner_label or _("No fixed owner"), 18),
                size=12,
                fill=COLOURS["muted"],
            ),
            _text(
                cx,
                top + 62,
                _clip(s.time_limit_label or _("No time limit"), 18),
                size=12,
                fill=COLOURS["muted"],
            ),
            _text(
                cx,
                top + 86,
                _("Now %(n)d · overdue %(o)d") % {"n": s.count_now, "o": s.overdue},
                size=13,
                fill=COLOURS["danger"] if s.overdue else COLOURS["text"],
            ),
            _text(
                cx, top + 106, _("Median %(t)s") % {"t": duration_label(s.median_seconds)}, size=12
            ),
        ]
        if is_neck:
            box.append(
                _text(
                    cx, top + 124, _("Bottleneck"), size=11, weight="bold", fill=COLOURS["danger"]
                )
            )
        box.append("</g>")
        if s.url:
            box = [f'<a href="{_attr(s.url)}">', *box, "</a>"]
        parts.extend(box)
        if i < len(stats) - 1:
            y = top + BOX_H / 2
            parts.append(
                f'<line x1="{x + BOX_W + 4}" y1="{y}" x2="{x + BOX_W + GAP - 6}" y2="{y}" '
                f'stroke="{COLOURS["arrow"]}" stroke-width="2" marker-end="url(#pm-arrow)"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
