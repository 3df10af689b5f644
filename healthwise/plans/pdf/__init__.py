"""Render a printable A4 action plan, the page a committee pins on the wall.

Pure: a :class:`~healthwise.plans.document.PlanDocument` (already localised
text), a language code and two translation callables in, PDF bytes out. No
Flask: the view takes ``gettext`` and ``ngettext`` from the language's compiled
catalogue (``healthwise.languages.service.gettext_for(lang)``, which needs no
request) and passes them in, so nothing here depends on a request's locale.

Safety: reportlab's paragraph markup is code (``<img src>`` loads files or
URLs, ``<link>`` makes links), so every piece of text, user text and
translated labels alike, is escaped before it reaches a ``Paragraph``;
right-to-left text never goes through the markup parser at all. The only
markup in a paragraph is the ``<br/>`` that :func:`.text.markup` adds.

Right to left: reportlab shapes Arabic with uharfbuzz but cannot order it
(that takes ``rlbidi``, not on PyPI), so text with right-to-left letters
goes through :class:`BidiText`: lines break in logical order, then each
line is ordered (:mod:`.bidi`), shaped and drawn (:mod:`.lines`).

Searchable text: each shaped glyph maps back to the characters it stands for
in the fonts' ToUnicode CMaps (:class:`.fonts.ShapedTTFont`), so text copied
or extracted from a PDF is the text put in (in presentation forms, which NFKC
folds). What extractors still misread in right-to-left text, a vowel mark
raised off the baseline and a neutral (a space at the edge of a Latin word, a
bracket, "،", ":"), is drawn in a marked-content span whose ``/ActualText``
says what it is (:func:`.lines._show`), one glyph and one character a span:
poppler's pdftotext lays a longer span's text out left to right, so an Arabic
word or line in one span comes out reversed, and pypdf ignores ActualText.

The modules, one job each, lowest first:

- :mod:`.text`: clean, escape, detect right-to-left, clip to printable length.
- :mod:`.bidi`: resolve bidi levels of one line and cut it into visual runs.
- :mod:`.fonts`: register the bundled fonts once, choose one per character,
  shape and measure.
- :mod:`.styles`: page geometry, colours, text styles, embedded default fonts.
- :mod:`.lines`: break text into lines, lay a line out, draw it, fit it.
- :mod:`.flowables`: :class:`BidiText` and the Paragraph that wraps once per width.
- :mod:`.tables`: the table paged one page at a time, giant rows cut, stripes.
- :mod:`.page`: the renderer that builds the plan's story, section by section.
- :mod:`.canvas`: the canvas that numbers pages "X of Y".
- :mod:`.render`: :func:`render_plan`; :func:`build_pdf`, the document template and the
  footer that every document shares (the district report too).
"""

from healthwise.plans.pdf.flowables import BidiText
from healthwise.plans.pdf.fonts import init_fonts
from healthwise.plans.pdf.lines import draw_line
from healthwise.plans.pdf.render import build_pdf, render_plan

__all__ = ["BidiText", "build_pdf", "draw_line", "init_fonts", "render_plan"]
