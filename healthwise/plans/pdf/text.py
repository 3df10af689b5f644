"""Clean, escape, classify and clip the text that goes into a plan PDF."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from xml.sax.saxutils import escape

from healthwise.config import LANGUAGES
from healthwise.plans.document import PlanDocument

# A wall chart is no place for an essay, and a pasted novel should not cost
# seconds of CPU: longer fields are clipped with an ellipsis.
SHORT_TEXT, LONG_TEXT = 200, 1500

# Invisible format characters would print as empty boxes; the joiners stay
# because Arabic shaping uses them.
_KEEP_FORMAT = {"\u200c", "\u200d"}

# The blocks of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko...
# and their presentation forms); a regex is much faster than asking
# unicodedata about every character of every cell.
_RTL_CHARS = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def is_rtl_language(lang: str) -> bool:
    """Tell whether a language code (``ar``, ``ar-EG``...) is written right to left, as the
    server's one list of languages (``healthwise.config.LANGUAGES``) says.

    :param lang: a language code, with or without a region.
    """
    base = lang.replace("_", "-").split("-")[0].lower()
    return LANGUAGES.get(base, ("", "ltr"))[1] == "rtl"


def clean(text: object) -> str:
    """Turn any value into printable text: controls become spaces, newlines stay.

    :param text: any value; ``None`` becomes the empty string.
    """
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


def markup(text: object) -> str:
    """Escape plain text for a Paragraph, whose markup is code (img, link, font).

    :param text: any value, cleaned first.
    :returns: escaped text whose only markup is the ``<br/>`` of its newlines.
    """
    return escape(clean(text)).replace("\n", "<br/>")


def has_rtl(text: str) -> bool:
    """Tell whether text holds right-to-left letters (Arabic, Hebrew...)."""
    return _RTL_CHARS.search(text) is not None


def shorten(text: object, limit: int) -> str:
    """Clip cleaned text to ``limit`` characters, with an ellipsis when clipped.

    :param text: any value, cleaned first.
    :param limit: the most characters the result may hold, ellipsis included.
    """
    cleaned = clean(text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\u2026"


def bounded(doc: PlanDocument) -> PlanDocument:
    """Return the plan with every text cleaned and clipped to a printable length.

    :param doc: the plan as the service built it.
    """

    def short(text: object) -> str:
        return shorten(text, SHORT_TEXT)

    def long(text: object) -> str:
        return shorten(text, LONG_TEXT)

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
