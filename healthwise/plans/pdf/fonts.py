"""Register the bundled fonts, choose one per character, shape and measure text."""

from __future__ import annotations

import bisect
import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDocument
from reportlab.pdfbase.ttfonts import SUBSETN, ShapedStr, TTFont, shapeStr

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


# reportlab gives a shaped glyph that no character of the font's cmap maps to
# (Noto Naskh's lam-alef halves "uniFEDF.rlig" and "_1008", for instance) a code
# point of the private use area, and its ToUnicode CMap maps the glyph to that
# code point, so a text extractor reads "السمة" for "السلامة".
_PRIVATE_USE = range(0xE000, 0xF900)

# An empty glyph of no width that the ToUnicode CMaps map to no text: :mod:`.lines`
# starts the span of a raised vowel mark with it, on the baseline. Zero width space,
# which :func:`.text.clean` takes out of every text, so it is never drawn for itself.
BASELINE_ANCHOR = "\u200b"
_ANCHOR_CODE = ord(BASELINE_ANCHOR)


class ShapedTTFont(TTFont):
    """A TTFont whose ToUnicode CMap maps each shaped glyph back to the text it stands for.

    :func:`shaped` records, for every private-use code point reportlab hands
    out, the characters of the cluster harfbuzz drew with it (several for a
    ligature); :meth:`addObjects` writes those into the CMap of every subset
    that uses one, so that searching, copying and extracting the PDF's text
    give the letters that were put in.
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        # private-use code point -> the characters its glyph stands for
        self.sources: dict[int, str] = {}

    def addObjects(self, doc: PDFDocument) -> None:  # noqa: N802 - reportlab's name
        """Write the font's subsets, then give their shaped glyphs their source text."""
        state = self.state.get(doc)
        subsets = [list(subset) for subset in state.subsets] if state else []
        super().addObjects(doc)
        for number, subset in enumerate(subsets):
            if not any(code in self.sources or code == _ANCHOR_CODE for code in subset):
                continue
            # The subset's font name, as reportlab's addObjects spells it.
            base_font = b"".join(
                (SUBSETN(number), b"+", self.face.name, self.face.subfontNameX)
            ).decode("pdfdoc")
            stream = doc.idToObject.get("toUnicodeCMap:" + base_font)
            if stream is not None:
                stream.content = to_unicode_cmap(base_font, subset, self.sources)


def to_unicode_cmap(font_name: str, subset: list[int], sources: dict[int, str]) -> str:
    """Make a subset's ToUnicode CMap, each code mapped to the text its glyph stands for.

    Like reportlab's ``makeToUnicodeCMap``, but a destination may hold
    several characters (UTF-16BE, as the PDF reference allows for ligatures).

    :param font_name: the subset's base font name.
    :param subset: the code point each code of the subset stands for.
    :param sources: private-use code points -> their glyphs' source text.
    """

    def utf16(text: str) -> str:
        return text.encode("utf-16-be").hex().upper()

    entries = [
        f"<{code:02X}> <{'' if point == _ANCHOR_CODE else utf16(sources.get(point) or chr(point))}>"
        for code, point in enumerate(subset)
    ]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({font_name})",
        f"/Ordering ({font_name})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{font_name} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *entries,
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ])


@functools.cache
def init_fonts() -> None:
    """Register the bundled TTF fonts with reportlab, once per process.

    Like Indico's ``init_reportlab_fonts``: parsing a TTF costs tens of
    milliseconds, so it happens on first use, not at import nor per PDF.

    :raises OSError: when a font file is missing from :data:`FONTS_DIR`.
    """
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(ShapedTTFont(name, str(FONTS_DIR / filename)))
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
        _record_sources(text, result, font)
        width = sum(data.x_advance for data in result.__shapeData__) * size / 1000
        return result, width
    # reportlab hands the text back as it was when shaping changes nothing
    # (or uharfbuzz is missing): it is still in logical order.
    return reverse_run(text), pdfmetrics.stringWidth(text, font, size)


def _record_sources(text: str, glyphs: ShapedStr, font: str) -> None:
    """Note the source text of each private-use glyph reportlab drew, for the ToUnicode CMap.

    harfbuzz numbers each glyph's cluster by the index of its first source
    character (clusters rise in logical order, whatever the drawing order),
    so a glyph stands for the characters from its cluster to the next one.
    The first glyph of a cluster carries its text; reportlab's font keeps one
    private-use code point a glyph, so a glyph seen again keeps its text.
    """
    registered = pdfmetrics.getFont(font)
    sources = getattr(registered, "sources", None)
    if sources is None:
        return
    data = glyphs.__shapeData__
    starts = sorted({d.cluster for d in data if 0 <= d.cluster <= len(text)} | {len(text)})
    seen: set[int] = set()
    for index in sorted(range(len(data)), key=lambda i: data[i].cluster):
        code, cluster = ord(glyphs[index]), data[index].cluster
        if code not in _PRIVATE_USE or code in sources or cluster in seen:
            seen.add(cluster)
            continue
        seen.add(cluster)
        end = starts[bisect.bisect_right(starts, cluster)] if cluster < len(text) else cluster
        if cluster < end:
            sources[code] = text[cluster:end]


def glyph_text(font: str, glyph: str) -> str:
    """Return the text a drawn glyph stands for, as the font's ToUnicode CMap gives it.

    :param font: the registered font name.
    :param glyph: one character of a shaped string (a private-use one for a glyph
        that no character of the font maps to).
    """
    sources = getattr(pdfmetrics.getFont(font), "sources", {})
    return sources.get(ord(glyph)) or glyph


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
