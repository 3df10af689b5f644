"""Lay out one plan as a story of flowables, section by section, mirrored for right to left."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from babel.core import UnknownLocaleError
from babel.numbers import format_percent
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table

from healthwise.plans.document import ActionItem, PlanDocument
from healthwise.plans.pdf.drawings import bars, scale, swatch, tick
from healthwise.plans.pdf.flowables import BidiText, CachedParagraph, Thumbnails
from healthwise.plans.pdf.fonts import SANS, SANS_BOLD
from healthwise.plans.pdf.styles import (
    ACCENT,
    ACCENT_LIGHT,
    BAR_BEFORE,
    BAR_NOW,
    BODY,
    CELL,
    CELL_BOLD,
    CELL_PADDING,
    FRAME_WIDTH,
    HEADER_CELL,
    HEADING,
    INK,
    KICKER,
    LABEL,
    MAX_ROW_HEIGHT,
    NOT_ANSWERED,
    OVERDUE,
    RULE,
    SMALL,
    TITLE,
    VALUE,
    Style,
    table_style,
)
from healthwise.plans.pdf.tables import PagedTable, chunk_row, may_be_taller
from healthwise.plans.pdf.text import clean, has_rtl, is_rtl_language, markup
from healthwise.plans.priority import fill

#: The side of a photo's square beside its action, in points (about 13 mm).
PHOTO_SIZE = 36

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


class Renderer:
    """Build the story of one plan in one language, mirrored for right to left.

    :param doc: the plan, its texts already cleaned and clipped.
    :param lang: the language code; right-to-left languages get a mirrored layout.
    :param gettext: translates one label, no formatting.
    :param ngettext: picks and translates the singular or plural form, no formatting.
    """

    def __init__(self, doc: PlanDocument, lang: str, gettext: Gettext, ngettext: Ngettext) -> None:
        self.doc, self.lang, self._, self.ngettext = doc, lang, gettext, ngettext
        self.rtl = is_rtl_language(lang)
        self._paragraph_styles: dict[tuple[Style, str], ParagraphStyle] = {}

    # -- text -------------------------------------------------------------

    def _align(self, style: Style) -> str:
        """Map start/end to left/right for this document's direction."""
        if style.align == "centre":
            return "centre"
        start = "right" if self.rtl else "left"
        end = "left" if self.rtl else "right"
        return start if style.align == "start" else end

    def text(self, value: object, style: Style) -> Flowable:
        """Make a flowable for plain text, whatever its script; never parse it as markup."""
        cleaned = clean(value)
        align = self._align(style)
        if self.rtl or has_rtl(cleaned):
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
        return CachedParagraph(markup(cleaned), self._paragraph_style(style, align))

    def _paragraph_style(self, style: Style, align: str) -> ParagraphStyle:
        """Return (and reuse) the ParagraphStyle for a Style."""
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
        style: Style,
    ) -> list[list[list[Flowable]]]:
        """Return a table row as one or more rows, none taller than half a page.

        reportlab cannot place a table row taller than the page, and a user
        may paste a novel into a field. Measuring is skipped when a cheap
        bound shows the row is short, as it nearly always is.
        """
        if may_be_taller(texts, inner, style.size, MAX_ROW_HEIGHT / 2):
            return chunk_row(cells, inner, MAX_ROW_HEIGHT)
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
        return clean(text)

    # -- sections ---------------------------------------------------------

    def story(self) -> list[Flowable]:
        """Return every flowable of the plan, in order."""
        story = self.header()
        story += self.chart()
        story += self.action_table()
        story += self.discuss()
        story += self.achievements()
        story += self.signatures()
        return story

    def header(self) -> list[Flowable]:
        """Build the title block: what, where, when, who."""
        _, doc = self._, self.doc
        kind = _("Follow-up") if doc.kind == "follow_up" else _("Baseline")
        facts = [
            # A workshop's practice facility is in no district: say so rather than leave
            # a blank box on a plan trainers print for the participants.
            (_("District"), doc.district) if doc.district
            else (_("Workshop"), _("Practice facility, in no district")),
            (_("Round"), f"{clean(doc.round_title)} ({kind})" if doc.round_title else kind),
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
            table_style(
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
        """Build the bar chart: per module, the share of checkpoints where action is proposed."""
        _ = self._
        rows = list(self.doc.chart)
        if all(row.share is None and row.previous is None for row in rows):
            return []
        follow_up = any(row.previous is not None for row in rows)
        label_width = FRAME_WIDTH * 0.36
        bar_width = FRAME_WIDTH - label_width
        data = [self.row([Spacer(0, 0), scale(bar_width, self.rtl, self.percent)])]
        for row in rows:
            # A module nobody answered says so: no bar would read as 0 %, as progress.
            drawn = [
                bar or self.text(_("not answered"), NOT_ANSWERED)
                for bar in bars(row, bar_width, follow_up, self.rtl, self.percent)
            ]
            data.append(self.row([self.text(row.title, CELL), drawn]))
        table = Table(data, colWidths=self.row([label_width, bar_width]))
        table.setStyle(
            table_style(
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

    def _legend(self) -> Table:
        """Build a follow-up chart's legend: grey is the earlier round, green is now."""
        _ = self._
        cells: list[Any] = []
        widths: list[float] = []
        for colour, label in ((BAR_BEFORE, _("Previous round")), (BAR_NOW, _("This round"))):
            cells += [swatch(colour), self.text(label, SMALL)]
            widths += [14, 100]
        table = Table(
            [self.row(cells)], colWidths=self.row(widths), hAlign="RIGHT" if self.rtl else "LEFT"
        )
        table.setStyle(
            table_style(
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
        """Build the prioritised actions' table: long text wraps, the header repeats each page."""
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
                self.action_cell(item, inner[2]),
                [self.text(item.responsible, CELL)],
                self.due(item),
                [self.text(self.cost_label(item.cost), CELL)],
                [self.text(self.status_label(item.status), CELL)],
            ]
            first = len(data)
            texts = [
                item.rank,
                f"{item.checkpoint_id} {item.checkpoint_text}",
                item.action,
                item.responsible,
                f"{item.due} {_('Overdue')}" if item.overdue else item.due,
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
        table = PagedTable(data[0], data[1:],
                            [(first - 1, last - 1) for first, last in item_rows],
                            col_widths=self.row(widths), style=style,
                            h_align="RIGHT" if self.rtl else "LEFT")
        return heading + [table, Spacer(0, 14)]

    def action_cell(self, item: ActionItem, width: float) -> list[Flowable]:
        """Build the action's cell: its text, then its photos, small, in a line below."""
        cell = [self.text(item.action, CELL)]
        if item.photos:
            per_line = len(item.photos)
            size = min(PHOTO_SIZE, (width - Thumbnails.GAP * (per_line - 1)) / per_line)
            cell += [Spacer(0, 2), Thumbnails(item.photos, size=size, rtl=self.rtl)]
        return cell

    def due(self, item: ActionItem) -> list[Flowable]:
        """Build the due date's cell: an overdue item says so in words, in red and bold."""
        cell = [self.text(item.due, CELL)]
        if item.overdue:
            cell.append(self.text(self._("Overdue"), OVERDUE))
        return cell

    def discuss(self) -> list[Flowable]:
        """List what participants disagree on (``priority.disagrees``), if anything."""
        _ = self._
        if not self.doc.discuss:
            return []
        story = [self.text(_("To discuss"), HEADING), Spacer(0, 2),
                 self.text(_("Participants answered these differently: look at them again "
                             "together."), BODY), Spacer(0, 4)]
        for line in self.doc.discuss:
            counts = fill(_("Propose action: %(yes)d · No: %(no)d · Not applicable: %(na)d"),
                          {"yes": line.n_action, "no": line.n_no, "na": line.n_na})
            story.append(KeepTogether([
                self.text(f"{clean(line.checkpoint_id)} \u2013 {clean(line.text)}", CELL),
                self.text(counts, CELL), Spacer(0, 3)]))
        return [*story, Spacer(0, 10)]

    def achievements(self) -> list[Flowable]:
        """List what is already good: HealthWISE builds on achievements."""
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
            text = clean(line.text)
            if line.checkpoint_id:
                text = f"{clean(line.checkpoint_id)} \u2013 {text}"
            cells = [[tick()], [self.text(text, CELL)]]
            rows += [self.row(row) for row in self._rows(cells, widths, ["", text], CELL)]
        table = Table(rows, colWidths=self.row(widths), hAlign="RIGHT" if self.rtl else "LEFT")
        table.setStyle(
            table_style(
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

    def signatures(self) -> list[Flowable]:
        """Build signature lines for the chair and the manager, and the next review date."""
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
            table_style(
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
            table_style(
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

