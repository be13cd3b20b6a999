"""Aggregate tables and small-cell suppression.

A report contains only :class:`MeasureTable` values: counts, rates and
statistics per group of participants, never a participant's record. Before
a table is published, :func:`suppress_small_cells` hides every cell that
describes fewer participants than the minimum, and the cells whose values
would let a reader work the hidden ones out by subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._records import OutcomesInputError

__all__ = [
    "DEFAULT_MINIMUM_CELL_SIZE",
    "Cell",
    "MeasureTable",
    "suppress_small_cells",
]

DEFAULT_MINIMUM_CELL_SIZE = 10

Value = float | int | None


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One group's figures in a measure table.

    ``participants`` is the number of participants behind the figures and
    decides suppression. Cells with the same ``partition`` split one
    published total between them. ``derived_from`` names the groups a
    computed cell (such as a before/after change) is built from, so it is
    hidden with them. ``statement`` is a sentence for people, such as
    "Placement up 40 %".
    """

    group: str
    participants: int | None
    values: Mapping[str, Value] = field(default_factory=dict)
    partition: str | None = None
    derived_from: tuple[str, ...] = ()
    statement: str | None = None
    suppressed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "participants": self.participants,
            "values": dict(self.values),
            "suppressed": self.suppressed,
            "statement": self.statement,
        }


@dataclass(frozen=True, kw_only=True)
class MeasureTable:
    """One measure: what it counts, the statistics per cell, and the cells."""

    key: str
    title: str
    description: str
    statistics: tuple[str, ...]
    cells: tuple[Cell, ...]

    def cell(self, group: str) -> Cell:
        """Return the cell of ``group``; raise KeyError when there is none."""
        for item in self.cells:
            if item.group == group:
                return item
        raise KeyError(group)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "statistics": list(self.statistics),
            "cells": [c.to_json() for c in self.cells],
        }


def _hide(cell: Cell) -> Cell:
    return replace(
        cell,
        participants=None,
        values={name: None for name in cell.values},
        statement=None,
        suppressed=True,
    )


def suppress_small_cells(table: MeasureTable, *, minimum: int) -> MeasureTable:
    """Hide cells with fewer than ``minimum`` participants, and their complements.

    1. Primary suppression: a cell with fewer than ``minimum`` participants
       (zero included) loses its count and values.
    2. Complementary suppression: in a partition with exactly one hidden
       cell, the smallest other cell is hidden too, because the published
       total minus the visible cells would reveal the hidden one.
    3. A cell derived from a hidden group is hidden.
    """
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise OutcomesInputError(
            f"the minimum cell size must be a whole number of at least 1, got {minimum!r}",
            property="minimum_cell_size",
            value=minimum,
        )
    cells = list(table.cells)
    hidden = {
        index
        for index, cell in enumerate(cells)
        if cell.participants is not None and cell.participants < minimum
    }

    partitions: dict[str, list[int]] = defaultdict(list)
    for index, cell in enumerate(cells):
        if cell.partition is not None:
            partitions[cell.partition].append(index)
    for members in partitions.values():
        hidden_members = [i for i in members if i in hidden]
        visible = [i for i in members if i not in hidden]
        if len(hidden_members) == 1 and visible:
            smallest = min(visible, key=lambda i: cells[i].participants or 0)
            hidden.add(smallest)

    hidden_groups = {cells[i].group for i in hidden}
    for index, cell in enumerate(cells):
        if any(group in hidden_groups for group in cell.derived_from):
            hidden.add(index)

    result = tuple(
        _hide(cell) if index in hidden else cell for index, cell in enumerate(cells)
    )
    return replace(table, cells=result)
