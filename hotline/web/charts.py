"""Small server-rendered SVG charts: no JavaScript, nothing fetched, readable by screen readers.

Each chart is an `<svg role="img">` with a title and a description; the page also shows its numbers in a
table. Colours are from the Okabe-Ito palette (distinguishable with colour-blindness), darkened where needed
to keep 3:1 contrast against white, and every series is also named in a legend.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072b2", "#d55e00", "#007a5a", "#b0487f", "#8a5a00", "#4d4d4d", "#1b5e8c", "#6a3d9a")
_ids = itertools.count(1)

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 64


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above the value: a round top for the axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"


def _frame(
    chart_id: str, title: str, description: str, body: list[str], legend: list[Series], height: int = HEIGHT
) -> Markup:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height + 24 * ((len(legend) + 3) // 4)}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        *body,
    ]
    for index, series in enumerate(legend):
        x = LEFT + (index % 4) * 165
        y = height + 8 + (index // 4) * 24
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{series.color}"/>')
        parts.append(f'<text x="{x + 20}" y="{y + 12}" class="legend">{escape(series.name)}</text>')
    parts.append("</svg>")
    # Every piece of text above went through escape(); the rest is markup built here.
    return Markup("".join(parts))  # noqa: S704


def _axes(labels: Sequence[str], top_value: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    body = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = TOP + plot_h * (1 - fraction)
        body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="gridline"/>')
        body.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(_fmt(top_value * fraction))}{escape(unit)}</text>"
        )
    count = max(len(labels), 1)
    slot = (WIDTH - LEFT - RIGHT) / count
    # Label at most ~12 days so the axis stays readable; the table beside the chart has every one.
    every = max(1, -(-count // 12))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + slot * (index + 0.5)
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="end" class="tick" '
            f'transform="rotate(-40 {x:.1f} {HEIGHT - BOTTOM + 14})">{escape(label)}</text>'
        )
    return body


def _colored(series: Sequence[Series]) -> list[Series]:
    return [
        Series(item.name, item.values, item.color or PALETTE[index % len(PALETTE)])
        for index, item in enumerate(series)
    ]


def stacked_bars(*, title: str, description: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """One bar per label, stacked by series (e.g. tips per day, by channel)."""
    chart_id = f"chart{next(_ids)}"
    series = _colored(series)
    totals = [sum((item.values[i] or 0) for item in series) for i in range(len(labels))]
    # Counts: a top of at least 4 keeps the quarter ticks on whole numbers.
    top_value = max(_nice_max(max(totals, default=0)), 4)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = max(slot * 0.7, 1)
    body = _axes(labels, top_value, "")
    for index, label in enumerate(labels):
        y = TOP + plot_h
        x = LEFT + slot * index + (slot - bar_w) / 2
        for item in series:
            value = item.values[index] or 0
            if not value:
                continue
            height = plot_h * value / top_value
            y -= height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{item.color}">'
                f"<title>{escape(label)}: {escape(item.name)} {escape(_fmt(value))}</title></rect>"
            )
    return _frame(chart_id, title, description, body, series)


def lines(
    *, title: str, description: str, labels: Sequence[str], series: Sequence[Series], unit: str = ""
) -> Markup:
    """One line per series over the labels; a missing value breaks the line (e.g. p50 and p90 per day)."""
    chart_id = f"chart{next(_ids)}"
    series = _colored(series)
    values = [value for item in series for value in item.values if value is not None]
    top_value = _nice_max(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = _axes(labels, top_value, unit)
    for item in series:
        points: list[str] = []
        runs: list[list[str]] = []
        for index, value in enumerate(item.values):
            if value is None:
                if points:
                    runs.append(points)
                points = []
                continue
            x = LEFT + slot * (index + 0.5)
            y = TOP + plot_h * (1 - value / top_value)
            points.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{item.color}">'
                f"<title>{escape(labels[index])}: {escape(item.name)} "
                f"{escape(_fmt(value))}{escape(unit)}</title>"
                "</circle>"
            )
        if points:
            runs.append(points)
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{item.color}" stroke-width="2"/>'
                )
    return _frame(chart_id, title, description, body, series)


SHARE_HEIGHT = 130


def share_bar(*, title: str, description: str, parts: Sequence[tuple[str, int]]) -> Markup:
    """One horizontal bar split into shares (e.g. tips by minor status), each labelled with its percent."""
    chart_id = f"chart{next(_ids)}"
    series = _colored([Series(name, [count]) for name, count in parts])
    total = sum(count for _, count in parts)
    body: list[str] = []
    x = float(LEFT)
    width = WIDTH - LEFT - RIGHT
    for item in series:
        count = item.values[0] or 0
        if not total or not count:
            continue
        share = count / total
        bar = width * share
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + 20}" width="{bar:.1f}" height="56" fill="{item.color}">'
            f"<title>{escape(item.name)}: {int(count)} ({share:.0%})</title></rect>"
        )
        if bar > 44:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{TOP + 54}" text-anchor="middle" class="on-bar">'
                f"{share:.0%}</text>"
            )
        x += bar
    if not total:
        body.append(f'<text x="{LEFT}" y="{TOP + 54}" class="tick">No tips in this period.</text>')
    return _frame(chart_id, title, description, body, series, SHARE_HEIGHT)


BAR_ROW = 26


def ranked_bars(
    *, title: str, description: str, items: Sequence[tuple[str, int]], empty: str = "Nothing in this period."
) -> Markup:
    """One horizontal bar per label, longest first (e.g. decisions by state, overrides by rule)."""
    chart_id = f"chart{next(_ids)}"
    label_w = 170
    plot_w = WIDTH - label_w - RIGHT - 40
    top_value = max((count for _, count in items), default=0)
    body: list[str] = []
    for index, (label, count) in enumerate(items):
        y = TOP + index * BAR_ROW
        bar = plot_w * count / top_value if top_value else 0
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="tick">{escape(label)}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(bar, 1):.1f}" height="{BAR_ROW - 8}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {int(count)}</title></rect>'
        )
        body.append(f'<text x="{label_w + bar + 6:.1f}" y="{y + 16}" class="tick">{int(count)}</text>')
    if not items:
        body.append(f'<text x="{LEFT}" y="{TOP + 16}" class="tick">{escape(empty)}</text>')
    height = TOP + max(len(items), 1) * BAR_ROW + 8
    return _frame(chart_id, title, description, body, [], height)
