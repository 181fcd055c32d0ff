"""Issue 14: every dashboard chart label shows the whole call (or event) name, wrapped, so calls whose names
differ only at the end are told apart; wrapped rows never overlap."""

import re

import pytest

from awards.models import Application
from crossector.dashboard.charts import MAX_LABEL_CHARS, bar_chart
from tests.awards.factories import AwardCallFactory
from tests.awards.staff import submitted

NAMES = [
    "Cross-Sector Experience Awards 2024",
    "Cross-Sector Experience Awards 2025",
    "Cross-Sector Experience Awards 2025: cell and gene therapy round for NHS and SME partners",
    "Short",
    "Supercalifragilisticexpialidociousinterdisciplinaryplacement 2026",  # one word longer than a line
]


def svg_labels(page: str, chart_id: str) -> list[str]:
    svg = page[page.index(f'id="{chart_id}-title"') :]
    svg = svg[: svg.index("</svg>")]
    texts = re.findall(r'<text class="dash-text dash-label"[^>]*>(.*?)</text>', svg, re.S)
    return ["".join(re.findall(r"<tspan[^>]*>(.*?)</tspan>", t)) for t in texts]


@pytest.mark.django_db
def test_call_chart_labels_show_every_call_name_in_full(staff_client):
    for name in NAMES:
        submitted(call=AwardCallFactory(name=name), status=Application.Status.AWARDED)
    page = staff_client.get("/admin/dashboard/").content.decode()
    for chart_id in ("chart-calls", "chart-money"):
        labels = svg_labels(page, chart_id)
        assert len(labels) == len(NAMES), chart_id
        squashed = {label.replace(" ", "") for label in labels}
        assert squashed == {name.replace(" ", "") for name in NAMES}, chart_id
        assert not any("…" in label for label in labels)


@pytest.mark.parametrize("series", [["Applications"], ["Submitted", "Awarded"]])
def test_wrapped_labels_fit_their_row_and_rows_do_not_overlap(series):
    chart = bar_chart(
        id="c", title="t", description="d", series=series, rows=[(name, [1] * len(series)) for name in NAMES]
    )
    previous_bottom = 0
    for row, name in zip(chart.rows, NAMES, strict=True):
        texts = [line for line, _ in row.lines]
        assert all(len(line) <= MAX_LABEL_CHARS for line in texts)
        assert "".join(texts).replace(" ", "") == name.replace(" ", "")
        top = min(min(y for _, y in row.lines) - 11, min(b.y for b in row.bars))
        bottom = max(max(y for _, y in row.lines) + 3, max(b.y + b.height for b in row.bars))
        assert top >= previous_bottom, name  # this row starts below the one before
        previous_bottom = bottom
    assert chart.height >= previous_bottom
    assert len(chart.rows[2].lines) >= 3 and len(chart.rows[3].lines) == 1
