"""Small-cell suppression at the threshold, complementary and derived cells."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import participant, placement

from vcwork.outcomes import (
    Cell,
    CohortDefinition,
    MeasureTable,
    OutcomesInputError,
    build_report,
    render_csv,
    render_json,
    suppress_small_cells,
)


def _table(*cells: Cell) -> MeasureTable:
    return MeasureTable(
        key="t", title="t", description="t", statistics=("rate",), cells=cells
    )


def test_cell_at_threshold_is_published() -> None:
    table = _table(
        Cell(group="nine", participants=9, values={"rate": 50.0}),
        Cell(group="ten", participants=10, values={"rate": 60.0}),
        Cell(group="zero", participants=0, values={"rate": None}),
    )
    result = suppress_small_cells(table, minimum=10)
    nine = result.cell("nine")
    assert nine.suppressed
    assert nine.participants is None
    assert nine.values == {"rate": None}
    ten = result.cell("ten")
    assert not ten.suppressed
    assert ten.participants == 10
    assert ten.values == {"rate": 60.0}
    assert result.cell("zero").suppressed


def test_complement_of_suppressed_cell_is_hidden() -> None:
    table = _table(
        Cell(group="holds", participants=4, partition="p"),
        Cell(group="does not hold", participants=30, partition="p"),
        Cell(group="a", participants=12, partition="q"),
        Cell(group="b", participants=3, partition="q"),
        Cell(group="c", participants=20, partition="q"),
        Cell(group="x", participants=2, partition="r"),
        Cell(group="y", participants=1, partition="r"),
        Cell(group="z", participants=50, partition="r"),
    )
    result = suppress_small_cells(table, minimum=10)
    assert result.cell("holds").suppressed
    assert result.cell("does not hold").suppressed
    assert result.cell("b").suppressed
    assert result.cell("a").suppressed  # the smaller of the visible cells
    assert not result.cell("c").suppressed
    # Two hidden cells already protect each other.
    assert not result.cell("z").suppressed


def test_derived_cell_is_hidden_with_its_inputs() -> None:
    table = _table(
        Cell(group="before", participants=5, values={"rate": 40.0}),
        Cell(group="after", participants=50, values={"rate": 60.0}),
        Cell(
            group="change",
            participants=None,
            values={"rate": 20.0},
            derived_from=("before", "after"),
            statement="Placement up 50 %",
        ),
    )
    result = suppress_small_cells(table, minimum=10)
    change = result.cell("change")
    assert change.suppressed
    assert change.statement is None
    assert change.values == {"rate": None}
    assert not result.cell("after").suppressed


@pytest.mark.parametrize("minimum", [0, -1, True, 2.5])
def test_invalid_minimum_is_rejected(minimum: object) -> None:
    with pytest.raises(OutcomesInputError, match="minimum cell size"):
        suppress_small_cells(_table(), minimum=minimum)  # type: ignore[arg-type]


def test_report_never_contains_individual_records() -> None:
    records = [
        participant(
            f"person-{i:03d}",
            "osha",
            outcomes=(placement(f"person-{i:03d}", i, hourly_wage=20 + i),),
        )
        for i in range(12)
    ]
    records.append(participant("person-lonely", "rare-badge"))
    report = build_report(records, definition=CohortDefinition(as_of=date(2025, 1, 1)))
    for text in (render_json(report), render_csv(report)):
        assert "person-" not in text
        assert "urn:uuid" not in text
    rare = report.table("employment_rate_by_credential").cell("holds rare-badge")
    assert rare.suppressed
    payload = json.loads(render_json(report))
    assert payload["minimumCellSize"] == 10


def test_report_suppresses_every_table() -> None:
    records = [
        participant(f"p{i}", outcomes=(placement(f"p{i}", 5),)) for i in range(9)
    ]
    report = build_report(records, definition=CohortDefinition(as_of=date(2025, 1, 1)))
    for table in report.tables:
        for cell in table.cells:
            assert (
                cell.suppressed or cell.participants is None or cell.participants >= 10
            ), (
                table.key,
                cell.group,
            )
    csv_lines = render_csv(report).splitlines()
    assert "employment_rate_by_credential,all completers,,placed,,yes" in csv_lines
