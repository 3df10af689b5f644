"""Lay out long tables: a table paged one page at a time, giant rows cut, zebra stripes."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Flowable, Table

from healthwise.plans.pdf.styles import CELL, FRAME_HEIGHT, RULE, ZEBRA, table_style

# More action-table rows than any page holds (a row is at least one line of
# CELL text and its padding), and no more, so each page lays out few rows.
ROWS_PER_PAGE = int(FRAME_HEIGHT // (CELL.leading + 9)) + 2


def _height(flowables: Sequence[Flowable], width: float) -> float:
    """Return the height a list of flowables takes in a column."""
    return sum(flowable.wrap(width, 1e6)[1] for flowable in flowables)


def _split_cell(
    flowables: list[Flowable], width: float, limit: float
) -> tuple[list[Flowable], list[Flowable]]:
    """Cut a cell's flowables into what fits in ``limit`` points and the rest."""
    head: list[Flowable] = []
    used = 0.0
    for index, flowable in enumerate(flowables):
        height = flowable.wrap(width, 1e6)[1]
        if used + height <= limit:
            head.append(flowable)
            used += height
            continue
        parts = flowable.split(width, limit - used)
        if len(parts) == 2:
            return head + [parts[0]], [parts[1]] + flowables[index + 1 :]
        return head, flowables[index:]
    return head, []


def may_be_taller(
    texts: Sequence[object], widths: Sequence[float], size: float, limit: float
) -> bool:
    """Tell cheaply whether any text might wrap taller than ``limit`` in its column.

    A bound, not a measure: no glyph is wider than 1.2 em, greedy wrapping
    at worst halves a line's use, newlines add lines, and a line is at most
    2 em high (Arabic leading included).

    :param texts: the text of each cell.
    :param widths: the inner width of each cell's column, in points.
    :param size: the font size in points.
    :param limit: the height in points.
    """
    for text, width in zip(texts, widths, strict=True):
        text = str(text or "")
        lines = 2 * (len(text) * 1.2 * size / max(width, 1.0) + 1) + text.count("\n")
        if lines * 2 * size > limit:
            return True
    return False


def chunk_row(
    cells: list[list[Flowable]], widths: Sequence[float], limit: float
) -> list[list[list[Flowable]]]:
    """Cut a table row taller than ``limit`` into several rows, each at most that tall.

    Only freak input (a remark of thousands of characters) needs this; it
    keeps every row shorter than a page, which reportlab needs.

    :param cells: the flowables of each cell of the row.
    :param widths: the inner width of each cell's column, in points.
    :param limit: the most a row may measure, in points.
    :returns: one or more rows of cells.
    """
    rows = []
    while max(_height(cell, width) for cell, width in zip(cells, widths, strict=True)) > limit:
        parts = [_split_cell(cell, width, limit) for cell, width in zip(cells, widths, strict=True)]
        heads = [head for head, _ in parts]
        if not any(heads):  # nothing would move: give up rather than loop
            break
        rows.append(heads)
        cells = [tail for _, tail in parts]
    rows.append(cells)
    return rows


class PagedTable(Flowable):
    """A table with a repeated header row, laid out one page at a time.

    reportlab splits a Table at a page break by building a new Table of every
    row left, with every style command re-based: a plan of n rows took time
    in n squared. This one measures only the rows that can fill one page
    (:data:`ROWS_PER_PAGE`) and hands reportlab a Table of those that fit, so
    each page costs the same whatever the length of the plan.

    :param header: the header row, repeated on every page.
    :param rows: the body rows.
    :param items: the first and last body row of each item, for the stripes.
    :param col_widths: the columns' widths in points.
    :param style: table style commands for every page.
    :param h_align: where the table sits in the frame, as reportlab's ``hAlign``.
    :param start: the first body row this table still holds.
    """

    def __init__(self, header: list[Any], rows: list[list[Any]],
                 items: Sequence[tuple[int, int]], *,
                 col_widths: list[float], style: list[tuple[Any, ...]], h_align: str,
                 start: int = 0) -> None:
        super().__init__()
        self.header, self.rows, self.items = header, rows, items
        self.col_widths, self.style, self.start = col_widths, style, start
        self.hAlign = h_align
        self._table: Table | None = None

    def _table_of(self, end: int) -> Table:
        """Make a Table of the header and the rows from ``start`` to ``end``."""
        table = Table([self.header, *self.rows[self.start:end]], colWidths=self.col_widths,
                      repeatRows=1, hAlign=self.hAlign)
        table.setStyle(table_style(self.style + stripes(self.items, self.start, end)))
        return table

    def _rest(self, start: int) -> PagedTable:
        """Make the table of the rows from ``start`` on, for the next page."""
        return PagedTable(self.header, self.rows, self.items, col_widths=self.col_widths,
                          style=self.style, h_align=self.hAlign, start=start)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Measure the next page's worth of rows; return the size they take.

        When more rows follow they are never drawn whole: the frame is told
        they do not fit, so it asks for a split.
        """
        self._table = self._table_of(min(len(self.rows), self.start + ROWS_PER_PAGE))
        self.width, self.height = self._table.wrapOn(self.canv, availWidth, availHeight)
        if self.start + ROWS_PER_PAGE < len(self.rows):
            self.height = max(self.height, availHeight + 1)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """Return the rows that fit here as a Table, and the rest as another PagedTable."""
        if self._table is None:
            self.wrap(availWidth, availHeight)
        header, *heights = self._table._rowHeights
        used, fits = header, 0
        for height in heights:
            if used + height > availHeight:
                break
            used, fits = used + height, fits + 1
        if fits == 0:
            return []
        end = self.start + fits
        page = self._table if end == self.start + len(heights) else self._table_of(end)
        return [page, self._rest(end)] if end < len(self.rows) else [page]

    def draw(self) -> None:
        """Draw the last rows, which fitted the frame whole."""
        self._table.drawOn(self.canv, 0, 0)


def stripes(items: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[Any, ...]]:
    """Return style commands that rule off and shade every second item of rows start..end.

    :param items: the first and last row of each item, rows counted from 0.
    :param start: the first row of the table.
    :param end: the row after the table's last.
    :returns: commands for a table of those rows under a header row. A run of
        one-row items takes two commands however long it is; an item cut
        into several rows keeps one shade and one rule.
    """
    commands: list[tuple[Any, ...]] = []
    run: list[int] = []  # the table row and item number a run of one-row items starts at

    def close_run(last_row: int) -> None:
        if run:
            row, number = run
            shades = [ZEBRA, None] if number % 2 else [None, ZEBRA]
            commands.append(("ROWBACKGROUNDS", (0, row), (-1, last_row), shades))
            commands.append(("LINEBELOW", (0, row), (-1, last_row), 0.4, RULE))
            run.clear()

    for number in range(max(bisect.bisect_right(items, (start, end)) - 1, 0), len(items)):
        first, last = items[number]
        if first >= end:
            break
        if last < start:
            continue
        top, bottom = max(first, start) - start + 1, min(last, end - 1) - start + 1
        if first == last:
            if not run:
                run.extend((top, number))
            continue
        close_run(top - 1)
        commands.append(("LINEBELOW", (0, bottom), (-1, bottom), 0.4, RULE))
        if number % 2:
            commands.append(("BACKGROUND", (0, top), (-1, bottom), ZEBRA))
    close_run(end - start)
    return commands
