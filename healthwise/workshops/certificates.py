"""Certificates of participation: one A4 landscape page per participant, in any language.

Pure: the workshop's facts in, PDF bytes out (no Flask, no database). Text is drawn with
the plan PDF's machinery (:mod:`healthwise.plans.pdf`: its fonts, Arabic shaping and
right-to-left lines), so names in any script come out as typed and are never read as
markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from healthwise.plans.pdf import draw_line, init_fonts
from healthwise.plans.pdf.lines import break_lines, fit
from healthwise.plans.pdf.styles import ACCENT, MUTED, RULE
from healthwise.plans.pdf.text import clean, is_rtl_language, shorten
from healthwise.plans.priority import fill

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
#: The widest line: the page less its frame and a margin inside it.
LINE_WIDTH = PAGE_WIDTH - 60 * mm
#: At most this many lines of module titles, the last shortened with an ellipsis.
MODULE_LINES = 4


@dataclass(frozen=True)
class Workshop:
    """What every certificate of a workshop says.

    :param name: the workshop's name.
    :param starts_on: its first day.
    :param ends_on: its last day.
    :param trainer: who ran it (their email address: accounts have no other name).
    :param modules: the titles of the HealthWISE modules practised, in the reader's
        language.
    """

    name: str
    starts_on: date
    ends_on: date
    trainer: str
    modules: tuple[str, ...] = ()


def dates_text(starts_on: date, ends_on: date, lang: str) -> str:
    """Return a workshop's dates in a language: one day, or the first and the last."""
    first = format_date(starts_on, "long", locale=lang)
    if ends_on == starts_on:
        return first
    return f"{first} \u2013 {format_date(ends_on, 'long', locale=lang)}"


def render_certificates(workshop: Workshop, names: list[str], lang: str,
                        gettext: Callable[[str], str]) -> bytes:
    """Render one certificate page per participant, in one language.

    :param workshop: what every page says of the workshop.
    :param names: the participants, each as they typed their name (one page each; no
        page at all is an empty list's, so callers check first).
    :param lang: the language of the page's words (right to left for Arabic).
    :param gettext: translates the page's words into ``lang``.
    """
    init_fonts()
    _ = gettext
    rtl = is_rtl_language(lang)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    canvas.setTitle(_("Certificate of participation"))
    canvas.setSubject(clean(workshop.name))
    centre = PAGE_WIDTH / 2
    dates = dates_text(workshop.starts_on, workshop.ends_on, lang)
    # The language's own list separator (the same message as the plan's reasons: "، ").
    modules = _(", ").join(clean(title) for title in workshop.modules)

    def line(text: str, y: float, size: float, bold: bool = False, color=None) -> None:
        draw_line(canvas, fit(text, size, rtl, LINE_WIDTH), centre, y, size=size, bold=bold,
                  rtl=rtl, align="centre", **({"color": color} if color else {}))

    for name in names:
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(3)
        canvas.rect(12 * mm, 12 * mm, PAGE_WIDTH - 24 * mm, PAGE_HEIGHT - 24 * mm)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.8)
        canvas.rect(16 * mm, 16 * mm, PAGE_WIDTH - 32 * mm, PAGE_HEIGHT - 32 * mm)
        line("HealthWISE", PAGE_HEIGHT - 40 * mm, 16, bold=True, color=ACCENT)
        line(_("Certificate of participation"), PAGE_HEIGHT - 58 * mm, 30, bold=True)
        line(_("This certifies that"), PAGE_HEIGHT - 78 * mm, 14, color=MUTED)
        line(shorten(name, 100), PAGE_HEIGHT - 96 * mm, 28, bold=True)
        line(_("took part in the HealthWISE workshop"), PAGE_HEIGHT - 112 * mm, 14,
             color=MUTED)
        line(shorten(workshop.name, 200), PAGE_HEIGHT - 126 * mm, 18, bold=True)
        line(dates, PAGE_HEIGHT - 138 * mm, 13)
        y = PAGE_HEIGHT - 152 * mm
        if modules:
            covered = fill(_("Modules covered: %(modules)s"), {"modules": modules})
            lines = break_lines(covered, False, 11, LINE_WIDTH)
            if len(lines) > MODULE_LINES:
                lines = [*lines[:MODULE_LINES - 1], " ".join(lines[MODULE_LINES - 1:])]
            for text in lines:
                line(text, y, 11)
                y -= 14
        line(fill(_("Trainer: %(email)s"), {"email": clean(workshop.trainer)}), 30 * mm, 11,
             color=MUTED)
        line(_("HealthWISE: Work Improvement in Health Services (ILO/WHO)"), 22 * mm, 9,
             color=MUTED)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
