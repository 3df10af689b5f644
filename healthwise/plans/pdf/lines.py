"""Break text into lines that fit, lay each line out in visual order and draw it."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from healthwise.plans.pdf.bidi import reverse_run, visual_runs
from healthwise.plans.pdf.fonts import (
    ARABIC,
    ARABIC_BOLD,
    SANS,
    SANS_BOLD,
    font_for,
    font_segments,
    is_arabic,
    shaped,
    word_width,
)
from healthwise.plans.pdf.styles import INK


class Piece(NamedTuple):
    """A piece of a laid-out line: text in visual order, drawn in one font."""

    font: str
    text: str
    width: float


@functools.lru_cache(maxsize=4096)
def layout_line(line: str, rtl: bool, bold: bool, size: float) -> tuple[tuple[Piece, ...], float]:
    """Order, shape and measure one line.

    :param line: one line in logical order, as :func:`break_lines` cut it.
    :param rtl: whether the paragraph is right to left.
    :param bold: whether the text is bold.
    :param size: the font size in points.
    :returns: the line's pieces from left to right, and its width in points.
    """
    pieces = []
    for level, run in visual_runs(line, rtl):
        segments = font_segments(run, bold)
        if level % 2:
            for font, text in reversed(segments):
                if any(is_arabic(char) for char in text):
                    drawn, width = shaped(text, font, size)
                else:
                    drawn = reverse_run(text)
                    width = pdfmetrics.stringWidth(text, font, size)
                pieces.append(Piece(font, drawn, width))
        else:
            for font, text in segments:
                pieces.append(Piece(font, text, pdfmetrics.stringWidth(text, font, size)))
    return tuple(pieces), sum(piece.width for piece in pieces)


def _split_long_word(word: str, bold: bool, size: float, width: float) -> list[str]:
    """Cut a word wider than the column into pieces that fit, character by character."""
    chunks, current, current_width = [], "", 0.0
    for char in word:
        char_width = pdfmetrics.stringWidth(char, font_for(char, bold), size)
        if current and current_width + char_width > width:
            chunks.append(current)
            current, current_width = "", 0.0
        current += char
        current_width += char_width
    if current:
        chunks.append(current)
    return chunks


def break_lines(text: str, bold: bool, size: float, width: float) -> list[str]:
    """Break text into lines that fit, in logical order (bidi ordering comes after, per line).

    :param text: cleaned text; its newlines start new lines.
    :param bold: whether the text is bold.
    :param size: the font size in points.
    :param width: the column's width in points.
    :returns: the lines, with blank lines kept between paragraphs but not at the ends.
    """
    # The widest space of the two fonts, so a line never outgrows its width.
    space = max(
        pdfmetrics.stringWidth(" ", font, size)
        for font in ((SANS_BOLD, ARABIC_BOLD) if bold else (SANS, ARABIC))
    )
    lines = []
    for paragraph in text.split("\n"):
        current: list[str] = []
        current_width = 0.0
        for word in paragraph.split():
            whole_width = word_width(word, bold, size)
            parts = _split_long_word(word, bold, size, width) if whole_width > width else [word]
            for part in parts:
                part_width = whole_width if len(parts) == 1 else word_width(part, bold, size)
                needed = part_width + (space if current else 0.0)
                if current and current_width + needed > width:
                    lines.append(" ".join(current))
                    current, current_width = [], 0.0
                    needed = part_width
                current.append(part)
                current_width += needed
        lines.append(" ".join(current))
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def fit(text: str, size: float, rtl: bool, width: float) -> str:
    """Shorten one line with an ellipsis until it fits a width.

    :param text: one line, in logical order.
    :param size: the font size in points (regular weight).
    :param rtl: whether the paragraph is right to left.
    :param width: the room in points.
    """
    if layout_line(text, rtl, False, size)[1] <= width:
        return text
    # A tenth at a time: a long line fits in a few layouts, not one per character.
    while text and layout_line(text + "\u2026", rtl, False, size)[1] > width:
        text = text[: max(0, len(text) - max(1, len(text) // 10))]
    return text + "\u2026"


def draw_line(
    canvas: Canvas,
    text: str,
    x: float,
    y: float,
    *,
    size: float,
    bold: bool = False,
    rtl: bool = False,
    align: str = "left",
    color: Any = INK,
) -> float:
    """Draw one line of plain text on a canvas, in any script.

    :param canvas: the reportlab canvas to draw on.
    :param text: one line, in logical order; never parsed as markup.
    :param x: the left edge for ``align="left"``, the right edge for
        ``"right"``, the centre for ``"centre"``.
    :param y: the baseline.
    :param size: the font size in points.
    :param bold: whether to draw in bold.
    :param rtl: whether the paragraph is right to left.
    :param align: ``left``, ``right`` or ``centre``.
    :param color: the fill colour of the text.
    :returns: the width drawn, in points.
    """
    pieces, width = layout_line(text, rtl, bold, size)
    if align == "right":
        x -= width
    elif align == "centre":
        x -= width / 2
    text_object = canvas.beginText()
    text_object.setFillColor(color)
    for piece in pieces:
        text_object.setTextOrigin(x, y)
        text_object.setFont(piece.font, size)
        text_object.textOut(piece.text)
        x += piece.width
    canvas.drawText(text_object)
    return width
