"""Flow text onto the page: BidiText for any script, a Paragraph that wraps once per width."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image, UnidentifiedImageError
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Paragraph

from healthwise.plans.pdf.lines import break_lines, draw_line
from healthwise.plans.pdf.styles import INK
from healthwise.plans.pdf.text import clean


class BidiText(Flowable):
    """A paragraph of plain text in any script, right to left or left to right.

    Lines break in logical order and each line is then ordered for display,
    so a multi-line Arabic paragraph reads top to bottom, right to left
    (reshaping the whole paragraph before breaking it, as arabic-reshaper
    with python-bidi would, puts its last words on the first line). The text
    is never parsed as markup.

    :param text: any value, cleaned first.
    :param size: the font size in points.
    :param leading: the distance between baselines in points.
    :param bold: whether to draw in bold.
    :param rtl: whether the paragraph is right to left.
    :param align: ``left``, ``right`` or ``centre``.
    :param color: the fill colour of the text.
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
        self.text = clean(text)
        self.size, self.leading, self.bold = size, leading, bold
        self.rtl, self.align, self.color = rtl, align, color
        self._laid_out_width: float | None = None
        self._lines: list[str] = []

    def _layout(self, width: float) -> None:
        """Break the text for a width, once per width."""
        if self._laid_out_width != width:
            self._lines = break_lines(self.text, self.bold, self.size, max(width, self.size))
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


class CachedParagraph(Paragraph):
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


#: The longest side, in pixels, of a photo as embedded in a PDF: sharp at about 300 dpi
#: for the printed size, and a few kilobytes instead of the phone's 200.
THUMBNAIL_PIXELS = 200


def thumbnail(data: bytes) -> ImageReader | None:
    """Return a photo shrunk for print, or None if its bytes are not an image."""
    key = hashlib.sha256(data).digest()
    if key not in _THUMBNAILS:
        if len(_THUMBNAILS) >= 512:  # a few KB each: the oldest goes
            _THUMBNAILS.pop(next(iter(_THUMBNAILS)), None)
        _THUMBNAILS[key] = _shrink(data)
    small = _THUMBNAILS[key]
    return _Jpeg(small) if small is not None else None


class _Jpeg(ImageReader):
    """A JPEG that reportlab embeds as it is (DCTDecode), without decoding it again."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._jpeg = data

    def jpeg_fh(self):
        return io.BytesIO(self._jpeg)


#: Thumbnails already made, by the sha-256 of the photo (photos never change; the
#: photo itself is not kept, only its digest and its thumbnail).
_THUMBNAILS: dict[bytes, bytes | None] = {}


def _shrink(data: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))  # JPEG: decode small
            small = image.convert("RGB")
            small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    out = io.BytesIO()
    small.save(out, "JPEG", quality=75)
    return out.getvalue()


class Thumbnails(Flowable):
    """A line of small photos, each in a square of ``size`` points, in reading order.

    :param photos: the photos' bytes; those that are not images are left out.
    :param size: the side of each photo's square, in points.
    :param rtl: whether the line runs right to left.
    """

    GAP = 3

    def __init__(self, photos: tuple[bytes, ...], *, size: float, rtl: bool = False) -> None:
        super().__init__()
        self.images = [image for image in map(thumbnail, photos) if image is not None]
        self.size, self.rtl = size, rtl

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = (self.size + self.GAP) if self.images else 0
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list:
        return []  # a line of photos moves to the next row whole

    def draw(self) -> None:
        x = self.width - self.size if self.rtl else 0.0
        step = -(self.size + self.GAP) if self.rtl else self.size + self.GAP
        for image in self.images:
            if x < -0.5 or x + self.size > self.width + 0.5:
                break  # no room left in the column
            w, h = image.getSize()
            scale = self.size / max(w, h)
            dw, dh = w * scale, h * scale
            # Centred in its square, on the top of the line.
            self.canv.drawImage(image, x + (self.size - dw) / 2, self.GAP + self.size - dh,
                                dw, dh)
            x += step
