"""Hold the plan's look: page geometry, colours, text styles, embedded default fonts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from healthwise.plans.pdf.fonts import SANS

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
TOP_MARGIN, BOTTOM_MARGIN = 16 * mm, 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
FRAME_HEIGHT = PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN
CELL_PADDING = 4
MAX_ROW_HEIGHT = FRAME_HEIGHT / 2

INK = colors.HexColor("#1f2d2b")
MUTED = colors.HexColor("#5b6b69")
ACCENT = colors.HexColor("#00695c")
ACCENT_LIGHT = colors.HexColor("#e0f2ef")
BAR_NOW = colors.HexColor("#00897b")
BAR_BEFORE = colors.HexColor("#b7c4c2")
RULE = colors.HexColor("#c9d3d1")
ZEBRA = colors.HexColor("#f5f8f7")
GOOD = colors.HexColor("#2e7d32")
# Overdue actions: a dark red that keeps 7:1 contrast on white and on the stripes.
ALERT = colors.HexColor("#b71c1c")


@dataclass(frozen=True, slots=True)
class Style:
    """A text style that works for both Paragraph and BidiText."""

    size: float
    leading: float
    bold: bool = False
    color: Any = INK
    align: str = "start"  # start, end or centre, mirrored for right to left


BODY = Style(9.5, 13)
SMALL = Style(8, 10.5, color=MUTED)
CELL = Style(8.5, 11)
CELL_BOLD = Style(8.5, 11, bold=True)
HEADER_CELL = Style(8, 10.5, bold=True, color=colors.white)
LABEL = Style(7.5, 9.5, color=MUTED)
VALUE = Style(10.5, 13.5, bold=True)
KICKER = Style(9, 12, bold=True, color=ACCENT)
TITLE = Style(20, 25, bold=True)
HEADING = Style(13, 17, bold=True, color=ACCENT)
OVERDUE = Style(8.5, 11, bold=True, color=ALERT)
NOT_ANSWERED = Style(7, 9, color=MUTED)


def table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """Make a TableStyle whose cell font is embedded (reportlab's default is Helvetica).

    :param commands: reportlab table style commands, applied after the font.
    """
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), *commands])


def blank_drawing(width: float, height: float) -> Drawing:
    """Make a Drawing whose default font is embedded (reportlab's is Helvetica).

    :param width: the drawing's width in points.
    :param height: the drawing's height in points.
    """
    made = Drawing(width, height)
    made.initialFontName = SANS
    return made
