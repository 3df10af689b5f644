"""Break text into lines that fit, lay each line out in visual order and draw it."""

from __future__ import annotations

import functools
import itertools
import unicodedata
from typing import Any, NamedTuple

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from healthwise.plans.pdf.bidi import reverse_run, visual_runs
from healthwise.plans.pdf.fonts import (
    ARABIC,
    ARABIC_BOLD,
    BASELINE_ANCHOR,
    SANS,
    SANS_BOLD,
    font_for,
    font_segments,
    glyph_text,
    is_arabic,
    shaped,
    word_width,
)
from healthwise.plans.pdf.styles import INK


class Span(NamedTuple):
    """A glyph of a piece that is drawn in a marked-content span of its own.

    :param index: the glyph's place in the piece's text.
    :param actual: the text it stands for, the span's ``/ActualText``.
    :param rise: how far harfbuzz raised (or lowered) it off the baseline, in points.
    """

    index: int
    actual: str
    rise: float


class Piece(NamedTuple):
    """A piece of a laid-out line: text in visual order, drawn in one font.

    :param spans: the glyphs an extractor would misread without an ActualText span.
    """

    font: str
    text: str
    width: float
    spans: tuple[Span, ...] = ()


# Right-to-left mark: an ActualText span of a neutral in right-to-left text carries one
# on each side, so an extractor that does not resolve neutrals (poppler takes "،", ":"
# and "." for digits, and spaces at the edge of a Latin word for Latin) still reads it
# in its right-to-left place.
RLM = "\u200f"
_RIGHT_TO_LEFT = {"R", "AL", "NSM"}


def _needs_direction(run: str, index: int) -> bool:
    """Tell whether a character of a right-to-left run is neutral where extractors misplace it.

    Letters and marks are right to left of themselves, and so is a space between two
    of them; any other character (punctuation, brackets, a space at the run's edge)
    takes its direction from its neighbours, which text extractors resolve poorly.

    :param run: a run at an odd bidi level, in logical order.
    :param index: the character's place in the run.
    """
    char = run[index]
    if unicodedata.bidirectional(char) in _RIGHT_TO_LEFT:
        return False
    if char == " " and 0 < index < len(run) - 1:
        before = unicodedata.bidirectional(run[index - 1])
        after = unicodedata.bidirectional(run[index + 1])
        return not (before in _RIGHT_TO_LEFT and after in _RIGHT_TO_LEFT)
    return True


def rtl_spans(run: str, offset: int, font: str, drawn: str, size: float) -> tuple[Span, ...]:
    """Return the spans of a piece of a right-to-left run (see :func:`_show`).

    :param run: the whole run at an odd level, in logical order.
    :param offset: where the piece's text starts in the run.
    :param font: the registered font the piece is drawn in.
    :param drawn: the piece in visual order: shaped glyphs from :func:`.fonts.shaped`,
        or characters from :func:`.bidi.reverse_run` (brackets mirrored).
    :param size: the font size in points.
    """
    data = getattr(drawn, "__shapeData__", None)
    spans = []
    if data is None:  # one glyph a character, in reverse order
        for index in range(len(drawn)):
            logical = offset + len(drawn) - 1 - index
            if _needs_direction(run, logical):
                spans.append(Span(index, f"{RLM}{run[logical]}{RLM}", 0.0))
        return tuple(spans)
    seen: set[int] = set()
    for index, glyph in enumerate(data):
        if glyph.y_offset:
            spans.append(Span(index, glyph_text(font, drawn[index]), size * glyph.y_offset / 1000))
        elif glyph.cluster not in seen and 0 <= glyph.cluster < len(run) - offset:
            logical = offset + glyph.cluster
            if _needs_direction(run, logical) and glyph_text(font, drawn[index]) == run[logical]:
                spans.append(Span(index, f"{RLM}{run[logical]}{RLM}", 0.0))
        seen.add(glyph.cluster)
    return tuple(spans)


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
            offsets = itertools.accumulate((len(text) for _, text in segments), initial=0)
            for (font, text), offset in reversed(list(zip(segments, offsets, strict=False))):
                if any(is_arabic(char) for char in text):
                    drawn, width = shaped(text, font, size)
                else:
                    drawn = reverse_run(text)
                    width = pdfmetrics.stringWidth(text, font, size)
                pieces.append(Piece(font, drawn, width, rtl_spans(run, offset, font, drawn, size)))
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
        _show(text_object, piece)
        x += piece.width
    canvas.drawText(text_object)
    return width


# A zero-width glyph, drawn first in a raised mark's span so the span starts on the baseline.
_ANCHOR = ShapedStr(BASELINE_ANCHOR, [ShapeData(0, 0, 0, 0, 0, 0)])


def _show(text_object: PDFTextObject, piece: Piece) -> None:
    """Show one piece, each glyph that extractors misread in a span that says what it is.

    Two kinds of glyph read wrong without one (:attr:`Piece.spans`):

    - a bracket of right-to-left text, drawn as its mirror image, reads as
      the other bracket;
    - a vowel mark that harfbuzz places above or below a letter is moved
      there with the text rise, and extractors take a glyph off the baseline
      for another word or another line (poppler put "علاجًا" out as
      "عل ًاجا"). Its span starts with an empty glyph of no width on the
      baseline (:data:`.fonts.BASELINE_ANCHOR`), so an extractor that honours
      ActualText puts the mark where the span starts, in its word; one that
      does not reads the glyph through the ToUnicode CMap, as before, and
      nothing for the anchor.

    Each span holds one glyph and one character: poppler lays a span's text
    out from left to right, so a longer Arabic one comes out reversed, and a
    span around a whole line or word would be read backwards.
    """
    text, start = piece.text, 0
    # reportlab has no call for marked content, nor one that raises the first
    # glyph of a string (setRise looks at the operator before it), so those
    # operators are written here.
    code = text_object._code
    for span in piece.spans:
        if start < span.index:
            text_object.textOut(text[start : span.index])
        code.append(f"/Span <</ActualText {_pdf_text_string(span.actual)}>> BDC")
        glyph = text[span.index : span.index + 1]
        if span.rise:
            text_object.textOut(_ANCHOR)
            code.append(f"{fp_str(span.rise)} Ts")
            glyph = ShapedStr(glyph, [glyph.__shapeData__[0]._replace(y_offset=0)])
        text_object.textOut(glyph)
        code.append("0 Ts EMC" if span.rise else "EMC")
        start = span.index + 1
    if start < len(text):
        text_object.textOut(text[start:])


def _pdf_text_string(text: str) -> str:
    """Write text as a PDF text string: UTF-16BE with its byte order mark, in hex."""
    return f"<FEFF{text.encode('utf-16-be').hex().upper()}>"
