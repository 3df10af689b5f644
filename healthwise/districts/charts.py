"""Charts for the district pages, drawn on the server as small SVG: pure functions.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that say what
it shows; the page puts the same numbers in a table beside it, for screen readers and
for anyone who would rather read. Nothing is sent to the browser but the drawing: no
script, no library. Right-to-left pages get mirrored charts (bars grow from the right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colours of the action items' states, the same as the pages' badges.
STATUS_COLOURS = {"planned": "#9aa5b1", "in_progress": "#f0b429", "done": "#2f9e44",
                  "dropped": "#d9dee3", "overdue": "#c92a2a"}
BAR, NOW, BEFORE = "#1f6feb", "#1f6feb", "#a5c8ff"
# Narrow on purpose: the drawing scales to the card, and on a 360 px phone a wider one
# would shrink its text below reading size.
WIDTH = 420
LABEL = 130  # room for a period's label in the stacked chart
ROW = 26
LINE = 18  # one line of a label
CHARS = 48  # a label's line, in characters, before it wraps


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a label and up to two values between 0 and 1."""

    label: str
    value: float | None
    before: float | None = None


def _frame(title: str, desc: str, height: int, body: str, chart_id: str, rtl: bool
           ) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'direction="{"rtl" if rtl else "ltr"}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>{body}</svg>')


def _x(x: float, width: float, rtl: bool) -> float:
    """Return where a shape of ``width`` starting at ``x`` (left to right) is drawn."""
    return WIDTH - x - width if rtl else x


def wrap(text: str, width: int = CHARS) -> list[str]:
    """Cut a label into lines of at most ``width`` characters, between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _text(x: float, y: float, text: str, rtl: bool, anchor: str = "start",
          css: str = "") -> str:
    # Right to left, "start" is the right end of the text (the drawing says direction="rtl").
    if rtl:
        x = WIDTH - x
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"'
            f'{" class=" + chr(34) + css + chr(34) if css else ""}>{escape(text)}</text>')


def shares(bars: Sequence[Bar], title: str, desc: str, percent, none_text: str,
           chart_id: str = "shares", rtl: bool = False) -> Markup:
    """Draw a horizontal bar per row under its label: the share needing action, and where
    a row has one, the share before (a lighter bar under it).

    Labels get a line of their own (module titles are long, and longer in French).

    :param percent: formats a share for the reader's language (``0.25`` -> ``25 %``).
    :param none_text: what a row without a value says ("not answered").
    """
    span = WIDTH - 60
    parts, y = [], 4
    for bar in bars:
        for line in wrap(bar.label):
            parts.append(_text(0, y + 14, line, rtl))
            y += LINE
        top = y + 2
        if bar.before is not None:
            w = max(span * bar.before, 1)
            parts.append(f'<rect x="{_x(0, w, rtl):.1f}" y="{top + 11}" width="{w:.1f}" '
                         f'height="6" fill="{BEFORE}"/>')
        if bar.value is None:
            parts.append(_text(0, top + 11, none_text, rtl, css="none"))
        else:
            w = max(span * bar.value, 1)
            height = 10 if bar.before is not None else 14
            parts.append(f'<rect x="{_x(0, w, rtl):.1f}" y="{top}" width="{w:.1f}" '
                         f'height="{height}" fill="{NOW}"/>')
            parts.append(_text(w + 6, top + 12, percent(bar.value), rtl))
        y += ROW
    return _frame(title, desc, y + 4, "".join(parts), chart_id, rtl)


def stacked(columns: Sequence[tuple[str, dict[str, int]]], order: Sequence[str],
            names: dict[str, str], title: str, desc: str, chart_id: str = "statuses",
            rtl: bool = False) -> Markup:
    """Draw one stacked horizontal bar per column (a period), segments in ``order``.

    :param columns: ``(label, {state: count})`` per period, oldest first.
    :param order: the states, in the order their segments are drawn.
    :param names: each state's name in the reader's language.
    """
    span = WIDTH - LABEL - 40
    most = max((sum(counts.values()) for _, counts in columns), default=0) or 1
    parts, y = [], 8
    for label, counts in columns:
        parts.append(_text(LABEL - 8, y + 15, label, rtl, "end"))
        x = LABEL
        for state in order:
            n = counts.get(state, 0)
            if not n:
                continue
            w = span * n / most
            parts.append(f'<rect x="{_x(x, w, rtl):.1f}" y="{y + 4}" width="{w:.1f}" '
                         f'height="16" fill="{STATUS_COLOURS.get(state, BAR)}">'
                         f'<title>{escape(names.get(state, state))}: {n}</title></rect>')
            x += w
        parts.append(_text(x + 6, y + 16, str(sum(counts.values())), rtl))
        y += ROW
    return _frame(title, desc, y + 6, "".join(parts), chart_id, rtl)
