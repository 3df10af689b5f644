"""Render a plan as A4 PDF bytes; :func:`build_pdf`, the document template, the footer and
running head that every document of the app shares."""

from __future__ import annotations

import functools
import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from healthwise.plans.document import PlanDocument
from healthwise.plans.pdf.canvas import NumberedCanvas
from healthwise.plans.pdf.fonts import SANS, init_fonts
from healthwise.plans.pdf.lines import draw_line, fit
from healthwise.plans.pdf.page import Gettext, Ngettext, Renderer
from healthwise.plans.pdf.styles import (
    BOTTOM_MARGIN,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
)
from healthwise.plans.pdf.text import bounded, clean, is_rtl_language
from healthwise.plans.priority import fill


def _identity(message: str) -> str:
    """Return the message untranslated (English)."""
    return message


def _plural(singular: str, plural: str, n: int) -> str:
    """Pick the English singular or plural form."""
    return singular if n == 1 else plural


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
    :param gettext: translates one label and does no formatting (the view
        passes the ``gettext`` of the language's compiled catalogue, from
        ``healthwise.languages.service.gettext_for``).
    :param ngettext: picks and translates the singular or plural form, no
        formatting.
    :returns: the PDF file's bytes.
    :raises OSError: when a bundled font file is missing.
    """
    init_fonts()
    doc = bounded(doc)
    renderer = Renderer(doc, lang, gettext, ngettext)
    _ = gettext
    title = fill(_("Action plan: %(facility)s"), {"facility": clean(doc.facility)})
    footer_text = " \u00b7 ".join(
        part
        for part in (
            "HealthWISE Mobile",
            clean(doc.facility),
            fill(_("Generated %(date)s"), {"date": clean(doc.generated_at)})
            if doc.generated_at
            else "",
        )
        if part
    )
    running_head = " \u00b7 ".join(
        part for part in (clean(doc.facility), clean(doc.round_title)) if part
    )
    return build_pdf(renderer.story(), lang, gettext, title=title,
                     subject=_("HealthWISE action plan"), footer_text=footer_text,
                     running_head=running_head)


def build_pdf(
    story: list[Flowable],
    lang: str,
    gettext: Gettext,
    *,
    title: str,
    subject: str,
    footer_text: str,
    running_head: str,
) -> bytes:
    """Lay a story out on A4 pages with the plan's page furniture; return the PDF bytes.

    Every document of the app shares it: the frame, the footer (a rule, the footer text
    and "Page X of Y"), the running head after page 1, the metadata and the embedded
    default font, all mirrored for right to left.

    :param story: the flowables, as a renderer built them.
    :param lang: the language code; right-to-left languages get a mirrored footer.
    :param gettext: translates the page label.
    :param title: the PDF's title (metadata).
    :param subject: the PDF's subject (metadata).
    :param footer_text: the line at the foot of every page, shortened to fit.
    :param running_head: the line at the head of every page after the first.
    """
    init_fonts()
    _ = gettext
    rtl = is_rtl_language(lang)

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
            fit(footer_text, 7.5, rtl, FRAME_WIDTH - 90),
            start,
            8 * mm,
            size=7.5,
            rtl=rtl,
            align=start_align,
            color=MUTED,
        )
        if page > 1 and running_head:
            draw_line(
                canvas,
                fit(running_head, 7.5, rtl, FRAME_WIDTH),
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
        subject=subject,
        lang=lang,
        initialFontName=SANS,
    )
    template.build(story, canvasmaker=functools.partial(NumberedCanvas, footer=footer))
    return buffer.getvalue()
