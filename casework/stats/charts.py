"""Small charts drawn on the server as inline SVG: no JavaScript library, no CDN, fine on a phone."""

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 40
COLORS = ("#8c1c13", "#0b5cad", "#2e7d32", "#ef6c00")


def _frame(title: str, body: list[str], legend: list[tuple[str, str]]) -> Markup:
    items = "".join(
        f'<rect x="{LEFT + i * 150}" y="{HEIGHT - 14}" width="10" height="10" fill="{color}"/>'
        f'<text x="{LEFT + i * 150 + 14}" y="{HEIGHT - 5}" font-size="11">{escape(name)}</text>'
        for i, (name, color) in enumerate(legend)
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif"><title>{escape(title)}</title>'
        + "".join(body)
        + items
        + "</svg>"
    )


def _axes(labels: list[str], top_value: float, fmt) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        tick = fmt(top_value * i / 4)
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + step * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 24}" font-size="10" text-anchor="middle">{escape(label)}</text>')
    return parts


def _round_up(value: int) -> int:
    """A top for the axis that makes its four ticks whole, round-ish numbers (99 → 100, 1234 → 1600)."""
    unit = 4 * 10 ** max(len(str(value)) - 2, 0)
    return max(4, -(-value // unit) * unit)


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> Markup:
    """Grouped bars, one group per label, one bar per series; values written above the bars."""
    top = _round_up(max([v for _, values in series for v in values] + [1]))
    plot_h, step = HEIGHT - TOP - BOTTOM, (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_w = step * 0.8 / max(len(series), 1)
    body = _axes(labels, top, lambda v: f"{v:.0f}")
    for s, (name, values) in enumerate(series):
        for i, value in enumerate(values):
            h = plot_h * value / top
            x = LEFT + step * i + step * 0.1 + bar_w * s
            body.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[s % len(COLORS)]}"><title>{escape(name)} {escape(labels[i])}: {value}</title></rect>'
            )
    return _frame(title, body, [(name, COLORS[i % len(COLORS)]) for i, (name, _) in enumerate(series)])


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[float | None]]]) -> Markup:
    """Rates from 0 to 100 %; a month without a denominator leaves a gap in its line."""
    plot_h, step = HEIGHT - TOP - BOTTOM, (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = _axes(labels, 1.0, lambda v: f"{v * 100:.0f}%")
    for s, (name, values) in enumerate(series):
        color = COLORS[s % len(COLORS)]
        segments, current = [], []
        for i, value in enumerate(values):
            if value is None:
                segments, current = segments + [current] if current else segments, []
                continue
            x, y = LEFT + step * (i + 0.5), TOP + plot_h * (1 - value)
            current.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)} {escape(labels[i])}: {value * 100:.1f}%</title></circle>"
            )
        for points in segments + ([current] if current else []):
            body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>')
    return _frame(title, body, [(name, COLORS[i % len(COLORS)]) for i, (name, _) in enumerate(series)])
