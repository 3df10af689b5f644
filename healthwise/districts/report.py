"""The district report: the district page as a PDF for the district health team.

:func:`report_document` turns the overview (:mod:`healthwise.districts.overview`) into a
:class:`DistrictReport`, every text already in the reader's language, and
:func:`healthwise.districts.report_pdf.render_district_report` draws it; the view sends
it with :func:`report_response`, in one of the server's render slots.

Above facility level: every figure comes from the overview's disclosed counts
(:func:`~healthwise.districts.disclosure.disclose_counts`, the rule of five), and of the
action items only the agreed action, its checkpoint, due date and status are read,
never who is responsible nor a progress note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_date
from flask import Response, current_app
from sqlalchemy import select

from healthwise.assessments.models import ActionItem, Assessment
from healthwise.districts import overview
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.districts.report_pdf import render_district_report
from healthwise.extensions import db
from healthwise.facilities.models import District
from healthwise.languages.service import gettext_for
from healthwise.plans import actions
from healthwise.plans.document import ChartRow
from healthwise.plans.download import attachment
from healthwise.plans.service import slug
from healthwise.plans.slots import render_slot

__all__ = ["DistrictReport", "FacilitySection", "OpenAction", "QuarterBar", "ReportLine",
           "report_document", "report_filename", "report_response"]

#: The open actions a facility's section lists (overdue first); the rest are counted.
MAX_ACTIONS = 12


@dataclass(frozen=True, slots=True)
class OpenAction:
    """An open action as the report lists it: what, by when, how far; never who."""

    checkpoint_id: str
    action: str  # the committee's words, or the checkpoint's action when they wrote none
    due: str
    status: str  # a code, translated by the renderer
    overdue: bool


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One facility's row of the overview table (codes stay codes)."""

    name: str
    last_round: str  # the date of the last round that has answers, "" if none
    next_review: str
    review_overdue: bool
    open: int
    overdue: int
    done: int
    high_priority: tuple[tuple[str, int], ...]  # (area code, open high-priority items)
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FacilitySection:
    """One facility's block: its last round, module shares, open actions and flags."""

    name: str
    kind: str  # a code ("hospital", "clinic"...) or the registry's own word
    round_kind: str  # "baseline", "follow_up" or "" when never assessed
    round_date: str
    participants: int
    next_review: str
    modules: tuple[ChartRow, ...]  # shares of the last round; previous: the round before
    withheld: int  # sensitive checkpoints left out (fewer than MIN_GROUP answers)
    actions: tuple[OpenAction, ...]
    more_actions: int  # open actions not listed
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuarterBar:
    """The actions planned in one quarter, by where they stand today."""

    label: str
    counts: tuple[tuple[str, int], ...]  # (state code, count), in CHART_STATES order


@dataclass(frozen=True, slots=True)
class DistrictReport:
    """Everything the district report shows; all text is plain (never markup)."""

    district: str
    date: str
    min_group: int
    totals: overview.Totals
    lines: tuple[ReportLine, ...]
    modules: tuple[ChartRow, ...]  # mean shares; previous: the paired facilities' before
    quarters: tuple[QuarterBar, ...]
    facilities: tuple[FacilitySection, ...]


def _titles(registry, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return module titles and checkpoint actions in the reader's language, by id."""
    titles: dict[str, str] = {}
    texts: dict[str, str] = {}
    for checklist in registry:
        for module in checklist.localised(lang)["modules"]:
            titles.setdefault(module["id"], module["title"])
            for checkpoint in module["checkpoints"]:
                texts.setdefault(checkpoint["id"], checkpoint["action"])
    return titles, texts


def open_actions(facility_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Read the open action items of some facilities, in a query per 500 facilities.

    Only the fields the report prints: the checkpoint, the agreed action, the due date,
    the status and the rank; never ``responsible`` nor ``progress_note``. Items of removed
    rounds do not count, as on the district page.

    :returns: facility id -> its open items, oldest round first, then by rank.
    """
    items, assessments = ActionItem.__table__, Assessment.__table__
    found: dict[int, list[dict]] = defaultdict(list)
    wanted = sorted(set(facility_ids))
    for start in range(0, len(wanted), 500):
        rows = db.session.execute(
            select(items.c.facility_id, items.c.checkpoint_id, items.c.action,
                   items.c.status, items.c.due_on, items.c.rank, items.c.created_at,
                   items.c.id, assessments.c.started_on)
            .join(assessments, assessments.c.id == items.c.assessment_id)
            .where(items.c.facility_id.in_(wanted[start:start + 500]),
                   assessments.c.removed.is_(False),
                   items.c.status.in_(sorted(actions.OPEN_STATUSES))))
        for row in rows:
            found[row.facility_id].append(dict(row._mapping))
    return dict(found)


def _day(value: date | None, lang: str, form: str = "medium") -> str:
    return format_date(value, form, locale=lang) if value is not None else ""


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _actions(found: list[dict], texts: dict[str, str], lang: str, today: date
             ) -> list[OpenAction]:
    """Order a facility's open actions for the report: overdue first, then by due date."""
    def key(item: dict):
        due = _iso_day(item["due_on"])
        return (not actions.is_overdue(item, today), due or date.max,
                item["started_on"] or "", item["rank"] if item["rank"] is not None else 10**6,
                item["created_at"], item["id"])

    return [OpenAction(
        checkpoint_id=item["checkpoint_id"] or "",
        action=(item["action"] or "").strip() or texts.get(item["checkpoint_id"] or "", ""),
        due=_day(_iso_day(item["due_on"]), lang), status=item["status"] or "",
        overdue=actions.is_overdue(item, today)) for item in sorted(found, key=key)]


def _section(line: overview.FacilityLine, found: list[dict], titles: dict[str, str],
             texts: dict[str, str], lang: str, today: date) -> FacilitySection:
    before = ({s.module_id: s.share for s in line.before.modules}
              if line.before is not None else {})
    modules = tuple(ChartRow(titles.get(s.module_id, s.module_id), s.share,
                             before.get(s.module_id))
                    for s in (line.figures.modules if line.figures is not None else ()))
    listed = _actions(found, texts, lang, today)
    return FacilitySection(
        name=line.name, kind=line.kind,
        round_kind=line.last.kind if line.last else "",
        round_date=_day(line.last.started, lang, "long") if line.last else "",
        participants=line.last.participants if line.last else 0,
        next_review=_day(line.next_review_on, lang),
        modules=modules,
        withheld=len(line.figures.withheld) if line.figures is not None else 0,
        actions=tuple(listed[:MAX_ACTIONS]), more_actions=max(0, len(listed) - MAX_ACTIONS),
        flags=line.flags)


def report_document(district: District, registry, lang: str, today: date
                    ) -> DistrictReport:
    """Build the district report of a district in the reader's language.

    :param district: the district (the caller has checked the reader may see it).
    :param registry: the checklist registry.
    :param lang: the reader's language, for texts, dates and quarters.
    :param today: the reader's today (overdue, stalled and review are relative to it).
    """
    known = overview.facts(district.id)
    every = overview.lines(known, registry, today)
    titles, texts = _titles(registry, lang)
    found = open_actions([line.facility_id for line in every])
    modules = tuple(ChartRow(titles.get(m.module_id, m.module_id), m.mean_share,
                             m.mean_before if m.paired else None)
                    for m in overview.module_figures(every, registry))
    quarters = tuple(QuarterBar(format_date(day, "QQQ y", locale=lang),
                                tuple((state, counts[state])
                                      for state in overview.CHART_STATES))
                     for day, counts in overview.statuses_by_quarter(known, today))
    return DistrictReport(
        district=district.name, date=_day(today, lang, "long"), min_group=MIN_GROUP,
        totals=overview.totals(every),
        lines=tuple(ReportLine(
            name=line.name,
            last_round=_day(line.last.started, lang) if line.last else "",
            next_review=_day(line.next_review_on, lang),
            review_overdue="review_overdue" in line.flags,
            open=line.items.open, overdue=line.items.overdue, done=line.items.done,
            high_priority=tuple((area, line.high_priority[area]) for area, _ in overview.AREAS),
            flags=line.flags) for line in every),
        modules=modules, quarters=quarters,
        facilities=tuple(_section(line, found.get(line.facility_id, []), titles, texts, lang,
                                  today) for line in every))


def report_filename(district: District, day: date, lang: str, ascii_only: bool = False
                    ) -> str:
    """Name a district report: ``healthwise-North-report-2026-12-02-fr.pdf``.

    :param ascii_only: keep only ASCII letters and digits, for the plain ``filename``; a
        district whose name keeps none becomes ``district-<id>``.
    """
    name = slug(district.name, ascii_only) or f"district-{district.id}"
    return f"healthwise-{name}-report-{day.isoformat()}-{lang}.pdf"


def report_response(district: District, registry, lang: str, today: date) -> Response:
    """Render a district's report as a PDF download (503 ``Busy`` when every slot is taken).

    :param district: the district (the caller has checked the reader may see it).
    :param lang: a supported language code.
    """
    document = report_document(district, registry, lang, today)
    gettext, ngettext = gettext_for(lang)
    with render_slot(Path(current_app.instance_path), current_app.config["PDF_RENDER_SLOTS"],
                     current_app.config["PDF_RENDER_WAIT"]):
        pdf = render_district_report(document, lang, gettext, ngettext)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(report_filename(district, today, lang, True),
                                          report_filename(district, today, lang)),
        "Cache-Control": "no-store"})

