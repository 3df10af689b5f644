"""Register the bundled fonts, choose one per character, shape and measure text."""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeStr

from healthwise.plans.pdf.bidi import reverse_run

# The fonts stay beside the package, in healthwise/plans/fonts/ with their
# licence (OFL.txt), where the README points.
FONTS_DIR = Path(__file__).resolve().parents[1] / "fonts"

SANS, SANS_BOLD = "HW-NotoSans", "HW-NotoSans-Bold"
ARABIC, ARABIC_BOLD = "HW-NotoNaskhArabic", "HW-NotoNaskhArabic-Bold"
_FONT_FILES = {
    SANS: "NotoSans-Regular.ttf",
    SANS_BOLD: "NotoSans-Bold.ttf",
    ARABIC: "NotoNaskhArabic-Regular.ttf",
    ARABIC_BOLD: "NotoNaskhArabic-Bold.ttf",
}

_ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


@functools.cache
def init_fonts() -> None:
    """Register the bundled TTF fonts with reportlab, once per process.

    Like Indico's ``init_reportlab_fonts``: parsing a TTF costs tens of
    milliseconds, so it happens on first use, not at import nor per PDF.

    :raises OSError: when a font file is missing from :data:`FONTS_DIR`.
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


def is_arabic(char: str) -> bool:
    """Tell whether a character belongs to the Arabic script blocks."""
    code = ord(char)
    return any(low <= code <= high for low, high in _ARABIC_BLOCKS)


def font_for(char: str, bold: bool) -> str:
    """Choose the bundled font that draws a character best.

    :param char: one character.
    :param bold: whether the text is bold.
    :returns: the registered font name.
    """
    latin, arabic = (SANS_BOLD, ARABIC_BOLD) if bold else (SANS, ARABIC)
    code = ord(char)
    if is_arabic(char) and code in _cmap(arabic):
        return arabic
    if code in _cmap(latin) or code not in _cmap(arabic):
        return latin
    return arabic


def font_segments(text: str, bold: bool) -> list[tuple[str, str]]:
    """Split text into ``(font, text)`` pieces; spaces stay with their left neighbour.

    :param text: text in logical order.
    :param bold: whether the text is bold.
    """
    segments: list[tuple[str, str]] = []
    for char in text:
        if char == " " and segments:
            font = segments[-1][0]
        else:
            font = font_for(char, bold)
        if segments and segments[-1][0] == font:
            segments[-1] = (font, segments[-1][1] + char)
        else:
            segments.append((font, char))
    return segments


@functools.lru_cache(maxsize=8192)
def shaped(text: str, font: str, size: float) -> tuple[str, float]:
    """Shape right-to-left text with uharfbuzz.

    :param text: one run in one font, in logical order.
    :param font: the registered font name.
    :param size: the font size in points.
    :returns: the glyphs in visual order and their width in points.
    """
    result = shapeStr(text, font, size)
    if isinstance(result, ShapedStr):
        width = sum(data.x_advance for data in result.__shapeData__) * size / 1000
        return result, width
    # reportlab hands the text back as it was when shaping changes nothing
    # (or uharfbuzz is missing): it is still in logical order.
    return reverse_run(text), pdfmetrics.stringWidth(text, font, size)


def measure(text: str, font: str, size: float) -> float:
    """Measure text in one font as it will print, Arabic letters shaped.

    :param text: text in one font.
    :param font: the registered font name.
    :param size: the font size in points.
    """
    if any(is_arabic(char) for char in text):
        return shaped(text, font, size)[1]
    return pdfmetrics.stringWidth(text, font, size)


@functools.lru_cache(maxsize=16384)
def word_width(word: str, bold: bool, size: float) -> float:
    """Measure one word as it will print, in whichever fonts its characters need.

    :param word: one word, in logical order.
    :param bold: whether the text is bold.
    :param size: the font size in points.
    """
    return sum(measure(text, font, size) for font, text in font_segments(word, bold))
