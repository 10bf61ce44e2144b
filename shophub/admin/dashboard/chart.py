"""A bar chart's geometry for a server-rendered SVG: no chart library, no script."""

from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
PLOT_LEFT, PLOT_BOTTOM, PLOT_TOP = 64, 228, 16


@dataclass(frozen=True)
class Bar:
    """One bar: its box, its label and its value."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    """Bars plus the y-axis gridlines (value, y position)."""

    bars: list[Bar]
    gridlines: list[tuple[int, float]]
    width: int = WIDTH
    height: int = HEIGHT


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(values: list[int], labels: list[str]) -> Chart:
    """Lay out one bar per value, scaled to a rounded maximum with four gridlines."""
    top = _nice_ceiling(max(values, default=0))
    plot_height = PLOT_BOTTOM - PLOT_TOP
    slot = (WIDTH - PLOT_LEFT) / max(len(values), 1)
    bars = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = plot_height * max(value, 0) / top
        bars.append(Bar(x=PLOT_LEFT + index * slot + slot * 0.15, y=PLOT_BOTTOM - height,
                        width=slot * 0.7, height=height, label=label, value=value))
    gridlines = [(top * step // 4, PLOT_BOTTOM - plot_height * step / 4) for step in range(5)]
    return Chart(bars=bars, gridlines=gridlines)
