"""Render a printable A4 action plan, the page a committee pins on the wall.

Pure: a :class:`~healthwise.plans.document.PlanDocument` (already localised
text), a language code and two translation callables in, PDF bytes out. No
Flask; the view renders under ``force_locale`` and passes
``flask_babel.get_translations().gettext`` / ``.ngettext``.

Safety: reportlab's paragraph markup is code (``<img src>`` loads files or
URLs, ``<link>`` makes links), so every piece of text, user text and
translated labels alike, is escaped before it reaches a ``Paragraph``;
right-to-left text never goes through the markup parser at all. The only
markup in a paragraph is the ``<b>`` and ``<br/>`` this module adds itself.

Right to left: reportlab shapes Arabic with uharfbuzz, but orders words
right to left only through ``rlbidi``, which is not on PyPI. So Arabic (and
any text containing right-to-left letters) goes through :class:`BidiText`: it
breaks lines in logical order, orders each line with a small implementation
of the Unicode bidirectional algorithm (enough for text without explicit
embeddings), shapes the Arabic runs with reportlab's ``shapeStr`` and draws
them. Lines therefore stay in reading order, which reshaping the whole
paragraph beforehand (arabic-reshaper + python-bidi) gets wrong.
"""

from __future__ import annotations

import bisect
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from babel.core import UnknownLocaleError
from babel.numbers import format_percent
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeStr
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from healthwise.plans.document import PlanDocument
from healthwise.plans.priority import fill

__all__ = ["BidiText", "RTL_LANGUAGES", "draw_line", "init_fonts", "render_plan"]

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
FONTS_DIR = Path(__file__).with_name("fonts")

SANS, SANS_BOLD = "HW-NotoSans", "HW-NotoSans-Bold"
ARABIC, ARABIC_BOLD = "HW-NotoNaskhArabic", "HW-NotoNaskhArabic-Bold"
_FONT_FILES = {
    SANS: "NotoSans-Regular.ttf",
    SANS_BOLD: "NotoSans-Bold.ttf",
    ARABIC: "NotoNaskhArabic-Regular.ttf",
    ARABIC_BOLD: "NotoNaskhArabic-Bold.ttf",
}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
TOP_MARGIN, BOTTOM_MARGIN = 16 * mm, 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
FRAME_HEIGHT = PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN
CELL_PADDING = 4
MAX_ROW_HEIGHT = FRAME_HEIGHT / 2
# A wall chart is no place for an essay, and a pasted novel should not cost
# seconds of CPU: longer fields are clipped with an ellipsis.
SHORT_TEXT, LONG_TEXT = 200, 1500

INK = colors.HexColor("#1f2d2b")
MUTED = colors.HexColor("#5b6b69")
ACCENT = colors.HexColor("#00695c")
ACCENT_LIGHT = colors.HexColor("#e0f2ef")
BAR_NOW = colors.HexColor("#00897b")
BAR_BEFORE = colors.HexColor("#b7c4c2")
RULE = colors.HexColor("#c9d3d1")
ZEBRA = colors.HexColor("#f5f8f7")
GOOD = colors.HexColor("#2e7d32")


def _identity(message: str) -> str:
    """Return the message untranslated (English)."""
    return message


def _plural(singular: str, plural: str, n: int) -> str:
    """Pick the English singular or plural form."""
    return singular if n == 1 else plural


# --------------------------------------------------------------------------
# Fonts


@functools.cache
def init_fonts() -> None:
    """Register the bundled TTF fonts with reportlab, once per process.

    Like Indico's ``init_reportlab_fonts``: parsing a TTF costs tens of
    milliseconds, so it happens on first use, not at import nor per PDF.
    """
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / filename)))
    pdfmetrics.registerFontFamily(
        SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
    )
    pdfmetrics.registerFontFamily(
        ARABIC, normal=ARABIC, bold=ARABIC_BOLD, italic=ARABIC, boldItalic=ARABIC_BOLD
    )


@functools.cache
def _cmap(font_name: str) -> frozenset[int]:
    """Return the code points a registered font has glyphs for."""
    return frozenset(pdfmetrics.getFont(font_name).face.charToGlyph)


# --------------------------------------------------------------------------
# Text cleaning

# Invisible format characters would print as empty boxes; the joiners stay
# because Arabic shaping uses them.
_KEEP_FORMAT = {"\u200c", "\u200d"}


def _clean(text: object) -> str:
    """Turn any value into printable text: controls become spaces, newlines stay."""
    if text is None:
        return ""
    text = str(text)
    if text.isprintable():  # the usual case, and a quick test
        return text.strip()
    out = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        category = unicodedata.category(char)
        if char == "\n":
            out.append(char)
        elif category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category in ("Cf", "Cs", "Co") and char not in _KEEP_FORMAT:
            continue
        else:
            out.append(char)
    return "".join(out).strip()


def _markup(text: object) -> str:
    """Escape plain text for a Paragraph: reportlab's markup is code (img, link, font).

    The only markup in the result is the line breaks added here.
    """
    return escape(_clean(text)).replace("\n", "<br/>")


# The blocks of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko...
# and their presentation forms); a regex is much faster than asking
# unicodedata about every character of every cell.
_RTL_CHARS = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def _has_rtl(text: str) -> bool:
    """Tell whether text holds right-to-left letters (Arabic, Hebrew...)."""
    return _RTL_CHARS.search(text) is not None


# --------------------------------------------------------------------------
# Bidirectional text (a subset of UAX #9 without explicit embeddings)

_STRONG = {"L": "L", "R": "R", "AL": "R"}
_MIRROR = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def _bidi_levels(text: str, base: int) -> list[int]:
    """Resolve the embedding level of each character of one line.

    :param text: one line, in logical order, without explicit bidi controls.
    :param base: the paragraph level, 0 for left to right, 1 for right to left.
    """
    sos = "R" if base else "L"
    types = [unicodedata.bidirectional(char) or "ON" for char in text]
    # W1: a combining mark takes the type of the character it sits on.
    prev = sos
    for i, kind in enumerate(types):
        if kind == "NSM":
            types[i] = prev
        prev = types[i]
    # W2, W3: European digits after Arabic letters are Arabic numbers.
    last_strong = sos
    for i, kind in enumerate(types):
        if kind in ("L", "R", "AL"):
            last_strong = kind
        elif kind == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if kind == "AL" else kind for kind in types]
    # W4: one separator between two numbers of a kind joins them (1,000 / 12:30).
    for i in range(1, len(types) - 1):
        before, kind, after = types[i - 1], types[i], types[i + 1]
        if before == after == "EN" and kind in ("ES", "CS"):
            types[i] = "EN"
        elif before == after == "AN" and kind == "CS":
            types[i] = "AN"
    # W5: terminators (%, currency signs) next to European digits join them.
    for i, kind in enumerate(types):
        if kind == "EN":
            j = i - 1
            while j >= 0 and types[j] == "ET":
                types[j] = "EN"
                j -= 1
            j = i + 1
            while j < len(types) and types[j] == "ET":
                types[j] = "EN"
                j += 1
    # W6: other separators are neutral; W7: digits in left-to-right text are L.
    last_strong = sos
    for i, kind in enumerate(types):
        if kind in ("ES", "ET", "CS"):
            types[i] = "ON"
        elif kind in ("L", "R"):
            last_strong = kind
        elif kind == "EN" and last_strong == "L":
            types[i] = "L"
    # N1, N2: neutrals take the direction of matching neighbours, else the base.
    strong = [_STRONG.get(kind, "R" if kind in ("EN", "AN") else None) for kind in types]
    i = 0
    while i < len(types):
        if strong[i] is not None:
            i += 1
            continue
        j = i
        while j < len(types) and strong[j] is None:
            j += 1
        left = strong[i - 1] if i > 0 else sos
        right = strong[j] if j < len(types) else sos
        resolved = left if left == right else sos
        for k in range(i, j):
            types[k] = resolved
        i = j
    # I1, I2: implicit levels.
    levels = []
    for kind in types:
        if base == 0:
            levels.append({"L": 0, "R": 1}.get(kind, 2))
        else:
            levels.append(1 if kind == "R" else 2)
    return levels


def _visual_runs(text: str, rtl: bool) -> list[tuple[int, str]]:
    """Split one line into runs of one level each, in visual (left to right) order."""
    if not text:
        return []
    levels = _bidi_levels(text, 1 if rtl else 0)
    runs: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or levels[i] != levels[start]:
            runs.append((levels[start], text[start:i]))
            start = i
    # L2: from the highest level down to the lowest odd one, reverse every
    # stretch of runs at that level or above. Characters inside a run are
    # put in order later, from the parity of its level.
    highest = max(level for level, _ in runs)
    lowest_odd = min((level for level, _ in runs if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(runs):
            if runs[i][0] >= level:
                j = i
                while j < len(runs) and runs[j][0] >= level:
                    j += 1
                runs[i:j] = runs[i:j][::-1]
                i = j
            else:
                i += 1
    return runs


# --------------------------------------------------------------------------
# Fonts per character, shaping, measuring

_ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def _is_arabic(char: str) -> bool:
    """Tell whether a character belongs to the Arabic script blocks."""
    code = ord(char)
    return any(low <= code <= high for low, high in _ARABIC_BLOCKS)


def _font_for(char: str, bold: bool) -> str:
    """Choose the bundled font that draws a character best."""
    latin, arabic = (SANS_BOLD, ARABIC_BOLD) if bold else (SANS, ARABIC)
    code = ord(char)
    if _is_arabic(char) and code in _cmap(arabic):
        return arabic
    if code in _cmap(latin) or code not in _cmap(arabic):
        return latin
    return arabic


def _font_segments(text: str, bold: bool) -> list[tuple[str, str]]:
    """Split text into (font, text) pieces; spaces stay with their left neighbour."""
    segments: list[tuple[str, str]] = []
    for char in text:
        if char == " " and segments:
            font = segments[-1][0]
        else:
            font = _font_for(char, bold)
        if segments and segments[-1][0] == font:
            segments[-1] = (font, segments[-1][1] + char)
        else:
            segments.append((font, char))
    return segments


@functools.lru_cache(maxsize=8192)
def _shaped(text: str, font: str, size: float) -> tuple[str, float]:
    """Shape right-to-left text with uharfbuzz; return glyphs in visual order and width."""
    shaped = shapeStr(text, font, size)
    if isinstance(shaped, ShapedStr):
        width = sum(data.x_advance for data in shaped.__shapeData__) * size / 1000
        return shaped, width
    return text[::-1].translate(_MIRROR), pdfmetrics.stringWidth(text, font, size)


class Piece(NamedTuple):
    """A piece of a laid-out line: text in visual order, drawn in one font."""

    font: str
    text: str
    width: float


@functools.lru_cache(maxsize=4096)
def _layout_line(line: str, rtl: bool, bold: bool, size: float) -> tuple[tuple[Piece, ...], float]:
    """Order, shape and measure one line; return its pieces left to right and its width."""
    pieces = []
    for level, run in _visual_runs(line, rtl):
        segments = _font_segments(run, bold)
        if level % 2:
            for font, text in reversed(segments):
                if any(_is_arabic(char) for char in text):
                    drawn, width = _shaped(text, font, size)
                else:
                    drawn = text[::-1].translate(_MIRROR)
                    width = pdfmetrics.stringWidth(text, font, size)
                pieces.append(Piece(font, drawn, width))
        else:
            for font, text in segments:
                pieces.append(Piece(font, text, pdfmetrics.stringWidth(text, font, size)))
    return tuple(pieces), sum(piece.width for piece in pieces)


@functools.lru_cache(maxsize=16384)
def _word_width(word: str, bold: bool, size: float) -> float:
    """Measure one word as it will print (Arabic letters shaped)."""
    width = 0.0
    for font, text in _font_segments(word, bold):
        if any(_is_arabic(char) for char in text):
            width += _shaped(text, font, size)[1]
        else:
            width += pdfmetrics.stringWidth(text, font, size)
    return width


def _split_long_word(word: str, bold: bool, size: float, width: float) -> list[str]:
    """Cut a word wider than the column into pieces that fit, character by character."""
    chunks, current, current_width = [], "", 0.0
    for char in word:
        char_width = pdfmetrics.stringWidth(char, _font_for(char, bold), size)
        if current and current_width + char_width > width:
            chunks.append(current)
            current, current_width = "", 0.0
        current += char
        current_width += char_width
    if current:
        chunks.append(current)
    return chunks


def _break_lines(text: str, bold: bool, size: float, width: float) -> list[str]:
    """Break text into lines that fit, in logical order (bidi comes after)."""
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
            word_width = _word_width(word, bold, size)
            parts = _split_long_word(word, bold, size, width) if word_width > width else [word]
            for part in parts:
                part_width = word_width if len(parts) == 1 else _word_width(part, bold, size)
                needed = part_width + (space if current else 0.0)
                if current and current_width + needed > width:
                    lines.append(" ".join(current))
                    current, current_width = [], 0.0
                    needed = part_width
                current.append(part)
                current_width += needed
        lines.append(" ".join(current))
    # Keep blank lines between paragraphs but not at the ends.
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


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
    """Draw one line of plain text on a canvas, in any script; return its width.

    :param x: the left edge for ``align="left"``, the right edge for
        ``"right"``, the centre for ``"centre"``.
    """
    pieces, width = _layout_line(text, rtl, bold, size)
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


class BidiText(Flowable):
    """A paragraph of plain text in any script, right to left or left to right.

    Lines break in logical order and each line is then ordered for display,
    so a multi-line Arabic paragraph reads top to bottom, right to left. The
    text is never parsed as markup.
    """

    def __init__(
        self,
        text: object,
        *,
        size: float,
        leading: float,
        bold: bool = False,
        rtl: bool = True,
        align: str = "right",
        color: Any = INK,
    ) -> None:
        super().__init__()
        self.text = _clean(text)
        self.size, self.leading, self.bold = size, leading, bold
        self.rtl, self.align, self.color = rtl, align, color
        self._laid_out_width: float | None = None
        self._lines: list[str] = []

    def _layout(self, width: float) -> None:
        """Break the text for a width, once per width."""
        if self._laid_out_width != width:
            self._lines = _break_lines(self.text, self.bold, self.size, max(width, self.size))
            self._laid_out_width = width

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Lay out for the available width; return the size taken."""
        self._layout(availWidth)
        self.width, self.height = availWidth, len(self._lines) * self.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """Split between lines when the text runs past the bottom of a frame or cell."""
        self._layout(availWidth)
        fits = int((availHeight + 1e-6) // self.leading)
        if fits <= 0:
            return []
        # Always two parts: reportlab's table row splitting expects a pair.
        return [self._part(self._lines[:fits]), self._part(self._lines[fits:])]

    def _part(self, lines: list[str]) -> BidiText:
        """Make a flowable holding some of this one's lines, same style."""
        return BidiText(
            "\n".join(lines),
            size=self.size,
            leading=self.leading,
            bold=self.bold,
            rtl=self.rtl,
            align=self.align,
            color=self.color,
        )

    def draw(self) -> None:
        """Draw each line, its glyph box centred in the line height."""
        ascent, descent = 1.069 * self.size, -0.293 * self.size  # Noto Sans metrics
        top_gap = (self.leading - (ascent - descent)) / 2
        x = {"right": self.width, "centre": self.width / 2}.get(self.align, 0.0)
        for i, line in enumerate(self._lines):
            y = self.height - i * self.leading - top_gap - ascent
            draw_line(
                self.canv,
                line,
                x,
                y,
                size=self.size,
                bold=self.bold,
                rtl=self.rtl,
                align=self.align,
                color=self.color,
            )


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


def _may_be_taller(
    texts: Sequence[object], widths: Sequence[float], size: float, limit: float
) -> bool:
    """Tell cheaply whether any text might wrap taller than ``limit`` in its column.

    A bound, not a measure: no glyph is wider than 1.2 em, greedy wrapping
    at worst halves a line's use, newlines add lines, and a line is at most
    2 em high (Arabic leading included).
    """
    for text, width in zip(texts, widths, strict=True):
        text = str(text or "")
        lines = 2 * (len(text) * 1.2 * size / max(width, 1.0) + 1) + text.count("\n")
        if lines * 2 * size > limit:
            return True
    return False


def _chunk_row(
    cells: list[list[Flowable]], widths: Sequence[float], limit: float
) -> list[list[list[Flowable]]]:
    """Cut a table row taller than ``limit`` into several rows, each at most that tall.

    Only freak input (a remark of thousands of characters) needs this; it
    keeps every row shorter than a page, which reportlab needs.
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


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """Make a TableStyle whose cell font is embedded (reportlab's default is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), *commands])


class _PagedTable(Flowable):
    """A table with a repeated header row, laid out one page at a time.

    reportlab splits a Table at a page break by building a new Table of every
    row left, with every style command re-based: a plan of n rows took time
    in n squared. This one measures only the rows that can fill one page
    (:data:`ROWS_PER_PAGE`) and hands reportlab a Table of those that fit, so
    each page costs the same whatever the length of the plan.
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
        table.setStyle(_table_style(self.style + _stripes(self.items, self.start, end)))
        return table

    def _rest(self, start: int) -> _PagedTable:
        return _PagedTable(self.header, self.rows, self.items, col_widths=self.col_widths,
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
        """Return the rows that fit here as a Table, and the rest as another _PagedTable."""
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


def _stripes(items: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[Any, ...]]:
    """Return style commands that rule off and shade every second item of rows start..end.

    :param items: the first and last row of each item, rows counted from 0.
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


def _drawing(width: float, height: float) -> Drawing:
    """Make a Drawing whose default font is embedded (reportlab's is Helvetica)."""
    drawing = Drawing(width, height)
    drawing.initialFontName = SANS
    return drawing


class _Paragraph(Paragraph):
    """A Paragraph that remembers its last wrap: tables wrap each cell several times."""

    _wrapped_for: float | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Break lines for a width, reusing the last result for the same width."""
        # Paragraph.split drops blPara when it gives up, so check it is still there.
        if self._wrapped_for != availWidth or "blPara" not in self.__dict__:
            width, height = super().wrap(availWidth, availHeight)
            if height == 0x7FFFFFFF:  # reportlab's "no room at all": nothing to remember
                return width, height
            self._wrapped_for = availWidth
        return self.width, self.height


# --------------------------------------------------------------------------
# The page


@dataclass(frozen=True, slots=True)
class _Style:
    """A text style that works for both Paragraph and BidiText."""

    size: float
    leading: float
    bold: bool = False
    color: Any = INK
    align: str = "start"  # start, end or centre, mirrored for right to left


BODY = _Style(9.5, 13)
SMALL = _Style(8, 10.5, color=MUTED)
CELL = _Style(8.5, 11)
CELL_BOLD = _Style(8.5, 11, bold=True)
HEADER_CELL = _Style(8, 10.5, bold=True, color=colors.white)
LABEL = _Style(7.5, 9.5, color=MUTED)
VALUE = _Style(10.5, 13.5, bold=True)
KICKER = _Style(9, 12, bold=True, color=ACCENT)
TITLE = _Style(20, 25, bold=True)
HEADING = _Style(13, 17, bold=True, color=ACCENT)
# More action-table rows than any page holds (a row is at least one line of
# CELL text and its padding), and no more, so each page lays out few rows.
ROWS_PER_PAGE = int(FRAME_HEIGHT // (CELL.leading + 9)) + 2


class _Renderer:
    """Builds the story of one plan in one language."""

    def __init__(self, doc: PlanDocument, lang: str, gettext: Gettext, ngettext: Ngettext) -> None:
        self.doc, self.lang, self._, self.ngettext = doc, lang, gettext, ngettext
        self.rtl = lang.split("_")[0].split("-")[0] in RTL_LANGUAGES
        self._paragraph_styles: dict[tuple[_Style, str], ParagraphStyle] = {}

    # -- text -------------------------------------------------------------

    def _align(self, style: _Style) -> str:
        """Map start/end to left/right for this document's direction."""
        if style.align == "centre":
            return "centre"
        start = "right" if self.rtl else "left"
        end = "left" if self.rtl else "right"
        return start if style.align == "start" else end

    def text(self, value: object, style: _Style) -> Flowable:
        """Make a flowable for plain text, whatever its script; never parse it as markup."""
        cleaned = _clean(value)
        align = self._align(style)
        if self.rtl or _has_rtl(cleaned):
            # Naskh letters reach further above and below than Latin ones.
            return BidiText(
                cleaned,
                size=style.size,
                leading=style.leading * 1.2,
                bold=style.bold,
                rtl=self.rtl,
                align=align,
                color=style.color,
            )
        return _Paragraph(_markup(cleaned), self._paragraph_style(style, align))

    def _paragraph_style(self, style: _Style, align: str) -> ParagraphStyle:
        """Return (and reuse) the ParagraphStyle for a _Style."""
        key = (style, align)
        if key not in self._paragraph_styles:
            self._paragraph_styles[key] = ParagraphStyle(
                f"hw-{len(self._paragraph_styles)}",
                fontName=SANS_BOLD if style.bold else SANS,
                fontSize=style.size,
                leading=style.leading,
                textColor=style.color,
                alignment={"left": TA_LEFT, "right": TA_RIGHT, "centre": TA_CENTER}[align],
                splitLongWords=1,
                # Break "Infirmière-cheffe" at its hyphen before cutting letters.
                embeddedHyphenation=1,
                wordWrap=None,
                allowWidows=0,
            )
        return self._paragraph_styles[key]

    def row(self, cells: Sequence[Any]) -> list[Any]:
        """Put table cells in reading order: mirrored for right to left."""
        return list(reversed(cells)) if self.rtl else list(cells)

    def _rows(
        self,
        cells: list[list[Flowable]],
        inner: Sequence[float],
        texts: Sequence[object],
        style: _Style,
    ) -> list[list[list[Flowable]]]:
        """Return a table row as one or more rows, none taller than half a page.

        reportlab cannot place a table row taller than the page, and a user
        may paste a novel into a field. Measuring is skipped when a cheap
        bound shows the row is short, as it nearly always is.
        """
        if _may_be_taller(texts, inner, style.size, MAX_ROW_HEIGHT / 2):
            return _chunk_row(cells, inner, MAX_ROW_HEIGHT)
        return [cells]

    # -- words ------------------------------------------------------------

    def cost_label(self, code: str) -> str:
        """Translate a cost code."""
        _ = self._
        return {"none": _("No cost"), "low": _("Low"), "medium": _("Medium"),
                "high": _("High")}.get(code, code)

    def status_label(self, code: str) -> str:
        """Translate a status code."""
        _ = self._
        return {
            "planned": _("Planned"),
            "in_progress": _("In progress"),
            "done": _("Done"),
            "dropped": _("Dropped"),
        }.get(code, code)

    def percent(self, share: float) -> str:
        """Format a share as a percentage for the language."""
        try:
            text = format_percent(share, locale=self.lang.replace("-", "_"))
        except (UnknownLocaleError, ValueError):  # a language Babel does not know
            text = format_percent(share, locale="en")
        # Some locales add invisible direction marks, which the fonts lack.
        return _clean(text)

    # -- sections ---------------------------------------------------------

    def story(self) -> list[Flowable]:
        """Return every flowable of the plan, in order."""
        story = self.header()
        story += self.chart()
        story += self.action_table()
        story += self.achievements()
        story += self.signatures()
        return story

    def header(self) -> list[Flowable]:
        """Title block: what, where, when, who."""
        _, doc = self._, self.doc
        kind = _("Follow-up") if doc.kind == "follow_up" else _("Baseline")
        facts = [
            # A workshop's practice facility is in no district: say so rather than leave
            # a blank box on a plan trainers print for the participants.
            (_("District"), doc.district) if doc.district
            else (_("Workshop"), _("Practice facility, in no district")),
            (_("Round"), f"{_clean(doc.round_title)} ({kind})" if doc.round_title else kind),
            (_("Date"), doc.date),
            (
                _("Participants"),
                fill(
                    self.ngettext(
                        "%(num)d participant", "%(num)d participants", doc.n_participants
                    ),
                    {"num": doc.n_participants},
                ),
            ),
        ]
        widths = [FRAME_WIDTH * share for share in (0.27, 0.33, 0.2, 0.2)]
        cells = [[self.text(label, LABEL), self.text(value, VALUE)] for label, value in facts]
        rows = self._rows(cells, [w - 14 for w in widths], [value for _, value in facts], VALUE)
        table = Table([self.row(row) for row in rows], colWidths=self.row(widths))
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT),
                    ("LINEBEFORE", (1, 0), (-1, -1), 0.75, colors.white),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                    ("LEFTPADDING", (0, 0), (-1, -1), 7),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                ]
            )
        )
        return [
            self.text(_("HealthWISE action plan"), KICKER),
            Spacer(0, 2),
            self.text(doc.facility or "\u2014", TITLE),
            Spacer(0, 8),
            table,
            Spacer(0, 14),
        ]

    def chart(self) -> list[Flowable]:
        """Bar chart: per module, the share of checkpoints where action is proposed."""
        _ = self._
        rows = [row for row in self.doc.chart if row.share is not None or row.previous is not None]
        if not rows:
            return []
        follow_up = any(row.previous is not None for row in rows)
        label_width = FRAME_WIDTH * 0.36
        bar_width = FRAME_WIDTH - label_width
        data = [self.row([Spacer(0, 0), self._scale(bar_width)])]
        for row in rows:
            data.append(
                self.row([self.text(row.title, CELL), self._bars(row, bar_width, follow_up)])
            )
        table = Table(data, colWidths=self.row([label_width, bar_width]))
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 1), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 2.5),
                    ("TOPPADDING", (0, 0), (-1, 0), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, 0), 1),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
                    # Air between a module's name and the axis.
                    ("LEFTPADDING", (1, 0), (1, -1), 8)
                    if self.rtl
                    else ("RIGHTPADDING", (0, 0), (0, -1), 8),
                ]
            )
        )
        flowables: list[Flowable] = [
            self.text(_("Where action is needed, module by module"), HEADING),
            self.text(
                _(
                    "Share of the answered checkpoints where at least half of the participants "
                    "propose action. Shorter bars mean fewer problems."
                ),
                SMALL,
            ),
            Spacer(0, 5),
        ]
        if follow_up:
            flowables += [self._legend(), Spacer(0, 3)]
        return [KeepTogether(flowables + [table]), Spacer(0, 14)]

    def _bar_x(self, share: float, width: float) -> tuple[float, float]:
        """Return the x of a bar's start and its length; bars grow from the start side."""
        length = max(0.0, min(1.0, share)) * width
        return (width - length, length) if self.rtl else (0.0, length)

    def _scale(self, width: float) -> Drawing:
        """The scale above the bars: 0 %, 25 %... 100 %."""
        drawing = _drawing(width, 11)
        usable = width - 34  # room for the value labels after the bars
        for tick in (0, 0.25, 0.5, 0.75, 1):
            x = self._tick_x(tick, usable, width)
            drawing.add(
                String(
                    x,
                    2,
                    self.percent(tick),
                    fontName=SANS,
                    fontSize=6.5,
                    fillColor=MUTED,
                    textAnchor="middle",
                )
            )
        return drawing

    def _tick_x(self, share: float, usable: float, width: float) -> float:
        """Place a share on the scale, mirrored for right to left."""
        return width - share * usable if self.rtl else share * usable

    def _bars(self, row: Any, width: float, follow_up: bool) -> Drawing:
        """One module's bar (two for a follow-up: before, then now) with values."""
        usable = width - 34
        bars = (
            [(row.previous, BAR_BEFORE), (row.share, BAR_NOW)]
            if follow_up
            else [(row.share, BAR_NOW)]
        )
        bar_height, gap = (6.5, 2) if follow_up else (9, 0)
        height = len(bars) * bar_height + (len(bars) - 1) * gap + 4
        drawing = _drawing(width, height)
        for tick in (0.25, 0.5, 0.75):
            x = self._tick_x(tick, usable, width)
            drawing.add(
                Line(x, 0, x, height, strokeColor=RULE, strokeWidth=0.4, strokeDashArray=[1, 2])
            )
        axis = width if self.rtl else 0
        drawing.add(Line(axis, 0, axis, height, strokeColor=MUTED, strokeWidth=0.6))
        y = height - 2 - bar_height
        for share, colour in bars:
            if share is not None:
                x, length = self._bar_x(share, usable)
                if self.rtl:
                    x += width - usable
                drawing.add(Rect(x, y, length, bar_height, fillColor=colour, strokeColor=None))
                label_x = x - 3 if self.rtl else x + length + 3
                drawing.add(
                    String(
                        label_x,
                        y + bar_height / 2 - 2.4,
                        self.percent(share),
                        fontName=SANS_BOLD if colour is BAR_NOW else SANS,
                        fontSize=7,
                        fillColor=INK if colour is BAR_NOW else MUTED,
                        textAnchor="end" if self.rtl else "start",
                    )
                )
            y -= bar_height + gap
        return drawing

    def _legend(self) -> Table:
        """Legend of a follow-up chart: grey is the earlier round, green is now."""
        _ = self._
        cells: list[Any] = []
        widths: list[float] = []
        for colour, label in ((BAR_BEFORE, _("Previous round")), (BAR_NOW, _("This round"))):
            swatch = _drawing(10, 8)
            swatch.add(Rect(0, 0, 10, 8, fillColor=colour, strokeColor=None))
            cells += [swatch, self.text(label, SMALL)]
            widths += [14, 100]
        table = Table(
            [self.row(cells)], colWidths=self.row(widths), hAlign="RIGHT" if self.rtl else "LEFT"
        )
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def action_table(self) -> list[Flowable]:
        """The prioritised actions: wraps long text and repeats its header on each page."""
        _, doc = self._, self.doc
        heading = [
            CondPageBreak(60 * mm),
            self.text(_("Prioritised action plan"), HEADING),
            Spacer(0, 5),
        ]
        if not doc.items:
            return heading + [self.text(_("No action has been proposed yet."), BODY), Spacer(0, 14)]
        headers = [
            "#",
            _("Checkpoint"),
            _("Action agreed"),
            _("Responsible"),
            _("Due date"),
            _("Cost"),
            _("Status"),
        ]
        widths = [24, 126, 126, 72, 62, 46, 60]  # "#" holds three digits: 300 items at most
        # Share out what A4 leaves so the columns fill the frame exactly.
        widths = [w * FRAME_WIDTH / sum(widths) for w in widths]
        inner = [w - 2 * CELL_PADDING for w in widths]
        data = [self.row([self.text(h, HEADER_CELL) for h in headers])]
        item_rows = []  # (first, last) data row of each item, for the zebra stripes
        for item in doc.items:
            checkpoint = [self.text(item.checkpoint_id, CELL_BOLD)] if item.checkpoint_id else []
            checkpoint.append(self.text(item.checkpoint_text, CELL))
            cells = [
                [self.text(str(item.rank), CELL_BOLD)],
                checkpoint,
                [self.text(item.action, CELL)],
                [self.text(item.responsible, CELL)],
                [self.text(item.due, CELL)],
                [self.text(self.cost_label(item.cost), CELL)],
                [self.text(self.status_label(item.status), CELL)],
            ]
            first = len(data)
            texts = [
                item.rank,
                f"{item.checkpoint_id} {item.checkpoint_text}",
                item.action,
                item.responsible,
                item.due,
                item.cost,
                item.status,
            ]
            for chunk in self._rows(cells, inner, texts, CELL):
                data.append(self.row(chunk))
            item_rows.append((first, len(data) - 1))
        # Rows never split inside (an item sliced over two pages is hard to
        # read); _rows has already cut the rare giant item into rows that
        # each fit half a page.
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        table = _PagedTable(data[0], data[1:],
                            [(first - 1, last - 1) for first, last in item_rows],
                            col_widths=self.row(widths), style=style,
                            h_align="RIGHT" if self.rtl else "LEFT")
        return heading + [table, Spacer(0, 14)]

    def achievements(self) -> list[Flowable]:
        """What is already good: HealthWISE builds on achievements."""
        _ = self._
        heading = [self.text(_("What is already good"), HEADING), Spacer(0, 4)]
        if not self.doc.achievements:
            return [
                KeepTogether(heading + [self.text(_("Nothing recorded yet."), BODY)]),
                Spacer(0, 14),
            ]
        rows = []
        widths = [16, FRAME_WIDTH - 16]
        for line in self.doc.achievements:
            text = _clean(line.text)
            if line.checkpoint_id:
                text = f"{_clean(line.checkpoint_id)} \u2013 {text}"
            cells = [[self._tick()], [self.text(text, CELL)]]
            rows += [self.row(row) for row in self._rows(cells, widths, ["", text], CELL)]
        table = Table(rows, colWidths=self.row(widths), hAlign="RIGHT" if self.rtl else "LEFT")
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ("ALIGN", (1, 0), (1, -1), "CENTER")
                    if self.rtl
                    else ("ALIGN", (0, 0), (0, -1), "CENTER"),
                    # Air between the tick and the text, on the text's start side.
                    ("RIGHTPADDING", (0, 0), (0, -1), 4)
                    if self.rtl
                    else ("LEFTPADDING", (1, 0), (1, -1), 4),
                ]
            )
        )
        # A short list stays with its heading; a long one may flow on.
        if len(rows) <= 12:
            return [KeepTogether(heading + [table]), Spacer(0, 16)]
        return [CondPageBreak(40 * mm), *heading, table, Spacer(0, 16)]

    def _tick(self) -> Drawing:
        """A green check mark, drawn (the fonts have none that all scripts share)."""
        drawing = _drawing(10, 9)
        drawing.add(PolyLine([1, 4.5, 3.8, 1.5, 9, 8], strokeColor=GOOD, strokeWidth=1.6))
        return drawing

    def signatures(self) -> list[Flowable]:
        """Signature lines for the chair and the manager, and the next review date."""
        _, doc = self._, self.doc
        review = fill(_("Next review: %(date)s"), {"date": doc.next_review or "\u2014"})
        chair = [
            self.text(_("Chair of the committee"), CELL_BOLD),
            self.text(_("Name, signature and date"), SMALL),
        ]
        manager = [
            self.text(_("Manager of the facility"), CELL_BOLD),
            self.text(_("Name, signature and date"), SMALL),
        ]
        gutter = 24
        half = (FRAME_WIDTH - gutter) / 2
        # A blank row to sign in, ruled at its foot, above each label.
        table = Table(
            [self.row([Spacer(0, 30), "", Spacer(0, 30)]), self.row([chair, "", manager])],
            colWidths=[half, gutter, half],
        )
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (0, 0), 0.8, INK),
                    ("LINEBELOW", (2, 0), (2, 0), 0.8, INK),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 1), (-1, 1), 3),
                ]
            )
        )
        review_box = Table([[self.text(review, VALUE)]], colWidths=[FRAME_WIDTH])
        review_box.setStyle(
            _table_style(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ]
            )
        )
        return [
            KeepTogether(
                [
                    self.text(_("Agreed by the committee"), HEADING),
                    Spacer(0, 4),
                    table,
                    Spacer(0, 14),
                    review_box,
                ]
            )
        ]


class _NumberedCanvas(Canvas):
    """A canvas that holds pages back so each footer can say "Page X of Y"."""

    def __init__(
        self, *args: Any, footer: Callable[[Canvas, int, int], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        """Keep the finished page's state instead of writing it out now."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Write every page with its footer, now that the page count is known."""
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def render_plan(
    doc: PlanDocument,
    lang: str,
    gettext: Gettext = _identity,
    ngettext: Ngettext = _plural,
) -> bytes:
    """Render an action plan as a printable A4 PDF.

    :param doc: the plan, with every text already in the reader's language.
    :param lang: the language code (``en``, ``fr``, ``es``, ``pt``, ``ar``...);
        right-to-left languages get a mirrored layout.
    :param gettext: translates one label and does no formatting (under Flask:
        ``flask_babel.get_translations().gettext`` inside ``force_locale``).
    :param ngettext: picks and translates the singular or plural form, no
        formatting.
    :returns: the PDF file's bytes.
    """
    init_fonts()
    doc = _bounded(doc)
    renderer = _Renderer(doc, lang, gettext, ngettext)
    _ = gettext
    title = fill(_("Action plan: %(facility)s"), {"facility": _clean(doc.facility)})
    footer_text = " \u00b7 ".join(
        part
        for part in (
            "HealthWISE Mobile",
            _clean(doc.facility),
            fill(_("Generated %(date)s"), {"date": _clean(doc.generated_at)})
            if doc.generated_at
            else "",
        )
        if part
    )
    running_head = " \u00b7 ".join(
        part for part in (_clean(doc.facility), _clean(doc.round_title)) if part
    )
    rtl = renderer.rtl

    def footer(canvas: Canvas, page: int, pages: int) -> None:
        """Draw the rule, footer text, page number and, after page 1, a running head."""
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
        start, end = (PAGE_WIDTH - MARGIN, MARGIN) if rtl else (MARGIN, PAGE_WIDTH - MARGIN)
        start_align, end_align = ("right", "left") if rtl else ("left", "right")
        page_label = fill(_("Page %(page)d of %(pages)d"), {"page": page, "pages": pages})
        draw_line(
            canvas,
            page_label,
            end,
            8 * mm,
            size=7.5,
            bold=True,
            rtl=rtl,
            align=end_align,
            color=MUTED,
        )
        draw_line(
            canvas,
            _fit(footer_text, 7.5, rtl, FRAME_WIDTH - 90),
            start,
            8 * mm,
            size=7.5,
            rtl=rtl,
            align=start_align,
            color=MUTED,
        )
        if page > 1:
            draw_line(
                canvas,
                _fit(running_head, 7.5, rtl, FRAME_WIDTH),
                start,
                PAGE_HEIGHT - 10 * mm,
                size=7.5,
                rtl=rtl,
                align=start_align,
                color=MUTED,
            )
        canvas.restoreState()

    buffer = io.BytesIO()
    # A frame without reportlab's default 6 pt padding, so FRAME_WIDTH is exact.
    frame = Frame(
        MARGIN,
        BOTTOM_MARGIN,
        FRAME_WIDTH,
        FRAME_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="plan",
    )
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="plan", frames=[frame])],
        title=title,
        author="HealthWISE Mobile",
        creator="HealthWISE Mobile",
        subject=_("HealthWISE action plan"),
        lang=lang,
        initialFontName=SANS,
    )
    template.build(renderer.story(), canvasmaker=functools.partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _fit(text: str, size: float, rtl: bool, width: float) -> str:
    """Shorten one line with an ellipsis until it fits a width."""
    if _layout_line(text, rtl, False, size)[1] <= width:
        return text
    while text and _layout_line(text + "\u2026", rtl, False, size)[1] > width:
        text = text[: max(0, len(text) - max(1, len(text) // 10))]
    return text + "\u2026"


def _shorten(text: object, limit: int) -> str:
    """Clip cleaned text to ``limit`` characters, with an ellipsis when clipped."""
    cleaned = _clean(text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\u2026"


def _bounded(doc: PlanDocument) -> PlanDocument:
    """Return the plan with every text cleaned and clipped to a printable length."""

    def short(text: object) -> str:
        return _shorten(text, SHORT_TEXT)

    def long(text: object) -> str:
        return _shorten(text, LONG_TEXT)

    return replace(
        doc,
        facility=short(doc.facility),
        district=short(doc.district),
        round_title=short(doc.round_title),
        date=short(doc.date),
        chart=tuple(replace(row, title=short(row.title)) for row in doc.chart),
        items=tuple(
            replace(
                item,
                checkpoint_id=short(item.checkpoint_id),
                checkpoint_text=long(item.checkpoint_text),
                action=long(item.action),
                responsible=short(item.responsible),
                due=short(item.due),
                cost=short(item.cost),
                status=short(item.status),
            )
            for item in doc.items
        ),
        achievements=tuple(
            replace(line, checkpoint_id=short(line.checkpoint_id), text=long(line.text))
            for line in doc.achievements
        ),
        next_review=short(doc.next_review),
        generated_at=short(doc.generated_at),
        checklist_title=short(doc.checklist_title),
    )
