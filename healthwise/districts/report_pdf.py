"""Render the district report as A4 PDF bytes, with the action plan's PDF stack.

Pure: a :class:`~healthwise.districts.report.DistrictReport` (already localised text),
a language code and two translation callables in, PDF bytes out; no Flask, no
database. The fonts, the shaping and ordering of Arabic, the text styles, the paged
table, the chart's bars and the page furniture are the plan's
(:mod:`healthwise.plans.pdf`): this module only lays the district's sections out.

The report: a cover block (the district, the date, the number of facilities, the rule
of five), the headline figures, the overview table (one row per facility), the module
chart, the actions by quarter, then a compact block per facility (its last round,
module shares, open actions without who is responsible, why it stands out). A district
of 100 facilities fits in about thirty pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reportlab.graphics.shapes import Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    Spacer,
    Table,
)

from healthwise.districts.charts import STATUS_COLOURS
from healthwise.facilities.messages import kind_labels
from healthwise.plans.document import ChartRow
from healthwise.plans.pdf import build_pdf, init_fonts
from healthwise.plans.pdf.drawings import bars, scale, swatch
from healthwise.plans.pdf.fonts import SANS, SANS_BOLD
from healthwise.plans.pdf.page import Gettext, Ngettext, Renderer
from healthwise.plans.pdf.styles import (
    ACCENT,
    ACCENT_LIGHT,
    BAR_BEFORE,
    BAR_NOW,
    BODY,
    CELL,
    CELL_PADDING,
    FRAME_WIDTH,
    HEADING,
    INK,
    KICKER,
    LABEL,
    MUTED,
    NOT_ANSWERED,
    OVERDUE,
    RULE,
    SMALL,
    TITLE,
    VALUE,
    Style,
    blank_drawing,
    table_style,
)
from healthwise.plans.pdf.tables import PagedTable
from healthwise.plans.pdf.text import SHORT_TEXT, clean, shorten
from healthwise.plans.priority import fill

if TYPE_CHECKING:
    from healthwise.districts.report import DistrictReport, FacilitySection

__all__ = ["render_district_report"]

#: An action's text in a facility's block: enough to know what was agreed.
ACTION_TEXT = 300

SMALL_CELL = Style(7.5, 9.5)
SMALL_CELL_BOLD = Style(7.5, 9.5, bold=True)
SMALL_HEADER = Style(7, 9, bold=True, color=colors.white)
FLAG = Style(7.5, 9.5, bold=True, color=OVERDUE.color)
FACILITY = Style(11.5, 15, bold=True, color=ACCENT)
FIGURE = Style(15, 18, bold=True)
FIGURE_ALERT = Style(15, 18, bold=True, color=OVERDUE.color)

CHART_HEIGHT = 96  # the tallest quarter's bar, in points


def _identity(message: str) -> str:
    return message


def _plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


class DistrictRenderer(Renderer):
    """Build the story of one district report in one language, mirrored for right to left.

    :param doc: the report, its texts already in the reader's language.
    :param lang: the language code.
    :param gettext: translates one label, no formatting.
    :param ngettext: picks and translates the singular or plural form, no formatting.
    """

    doc: DistrictReport

    # -- words ------------------------------------------------------------

    def flag_label(self, code: str) -> str:
        """Translate why a facility stands out (the district page's words)."""
        _ = self._
        return {"never_assessed": _("Never assessed"), "review_overdue": _("Review overdue"),
                "stalled": _("Plan stalled"), "overdue_items": _("Overdue actions")
                }.get(code, code)

    def area_label(self, code: str) -> str:
        """Translate one of the four areas."""
        _ = self._
        return {"safety": _("Safety"), "violence": _("Violence"), "hiv_tb": _("HIV and TB"),
                "working_time": _("Working time")}.get(code, code)

    def kind_label(self, code: str) -> str:
        """Translate a facility's kind; the registry's own words stay as they are."""
        return kind_labels(self._).get(code) or clean(code)

    def round_label(self, code: str) -> str:
        """Translate a round's kind."""
        _ = self._
        return {"baseline": _("Baseline"), "follow_up": _("Follow-up")}.get(code, code)

    def state_label(self, code: str) -> str:
        """Translate an action's state as the quarters chart stacks it."""
        return self._("Overdue") if code == "overdue" else self.status_label(code)

    def flags(self, codes: Sequence[str]) -> str:
        """Name a facility's flags in words, one sentence."""
        return " \u00b7 ".join(self.flag_label(code) for code in codes)

    # -- sections ---------------------------------------------------------

    def story(self) -> list[Flowable]:
        """Return every flowable of the report, in order."""
        return [*self.cover(), *self.headline(), *self.overview(), *self.module_chart(),
                *self.quarter_chart(), *self.sections()]

    def _boxes(self, facts: Sequence[tuple[str, str, Style]], columns: int) -> Table:
        """Lay label-and-value boxes out in a grid, as the plan's title block does."""
        width = FRAME_WIDTH / columns
        cells = [[self.text(label, LABEL), self.text(value, style)]
                 for label, value, style in facts]
        cells += [""] * (-len(cells) % columns)
        rows = [self.row(cells[i:i + columns]) for i in range(0, len(cells), columns)]
        table = Table(rows, colWidths=[width] * columns)
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT),
            ("GRID", (0, 0), (-1, -1), 0.75, colors.white),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ("LEFTPADDING", (0, 0), (-1, -1), 7),
            ("RIGHTPADDING", (0, 0), (-1, -1), 7),
        ]))
        return table

    def cover(self) -> list[Flowable]:
        """Build the title block: the district, the date, its facilities, the rule of five."""
        _, doc = self._, self.doc
        facts = [
            (_("Date"), doc.date, VALUE),
            (_("Facilities"), str(doc.totals.facilities), VALUE),
            (_("Assessed"), fill(_("%(num)d of %(total)d"),
                                 {"num": doc.totals.assessed, "total": doc.totals.facilities}),
             VALUE),
        ]
        return [
            self.text(_("HealthWISE district report"), KICKER),
            Spacer(0, 2),
            self.text(doc.district or "\u2014", TITLE),
            Spacer(0, 8),
            self._boxes(facts, 3),
            Spacer(0, 6),
            self.text(fill(_("Figures from each facility's last round that has answers. A "
                             "sensitive checkpoint counts only where at least %(n)s people "
                             "answered it. Names are never shown."), {"n": doc.min_group}),
                      SMALL),
            Spacer(0, 12),
        ]

    def headline(self) -> list[Flowable]:
        """Build the headline figures: the district's totals."""
        _, totals = self._, self.doc.totals

        def alert(n: int) -> Style:
            return FIGURE_ALERT if n else FIGURE

        facts = [
            (_("Never assessed"), totals.never_assessed, alert(totals.never_assessed)),
            (_("Review overdue"), totals.review_overdue, alert(totals.review_overdue)),
            (_("Stalled plans"), totals.stalled, alert(totals.stalled)),
            (_("Open actions"), totals.items.open, FIGURE),
            (_("Overdue actions"), totals.items.overdue, alert(totals.items.overdue)),
            (_("Done"), totals.items.done, FIGURE),
            *((fill(_("High priority: %(area)s"), {"area": self.area_label(area)}),
               totals.high_priority.get(area, 0), alert(totals.high_priority.get(area, 0)))
              for area in ("safety", "violence", "hiv_tb", "working_time")),
        ]
        return [KeepTogether([
            self.text(_("The district in figures"), HEADING), Spacer(0, 5),
            self._boxes([(label, str(value), style) for label, value, style in facts], 5),
        ]), Spacer(0, 14)]

    def overview(self) -> list[Flowable]:
        """Build the overview table: one row per facility, its header on every page."""
        _, doc = self._, self.doc
        heading = [CondPageBreak(50 * mm), self.text(_("Facilities"), HEADING), Spacer(0, 5)]
        if not doc.lines:
            return [*heading, self.text(_("No facility in this district yet."), BODY),
                    Spacer(0, 14)]
        areas = [area for area, _n in doc.lines[0].high_priority]
        headers = [_("Facility"), _("Last round"), _("Next review"),
                   _("Actions: open / overdue / done"),
                   *(self.area_label(area) for area in areas), _("Needs attention")]
        widths = [25, 12, 12, 11, *(9,) * len(areas), 17]
        widths = [w * FRAME_WIDTH / sum(widths) for w in widths]
        data = []
        for line in doc.lines:
            data.append(self.row([
                self.text(shorten(line.name, SHORT_TEXT), SMALL_CELL_BOLD),
                self.text(line.last_round or "\u2014", SMALL_CELL),
                self.text(line.next_review or "\u2014",
                          FLAG if line.review_overdue else SMALL_CELL),
                self.text(f"{line.open} / {line.overdue} / {line.done}",
                          FLAG if line.overdue else SMALL_CELL),
                *(self.text(str(n), FLAG if n else SMALL_CELL) for _area, n in line.high_priority),
                self.text(self.flags(line.flags) or "\u2014", FLAG if line.flags else SMALL_CELL),
            ]))
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        table = PagedTable(self.row([self.text(h, SMALL_HEADER) for h in headers]), data,
                           [(i, i) for i in range(len(data))], col_widths=self.row(widths),
                           style=style, h_align="RIGHT" if self.rtl else "LEFT")
        note = self.text(_("High priority: open actions on a checkpoint that prevents the most "
                           "serious harm, or ranked among the first five of the plan, in the "
                           "four areas. Review due six months after the last round; a plan has "
                           "stalled when none of its open actions changed for 90 days."), SMALL)
        return [*heading, table, Spacer(0, 4), note, Spacer(0, 14)]

    def _legend(self, entries: Sequence[tuple[Any, str]], width: float = 100) -> Table:
        """Build a legend: a colour swatch and its words, for each entry."""
        cells: list[Any] = []
        widths: list[float] = []
        for colour, label in entries:
            cells += [swatch(colour), self.text(label, SMALL)]
            widths += [14, width]
        table = Table([self.row(cells)], colWidths=self.row(widths),
                      hAlign="RIGHT" if self.rtl else "LEFT")
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]))
        return table

    def _bars(self, rows: Sequence[ChartRow], label_width: float, size: Style = CELL
              ) -> Table:
        """Draw horizontal bars of module shares, with the round before where there is one."""
        _ = self._
        paired = any(row.previous is not None for row in rows)
        bar_width = FRAME_WIDTH - label_width
        data = [self.row([Spacer(0, 0), scale(bar_width, self.rtl, self.percent)])]
        for row in rows:
            before, now = bars(row, bar_width, paired, self.rtl, self.percent) if paired else (
                None, *bars(row, bar_width, False, self.rtl, self.percent))
            drawn: list[Flowable] = []
            if now is None:
                # A module nobody answered says so: no bar would read as 0 %, as progress.
                drawn.append(self.text(_("not answered"), NOT_ANSWERED))
            else:
                if before is not None:
                    drawn.append(before)
                drawn.append(now)
            data.append(self.row([self.text(row.title, size), drawn]))
        table = Table(data, colWidths=self.row([label_width, bar_width]))
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 1), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, 0), 0),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 1),
            ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
            ("LEFTPADDING", (1, 0), (1, -1), 8) if self.rtl
            else ("RIGHTPADDING", (0, 0), (0, -1), 8),
        ]))
        return table

    def module_chart(self) -> list[Flowable]:
        """Build the module chart: the mean share needing action, before and after."""
        _, rows = self._, list(self.doc.modules)
        if all(row.share is None for row in rows):
            return []
        flowables: list[Flowable] = [
            self.text(_("Checkpoints needing action, by module"), HEADING),
            self.text(_("For each module, the mean share of answered checkpoints needing "
                        "action across the district's facilities, from each facility's last "
                        "round that has answers. Shorter bars mean fewer problems."), SMALL),
            Spacer(0, 5)]
        if any(row.previous is not None for row in rows):
            flowables += [self._legend([
                (BAR_BEFORE, _("The round before (facilities with two rounds)")),
                (BAR_NOW, _("Last round"))], width=200), Spacer(0, 3)]
        return [KeepTogether([*flowables, self._bars(rows, FRAME_WIDTH * 0.36)]),
                Spacer(0, 14)]

    def quarter_chart(self) -> list[Flowable]:
        """Build the stacked chart of the actions planned each quarter, by their state today."""
        _, quarters = self._, list(self.doc.quarters)
        heading = [self.text(_("Actions by the quarter they were planned in"), HEADING),
                   self.text(_("One bar per quarter: how many of the actions planned then are "
                               "done, in progress, planned, overdue or dropped today."), SMALL),
                   Spacer(0, 6)]
        if not quarters:
            return [KeepTogether([*heading, self.text(_("No action planned yet."), BODY)]),
                    Spacer(0, 14)]
        most = max(sum(n for _state, n in q.counts) for q in quarters) or 1
        width = FRAME_WIDTH / max(len(quarters), 4)
        drawings = [_stack(q.counts, width, most) for q in quarters]
        labels = [self.text(q.label, Style(7.5, 9.5, color=MUTED, align="centre"))
                  for q in quarters]
        table = Table([self.row(drawings), self.row(labels)],
                      colWidths=[width] * len(quarters), hAlign="RIGHT" if self.rtl else "LEFT")
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, MUTED),
        ]))
        legend = self._legend([(colors.HexColor(STATUS_COLOURS[state]), self.state_label(state))
                               for state, _n in quarters[0].counts], width=64)
        return [KeepTogether([*heading, table, Spacer(0, 5), legend]), Spacer(0, 16)]

    def sections(self) -> list[Flowable]:
        """Build one compact block per facility, ruled off from the next."""
        _ = self._
        if not self.doc.facilities:
            return []
        story: list[Flowable] = []
        heading = [self.text(_("Facility by facility"), HEADING), Spacer(0, 4)]
        for number, section in enumerate(self.doc.facilities):
            block = self.section(section)
            story += [KeepTogether([*heading, *block] if number == 0 else block),
                      HRFlowable(width="100%", thickness=0.5, color=RULE, spaceBefore=4,
                                 spaceAfter=6)]
        return story

    def section(self, facility: FacilitySection) -> list[Flowable]:
        """Build one facility's block: its round, module shares, open actions, flags."""
        _, ngettext = self._, self.ngettext
        about = [self.kind_label(facility.kind)] if facility.kind else []
        if facility.round_kind:
            about.append(fill(_("Last round: %(date)s (%(kind)s)"), {
                "date": facility.round_date or "\u2014",
                "kind": self.round_label(facility.round_kind)}))
            about.append(fill(ngettext("%(num)d participant", "%(num)d participants",
                                       facility.participants), {"num": facility.participants}))
        else:
            about.append(_("No round with answers yet."))
        if facility.next_review:
            about.append(fill(_("Next review: %(date)s"), {"date": facility.next_review}))
        block: list[Flowable] = [self.text(shorten(facility.name, SHORT_TEXT), FACILITY),
                                 self.text(" \u00b7 ".join(about), SMALL)]
        if facility.flags:
            block.append(self.text(fill(_("Needs attention: %(reasons)s"),
                                        {"reasons": self.flags(facility.flags)}), FLAG))
        if any(row.share is not None for row in facility.modules):
            block += [Spacer(0, 4), self._shares(facility.modules)]
        if facility.withheld:
            block.append(self.text(fill(ngettext(
                "%(num)d sensitive checkpoint left out: fewer than %(n)d people answered it.",
                "%(num)d sensitive checkpoints left out: fewer than %(n)d people answered them.",
                facility.withheld), {"num": facility.withheld, "n": self.doc.min_group}), SMALL))
        block += [Spacer(0, 4), *self._actions(facility)]
        return block

    def _shares(self, modules: Sequence[ChartRow]) -> Table:
        """List a facility's module shares in three columns: now, and the round before."""
        _ = self._
        cells = []
        for row in modules:
            if row.share is None:
                value = _("not answered")
            elif row.previous is not None:
                # In words: the fonts have no arrow that every script shares.
                value = fill(_("%(now)s (was %(before)s)"),
                             {"now": self.percent(row.share), "before": self.percent(row.previous)})
            else:
                value = self.percent(row.share)
            cells.append([self.text(row.title, SMALL_CELL),
                          self.text(value, NOT_ANSWERED if row.share is None else SMALL_CELL_BOLD)])
        cells += [["", ""]] * (-len(cells) % 3)
        third = FRAME_WIDTH / 3
        widths = [third * 0.64, third * 0.36] * 3
        rows = [self.row([*cells[i], *cells[i + 1], *cells[i + 2]])
                for i in range(0, len(cells), 3)]
        table = Table(rows, colWidths=self.row(widths))
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ]))
        return table

    def _actions(self, facility: FacilitySection) -> list[Flowable]:
        """List a facility's open actions, overdue first: what, by when, how far; never who."""
        _ = self._
        if not facility.actions:
            return [self.text(_("No open action."), SMALL)]
        headers = ["", _("Open actions"), _("Due date"), _("Status")]
        widths = [40, 300, 90, 60]
        widths = [w * FRAME_WIDTH / sum(widths) for w in widths]
        data = [self.row([self.text(h, SMALL_HEADER) for h in headers])]
        for action in facility.actions:
            due = action.due or "\u2014"
            data.append(self.row([
                self.text(action.checkpoint_id, SMALL_CELL_BOLD),
                self.text(shorten(action.action, ACTION_TEXT), SMALL_CELL),
                # Overdue in words (and red), not only in colour, as in the plan.
                self.text(f"{due} \u00b7 {_('Overdue')}", FLAG) if action.overdue
                else self.text(due, SMALL_CELL),
                self.text(self.status_label(action.status), SMALL_CELL),
            ]))
        table = Table(data, colWidths=self.row(widths), repeatRows=1,
                      hAlign="RIGHT" if self.rtl else "LEFT")
        table.setStyle(table_style([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), MUTED),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]))
        found = [table]
        if facility.more_actions:
            found.append(self.text(fill(self.ngettext(
                "And %(num)d more open action: the facility's plan lists them all.",
                "And %(num)d more open actions: the facility's plan lists them all.",
                facility.more_actions), {"num": facility.more_actions}), SMALL))
        return found


def _stack(counts: Sequence[tuple[str, int]], width: float, most: int):
    """Draw one quarter's bar: its states stacked from the foot, the total above."""
    total = sum(n for _state, n in counts)
    drawing = blank_drawing(width - 4, CHART_HEIGHT + 12)
    bar = min(28.0, (width - 4) * 0.6)
    x = (width - 4 - bar) / 2
    y = 0.0
    for state, n in counts:
        if not n:
            continue
        height = CHART_HEIGHT * n / most
        drawing.add(Rect(x, y, bar, height, fillColor=colors.HexColor(STATUS_COLOURS[state]),
                         strokeColor=colors.white, strokeWidth=0.5))
        if height >= 9:
            drawing.add(String(x + bar / 2, y + height / 2 - 2.5, str(n), fontName=SANS,
                               fontSize=6.5, textAnchor="middle",
                               fillColor=INK if state in ("in_progress", "dropped")
                               else colors.white))
        y += height
    drawing.add(String(x + bar / 2, y + 3, str(total), fontName=SANS_BOLD, fontSize=7.5,
                       textAnchor="middle", fillColor=INK))
    drawing.add(Line(0, 0, width - 4, 0, strokeColor=MUTED, strokeWidth=0.4))
    return drawing


def render_district_report(
    document: DistrictReport,
    lang: str,
    gettext: Gettext = _identity,
    ngettext: Ngettext = _plural,
) -> bytes:
    """Render a district report as a printable A4 PDF.

    :param document: the report, with every text already in the reader's language.
    :param lang: the language code; right-to-left languages get a mirrored layout.
    :param gettext: translates one label, no formatting (the view passes the
        ``gettext`` of the language's compiled catalogue).
    :param ngettext: picks and translates the singular or plural form, no formatting.
    :returns: the PDF file's bytes.
    :raises OSError: when a bundled font file is missing.
    """
    init_fonts()  # before any Paragraph is made
    _ = gettext
    renderer = DistrictRenderer(document, lang, gettext, ngettext)
    district = clean(shorten(document.district, SHORT_TEXT))
    title = fill(_("District report: %(district)s"), {"district": district})
    footer_text = " \u00b7 ".join(part for part in (
        "HealthWISE Mobile", district,
        fill(_("Generated %(date)s"), {"date": clean(document.date)}) if document.date else "")
        if part)
    return build_pdf(renderer.story(), lang, gettext, title=title,
                     subject=_("HealthWISE district report"), footer_text=footer_text,
                     running_head=title)

