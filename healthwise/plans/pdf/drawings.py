"""Draw the plan's pictures: the chart's scale and bars, legend swatches, the tick."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib.colors import Color

from healthwise.plans.document import ChartRow
from healthwise.plans.pdf.fonts import SANS, SANS_BOLD
from healthwise.plans.pdf.styles import BAR_BEFORE, BAR_NOW, GOOD, INK, MUTED, RULE, blank_drawing

# Room after the longest bar for its value label.
_LABEL_ROOM = 34


def _bar_x(share: float, width: float, rtl: bool) -> tuple[float, float]:
    """Return the x of a bar's start and its length; bars grow from the start side."""
    length = max(0.0, min(1.0, share)) * width
    return (width - length, length) if rtl else (0.0, length)


def _tick_x(share: float, usable: float, width: float, rtl: bool) -> float:
    """Place a share on the scale, mirrored for right to left."""
    return width - share * usable if rtl else share * usable


def scale(width: float, rtl: bool, percent: Callable[[float], str]) -> Drawing:
    """Draw the scale above the bars: 0 %, 25 %... 100 %.

    :param width: the bars' column width in points.
    :param rtl: whether the scale runs right to left.
    :param percent: formats a share as a percentage in the plan's language.
    """
    drawing = blank_drawing(width, 11)
    usable = width - _LABEL_ROOM
    for tick_share in (0, 0.25, 0.5, 0.75, 1):
        x = _tick_x(tick_share, usable, width, rtl)
        drawing.add(
            String(
                x,
                2,
                percent(tick_share),
                fontName=SANS,
                fontSize=6.5,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
    return drawing


def bars(
    row: ChartRow, width: float, follow_up: bool, rtl: bool, percent: Callable[[float], str]
) -> list[Drawing | None]:
    """Draw one module's bar (two for a follow-up: before, then now) with their values.

    :param row: the module's shares, now and in the previous round.
    :param width: the bars' column width in points.
    :param follow_up: whether the chart compares with a previous round.
    :param rtl: whether bars grow from the right.
    :param percent: formats a share as a percentage in the plan's language.
    :returns: one drawing a bar, top to bottom; ``None`` where the round has no share
        (nobody answered the module), for the caller to say so in words.
    """
    shown = (
        [(row.previous, BAR_BEFORE), (row.share, BAR_NOW)]
        if follow_up
        else [(row.share, BAR_NOW)]
    )
    bar_height, gap = (6.5, 2) if follow_up else (9, 0)
    return [
        None if share is None else _bar(share, colour, width, bar_height, gap, rtl, percent)
        for share, colour in shown
    ]


def _bar(
    share: float,
    colour: Color,
    width: float,
    bar_height: float,
    gap: float,
    rtl: bool,
    percent: Callable[[float], str],
) -> Drawing:
    """Draw one bar with its value, over the chart's grid."""
    usable = width - _LABEL_ROOM
    height = bar_height + gap + 2
    drawing = blank_drawing(width, height)
    for tick_share in (0.25, 0.5, 0.75):
        x = _tick_x(tick_share, usable, width, rtl)
        drawing.add(
            Line(x, 0, x, height, strokeColor=RULE, strokeWidth=0.4, strokeDashArray=[1, 2])
        )
    axis = width if rtl else 0
    drawing.add(Line(axis, 0, axis, height, strokeColor=MUTED, strokeWidth=0.6))
    y = (height - bar_height) / 2
    x, length = _bar_x(share, usable, rtl)
    if rtl:
        x += width - usable
    drawing.add(Rect(x, y, length, bar_height, fillColor=colour, strokeColor=None))
    label_x = x - 3 if rtl else x + length + 3
    drawing.add(
        String(
            label_x,
            y + bar_height / 2 - 2.4,
            percent(share),
            fontName=SANS_BOLD if colour is BAR_NOW else SANS,
            fontSize=7,
            fillColor=INK if colour is BAR_NOW else MUTED,
            textAnchor="end" if rtl else "start",
        )
    )
    return drawing


def swatch(colour: Color) -> Drawing:
    """Draw a legend's colour sample.

    :param colour: the bar colour it stands for.
    """
    drawing = blank_drawing(10, 8)
    drawing.add(Rect(0, 0, 10, 8, fillColor=colour, strokeColor=None))
    return drawing


def tick() -> Drawing:
    """Draw a green check mark (the fonts have none that all scripts share)."""
    drawing = blank_drawing(10, 9)
    drawing.add(PolyLine([1, 4.5, 3.8, 1.5, 9, 8], strokeColor=GOOD, strokeWidth=1.6))
    return drawing
