"""Server-drawn SVG bar charts: the geometry in Python, the drawing in templates/admin/dashboard/_bar_chart.html.

Horizontal bars, so long labels (event titles, sectors) stay readable; one bar per series in each row.
Each chart carries a title and a description for `role="img"`, and the page prints its data as a table.
"""

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

LABEL_WIDTH = 230
PLOT_LEFT = 240
PLOT_WIDTH = 330
WIDTH = 660
BAR_HEIGHT = 16
ROW_GAP = 12
LEGEND_HEIGHT = 26
MAX_LABEL_CHARS = 34  # per line: a longer label wraps onto more lines, never cut
LINE_HEIGHT = 14

Number = int | Decimal


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: float
    height: int
    value_text: str
    value_x: float
    text_y: int
    series: int


@dataclass(frozen=True)
class Row:
    label: str
    lines: list[tuple[str, int]]  # the label wrapped, each line with its y
    label_y: int
    bars: list[Bar]
    values: list[str]


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    series: list[tuple[int, str, int]]  # (index, name, legend x)
    rows: list[Row]
    width: int = WIDTH
    height: int = 0
    legend: bool = False
    axis_x: int = PLOT_LEFT
    label_x: int = LABEL_WIDTH
    extra: dict = field(default_factory=dict)


def label_lines(label: str) -> list[str]:
    """The whole label on lines of at most MAX_LABEL_CHARS, broken between words: two calls whose names
    differ only at the end ("... Awards 2024", "... Awards 2025") stay told apart."""
    return textwrap.wrap(label, MAX_LABEL_CHARS, break_long_words=True) or [""]


def number(value: Number) -> str:
    return f"{int(value):,}"


def pounds(value: Number) -> str:
    return f"£{Decimal(value):,.0f}"


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    series: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Number]]],
    fmt: Callable[[Number], str] = number,
) -> BarChart:
    """Lay out `rows` of (label, one value per series) as horizontal bars scaled to the largest value."""
    legend = len(series) > 1
    top = LEGEND_HEIGHT if legend else 4
    largest = max((v for _, values in rows for v in values), default=0) or 1
    bars_height = BAR_HEIGHT * len(series)
    laid_out = []
    y0 = top
    for label, values in rows:
        lines = label_lines(label)
        row_height = max(bars_height, LINE_HEIGHT * len(lines))
        bars_top = y0 + (row_height - bars_height) // 2
        bars = []
        for s, value in enumerate(values):
            y = bars_top + s * BAR_HEIGHT
            width = round(PLOT_WIDTH * float(value) / float(largest), 1)
            bars.append(
                Bar(
                    x=PLOT_LEFT,
                    y=y,
                    width=width,
                    height=BAR_HEIGHT - 2,
                    value_text=fmt(value),
                    value_x=PLOT_LEFT + width + 6,
                    text_y=y + BAR_HEIGHT - 5,
                    series=s,
                )
            )
        first_line_y = y0 + (row_height - LINE_HEIGHT * len(lines)) // 2 + LINE_HEIGHT - 3
        placed = [(line, first_line_y + n * LINE_HEIGHT) for n, line in enumerate(lines)]
        laid_out.append(Row(label, placed, placed[0][1], bars, [fmt(v) for v in values]))
        y0 += row_height + ROW_GAP
    legend_items = [(s, name, PLOT_LEFT + s * 160) for s, name in enumerate(series)]
    height = (y0 if rows else top + bars_height + ROW_GAP) + 4
    return BarChart(
        id=id, title=title, description=description, series=legend_items, rows=laid_out, height=height, legend=legend
    )


def heat_level(value: int, largest: int) -> int:
    """0 for nothing, then 1 to 5 by share of the largest cell: the class the heat-map cell gets."""
    if not value or not largest:
        return 0
    return max(1, min(5, -(-5 * value // largest)))
