"""Server-rendered SVG charts for the indicator pages: no JavaScript, no external files.

Each chart is an accessible image (role="img" with <title> and <desc>); every figure it draws
is also in the table next to it, which stays the data source. Values are placed on a scale
from zero, so a bar twice as long means twice the value.
"""

import math
from itertools import count

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

PALETTE = ("#b71c1c", "#1d4ed8", "#166534", "#92400e", "#6b21a8", "#0f766e", "#52606d")
_ids = count(1)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (a readable axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power


def _frame(width: int, height: int, title: str, desc: str, body: SafeString) -> SafeString:
    uid = next(_ids)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="chart-{id}-title chart-{id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-{id}-title">{title}</title><desc id="chart-{id}-desc">{desc}</desc>'
        "{body}</svg>",
        w=width,
        h=height,
        id=uid,
        title=title,
        desc=desc,
        body=body,
    )


def _empty(width: int, title: str, desc: str) -> SafeString:
    body = format_html(
        '<text class="chart-empty" x="{x}" y="40" text-anchor="middle">{text}</text>',
        x=width // 2,
        text=_("No data yet."),
    )
    return _frame(width, 80, title, desc, body)


@register.simple_tag
def line_chart(
    months: list[str], series: list[tuple[str, list]], title: str, desc: str = "", unit: str = ""
) -> SafeString:
    """One line per series over `months`; a missing value (None) breaks the line."""
    values = [v for _name, points in series for v in points if v is not None]
    width, height, left, right, top, bottom = 640, 260, 44, 130, 12, 34
    if not months or not values:
        return _empty(width, title, desc)
    top_value = nice_ceiling(max(values))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return round(left + (i * step if len(months) > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - v / top_value), 1)

    parts = []
    for k in range(5):  # gridlines and the value axis
        v = top_value * k / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/>'
                '<text class="axis" x="{tx}" y="{y}" text-anchor="end" dy="4">{v}</text>',
                l=left,
                r=width - right,
                y=y(v),
                tx=left - 6,
                v=f"{v:g}",
            )
        )
    label_every = max(1, math.ceil(len(months) / 8))
    for i, m in enumerate(months):
        if (len(months) - 1 - i) % label_every == 0:  # evenly spaced, ending on the last
            parts.append(
                format_html(
                    '<text class="axis" x="{x}" y="{y}" text-anchor="middle">{m}</text>',
                    x=x(i),
                    y=height - 12,
                    m=m,
                )
            )
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        path, pen_down = [], False
        for i, v in enumerate(points):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x(i)} {y(v)}")
            pen_down = True
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3" fill="{}" data-value="{}"><title>{}</title></circle>',
            (
                (x(i), y(v), colour, f"{v:g}", f"{name} {months[i]}: {v:g}{unit}")
                for i, v in enumerate(points)
                if v is not None
            ),
        )
        parts.append(
            format_html(
                '<g class="series" data-series="{name}"><path d="{d}" fill="none" '
                'stroke="{c}" stroke-width="2"/>{dots}</g>'
                '<rect x="{lx}" y="{ly}" width="12" height="12" fill="{c}"/>'
                '<text class="legend" x="{tx}" y="{ty}">{name}</text>',
                name=name,
                d=" ".join(path),
                c=colour,
                dots=dots,
                lx=width - right + 14,
                ly=top + n * 20,
                tx=width - right + 32,
                ty=top + n * 20 + 10,
            )
        )
    return _frame(width, height, title, desc, mark_safe("".join(parts)))  # noqa: S308


@register.simple_tag
def bar_chart(
    items: list[tuple[str, float]], title: str, desc: str = "", top_value: float = 0, unit: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, value); the scale runs from 0 to `top_value` (for a
    rate, 100) or to a readable ceiling of the largest value."""
    width, label_w, bar_h, gap, right = 640, 200, 20, 8, 60
    if not items:
        return _empty(width, title, desc)
    top_value = top_value or nice_ceiling(max(v for _label, v in items))
    plot_w = width - label_w - right
    height = len(items) * (bar_h + gap) + gap
    bars = format_html_join(
        "",
        '<g class="bar"><text class="axis" x="{}" y="{}" text-anchor="end" dy="4">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" data-value="{}"><title>{}</title></rect>'
        '<text class="value" x="{}" y="{}" dy="4">{}</text></g>',
        (
            (
                label_w - 8,
                gap + i * (bar_h + gap) + bar_h / 2,
                label,
                label_w,
                gap + i * (bar_h + gap),
                round(plot_w * min(value, top_value) / top_value, 1),
                bar_h,
                f"{value:g}",
                f"{label}: {value:.1f}{unit}",
                label_w + round(plot_w * min(value, top_value) / top_value, 1) + 6,
                gap + i * (bar_h + gap) + bar_h / 2,
                f"{value:.1f}{unit}",
            )
            for i, (label, value) in enumerate(items)
        ),
    )
    return _frame(width, height, title, desc, bars)
