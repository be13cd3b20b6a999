"""The report as one self-contained HTML page with matplotlib charts.

Charts are drawn by matplotlib (the figure API, so no pyplot state and no
GUI backend) as SVG and embedded inline. The page loads nothing: no
scripts, fonts, style sheets or images from elsewhere, so it can be
attached to a grant report or opened offline.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Sequence

from ._privacy import Cell, MeasureTable
from ._report import OutcomesReport

__all__ = ["chart_svg", "render_html"]

_BLUE = "#2b6cb0"
_GREY = "#a0aec0"
_GREEN = "#2f855a"

_STATISTIC_LABELS = {
    "placed": "placed",
    "rate_percent": "rate (%)",
    "median_days": "median (days)",
    "q1_days": "first quartile (days)",
    "q3_days": "third quartile (days)",
    "share_percent": "share (%)",
    "median_hourly": "median hourly wage",
    "q1_hourly": "first quartile",
    "q3_hourly": "third quartile",
    "credentials": "credentials",
    "verified": "verified at least once",
    "verifications": "verifications",
    "change_points": "change (percentage points)",
    "change_percent": "relative change (%)",
}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       color: #1a202c; line-height: 1.4; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.meta dt { font-weight: 600; }
section.measure { margin-top: 2.5rem; page-break-inside: avoid; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #cbd5e0; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.suppressed td { color: #718096; font-style: italic; }
figure.chart svg { width: 100%; height: auto; }
p.statement { font-size: 1.15rem; font-weight: 600; }
p.note { color: #4a5568; font-size: 0.9rem; }
"""


def _clean_svg(svg: str) -> str:
    """Make matplotlib's SVG document an inline element without any URL.

    The XML prologue and DOCTYPE go (the DOCTYPE names the SVG 1.1 DTD by
    URL), the namespace declarations go (the HTML parser puts ``<svg>`` in
    the SVG namespace itself), and ``xlink:href`` becomes SVG 2 ``href``.
    """
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'\s(width|height)="[\d.]+pt"', "", svg, count=2)
    return svg.replace("xlink:href=", "href=")


def chart_svg(draw: Callable[..., None], *, height: float) -> str:
    """Draw one chart with ``draw(axes)`` and return it as an inline ``<svg>`` element."""
    import matplotlib
    from matplotlib.figure import Figure

    # svg.fonttype "none" keeps labels as text; a fixed hashsalt makes the
    # element ids, and so the file, the same for the same figures.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "vcwork"}):
        figure = Figure(figsize=(8, height), layout="constrained")
        draw(figure.add_subplot())
        buffer = io.StringIO()
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return _clean_svg(buffer.getvalue())


def _visible(table: MeasureTable, statistic: str) -> list[Cell]:
    return [
        c
        for c in table.cells
        if not c.suppressed and c.values.get(statistic) is not None
    ]


def _bar_chart(
    cells: Sequence[Cell], statistic: str, *, xlabel: str, colors: Sequence[str]
) -> Callable[..., None]:
    def draw(axes) -> None:  # type: ignore[no-untyped-def]
        labels = [c.group for c in cells]
        values = [float(c.values[statistic] or 0) for c in cells]
        axes.barh(labels, values, color=list(colors))
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        for index, value in enumerate(values):
            axes.text(value, index, f" {value:g}", va="center", fontsize=8)

    return draw


def _wage_chart(cells: Sequence[Cell]) -> Callable[..., None]:
    def draw(axes) -> None:  # type: ignore[no-untyped-def]
        labels = [c.group for c in cells]
        medians = [float(c.values["median_hourly"] or 0) for c in cells]
        lower = [
            m - float(c.values["q1_hourly"] or m)
            for m, c in zip(medians, cells, strict=True)
        ]
        upper = [
            float(c.values["q3_hourly"] or m) - m
            for m, c in zip(medians, cells, strict=True)
        ]
        axes.barh(labels, medians, xerr=[lower, upper], color=_GREEN, capsize=3)
        axes.invert_yaxis()
        axes.set_xlabel(
            "hourly wage at placement: median, bars from first to third quartile"
        )

    return draw


def _chart_for(table: MeasureTable) -> str | None:
    """Return the inline SVG chart of a measure, or None when no cell is visible."""
    key = table.key
    if key == "overview":
        return None
    if key == "employment_rate_by_credential" or key.startswith(
        "pathway_placement_change"
    ):
        cells = _visible(table, "rate_percent")
        colors = [_GREY if c.group.startswith("does not") else _BLUE for c in cells]
        draw = _bar_chart(
            cells, "rate_percent", xlabel="placement rate (%)", colors=colors
        )
    elif key == "time_to_employment":
        cells = [c for c in _visible(table, "share_percent")]
        draw = _bar_chart(
            cells,
            "share_percent",
            xlabel="share of placed completers (%)",
            colors=[_BLUE],
        )
    elif key in ("wages_by_credential", "wages_by_level"):
        cells = _visible(table, "median_hourly")
        draw = _wage_chart(cells)
    elif key == "employer_verification_rate":
        cells = _visible(table, "rate_percent")
        draw = _bar_chart(
            cells,
            "rate_percent",
            xlabel="credentials verified at least once (%)",
            colors=[_BLUE],
        )
    else:
        return None
    if not cells:
        return None
    return chart_svg(draw, height=max(1.6, 0.38 * len(cells) + 0.9))


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _table_html(table: MeasureTable, minimum: int) -> str:
    columns = [s for s in table.statistics if any(s in c.values for c in table.cells)]
    head = "".join(
        f"<th>{html.escape(_STATISTIC_LABELS.get(s, s))}</th>" for s in columns
    )
    rows = []
    for cell in table.cells:
        if cell.suppressed:
            rows.append(
                f'<tr class="suppressed"><td>{html.escape(cell.group)}</td>'
                f'<td colspan="{len(columns) + 1}">suppressed: fewer than {minimum} '
                "participants, or needed to protect a suppressed cell</td></tr>"
            )
            continue
        values = "".join(
            f"<td>{html.escape(_format(cell.values.get(s)))}</td>" for s in columns
        )
        participants = "" if cell.participants is None else str(cell.participants)
        rows.append(
            f"<tr><td>{html.escape(cell.group)}</td><td>{participants}</td>{values}</tr>"
        )
    return (
        f"<table><thead><tr><th>group</th><th>participants</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _measure_html(table: MeasureTable, minimum: int) -> str:
    parts = [
        f'<section class="measure" id="{html.escape(table.key)}">',
        f"<h2>{html.escape(table.title)}</h2>",
        f'<p class="note">{html.escape(table.description)}</p>',
    ]
    for cell in table.cells:
        if cell.statement:
            parts.append(f'<p class="statement">{html.escape(cell.statement)}</p>')
    chart = _chart_for(table)
    if chart is not None:
        parts.append(
            f'<figure class="chart" data-measure="{html.escape(table.key)}">{chart}'
            f"<figcaption>{html.escape(table.title)}</figcaption></figure>"
        )
    elif table.key != "overview":
        parts.append('<p class="note">No chart: every cell is suppressed or empty.</p>')
    parts.append(_table_html(table, minimum))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: OutcomesReport) -> str:
    """Render the report as a self-contained HTML page with inline SVG charts."""
    definition = report.definition
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in report.data_sources) or (
        "<li>not stated</li>"
    )
    generated = report.generated_at.isoformat().replace("+00:00", "Z")
    meta = (
        '<dl class="meta">'
        f"<dt>Program</dt><dd>{html.escape(report.program)}</dd>"
        f"<dt>Cohort definition</dt><dd>{html.escape(definition.describe())}</dd>"
        f"<dt>Period</dt><dd>completions "
        f"{html.escape(_period(report))}; outcomes as of "
        f"{definition.as_of.isoformat()}</dd>"
        f"<dt>Privacy</dt><dd>Aggregates only. Cells with fewer than "
        f"{report.minimum_cell_size} participants are suppressed and marked.</dd>"
        f"<dt>Generated</dt><dd>{html.escape(generated)}</dd>"
        "</dl>"
        f'<h2>Data sources</h2><ul class="sources">{sources}</ul>'
    )
    measures = "\n".join(
        _measure_html(table, report.minimum_cell_size) for table in report.tables
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(report.title)}</h1>{meta}\n{measures}\n"
        "</body></html>\n"
    )


def _period(report: OutcomesReport) -> str:
    definition = report.definition
    start = (
        definition.completed_from.isoformat()
        if definition.completed_from
        else "any date"
    )
    end = (
        definition.completed_to.isoformat()
        if definition.completed_to
        else definition.as_of.isoformat()
    )
    return f"from {start} to {end}"
