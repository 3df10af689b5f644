"""A district at a glance: which facilities need help, and why.

For each facility of a district: its last round that has answers (not merely the
newest one created), how complete a round still open is, when the next review is due,
its action items open, overdue and done, and the open high-priority items in the four
areas the HealthWISE mission names. Facilities that never assessed, are overdue for
review or whose plans have stalled stand out.

Every figure that comes from answers goes through
:func:`healthwise.districts.disclosure.disclose_counts` (the rule of five); names,
roles, remarks, "responsible" and progress notes are never read. The page costs a
constant number of queries whatever the number of facilities (the benchmark
``benchmarks/bench_district.py`` counts them); :func:`facts` gathers them and the rest
is pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Boolean, case, func, select, type_coerce

from healthwise.assessments import tallies
from healthwise.assessments.models import ActionItem, Assessment, Response, RoundTally
from healthwise.districts.disclosure import Disclosure, disclose_counts
from healthwise.extensions import db
from healthwise.facilities.models import Facility
from healthwise.plans import actions
from healthwise.plans.service import REVIEW_AFTER

#: An open plan whose items nobody has updated for this long has stalled.
STALL_AFTER = timedelta(days=90)

#: The four areas the mission names, each the module of the checklist that holds it.
AREAS: tuple[tuple[str, str], ...] = (
    ("safety", "hazards"),
    ("violence", "violence"),
    ("hiv_tb", "infection"),
    ("working_time", "time"),
)

#: An open item is high priority when its checkpoint prevents the most serious harm
#: (severity 3 of 3) or the committee ranked it among the first of its plan.
HIGH_SEVERITY = 3
TOP_RANKS = 5

#: The ways a facility can stand out, in the order the page names them.
FLAGS = ("never_assessed", "review_overdue", "stalled", "overdue_items")


class RoundFacts(NamedTuple):
    """One round as the overview reads it: no names, counts only.

    A named tuple, not a dataclass: a district's rounds and items are thousands of rows,
    and a tuple is made from a row several times faster.
    """

    id: str
    facility_id: int
    title: str
    kind: str
    status: str
    started_on: str | None
    created_at: datetime
    previous_id: str | None
    checklist_id: str
    participants: int
    answers: int  # answers given so far, counted for open rounds only (else 0)
    has_answers: bool


class ItemFacts(NamedTuple):
    """One action item as the overview reads it: no text, no responsible, no notes."""

    facility_id: int
    assessment_id: str
    checkpoint_id: str | None
    status: str
    due_on: str | None
    rank: int | None
    updated_at: datetime


@dataclass(frozen=True)
class Facts:
    """Everything the overview of one district is worked out from."""

    facilities: tuple[Facility, ...]
    rounds: tuple[RoundFacts, ...]
    items: tuple[ItemFacts, ...]
    # By round id: checkpoint id -> [answered, propose action, priority, in place], for
    # the rounds the overview shows (each facility's last answered round and the one
    # before it).
    tallies: Mapping[str, Mapping[str, Sequence[int]]]


@dataclass(frozen=True)
class ItemCounts:
    """A facility's action items by state (every round that counts)."""

    open: int = 0
    overdue: int = 0
    done: int = 0
    dropped: int = 0
    stalled: int = 0  # open and not updated for STALL_AFTER

    @property
    def total(self) -> int:
        """Return every item, whatever its state."""
        return self.open + self.done + self.dropped


@dataclass(frozen=True)
class RoundBrief:
    """A round as the overview names it."""

    id: str
    title: str
    kind: str
    status: str
    started_on: str | None
    participants: int

    @property
    def started(self) -> date | None:
        """Return the day the round started, if it has a valid one."""
        return _day(self.started_on)


@dataclass(frozen=True)
class FacilityLine:
    """One facility of the overview."""

    facility_id: int
    name: str
    kind: str
    rounds: int
    last: RoundBrief | None  # the newest round that has answers
    figures: Disclosure | None  # of ``last``, the rule of five applied
    before: Disclosure | None  # of the round before ``last``, for before and after
    open_round: RoundBrief | None  # the newest round still open, if any
    completeness: float | None  # of the open round: answers given / answers expected
    next_review_on: date | None
    items: ItemCounts
    high_priority: Mapping[str, int]  # area -> open high-priority items
    flags: tuple[str, ...] = field(default=())

    @property
    def needs_attention(self) -> bool:
        """Tell whether the facility stands out for any reason."""
        return bool(self.flags)

    @property
    def high_priority_total(self) -> int:
        """Return the open high-priority items in the four areas together."""
        return sum(self.high_priority.values())


def facilities_and_rounds(district_id: int
                          ) -> tuple[tuple[Facility, ...], tuple[RoundFacts, ...]]:
    """Read a district's facilities (by name) and their rounds that count, in two queries.

    :param district_id: the district (the caller has checked the reader may see it).
    """
    facilities = tuple(db.session.scalars(
        select(Facility).where(Facility.district_id == district_id)
        .order_by(Facility.name, Facility.id)))
    in_district = select(Facility.id).where(Facility.district_id == district_id)
    assessments, responses = Assessment.__table__, Response.__table__
    counted = RoundTally.__table__
    participants = (select(func.count()).where(responses.c.assessment_id == assessments.c.id)
                    .scalar_subquery())
    # The tallies count each round's answers as they are written: no answer is read here.
    records = func.coalesce(counted.c.answers, 0)
    # Core rows on the session's connection, made into named tuples as they come: the
    # ORM's result machinery, and fetching one row at a time, cost more than the queries
    # for a large district's rows.
    rounds = tuple(RoundFacts._make(row) for row in db.session.connection().execute(
        select(assessments.c.id, assessments.c.facility_id,
               func.coalesce(assessments.c.title, ""), assessments.c.kind,
               assessments.c.status, assessments.c.started_on, assessments.c.created_at,
               assessments.c.previous_id, assessments.c.checklist_id,
               participants.label("participants"),
               case((assessments.c.status == "open", records), else_=0).label("answers"),
               type_coerce(records > 0, Boolean).label("has_answers"))
        .outerjoin(counted, counted.c.assessment_id == assessments.c.id)
        .where(assessments.c.facility_id.in_(in_district),
               assessments.c.removed.is_(False))).all())
    return facilities, rounds


def facts(district_id: int) -> Facts:
    """Read what the overview of a district needs, in a constant number of queries.

    :param district_id: the district (the caller has checked the reader may see it).
    """
    facilities, rounds = facilities_and_rounds(district_id)
    in_district = select(Facility.id).where(Facility.district_id == district_id)
    assessments, items = Assessment.__table__, ActionItem.__table__
    connection = db.session.connection()
    kept = select(assessments.c.id).where(assessments.c.facility_id.in_(in_district),
                                          assessments.c.removed.is_(False))
    found_items = tuple(ItemFacts._make(row) for row in connection.execute(
        select(items.c.facility_id, items.c.assessment_id, items.c.checkpoint_id,
               func.coalesce(items.c.status, ""), items.c.due_on, items.c.rank,
               items.c.updated_at)
        .where(items.c.assessment_id.in_(kept))).all())
    shown = shown_rounds(rounds)
    return Facts(facilities=facilities, rounds=rounds, items=found_items,
                 tallies=round_tallies(shown))


def round_tallies(round_ids: Iterable[str]) -> dict[str, dict[str, list[int]]]:
    """Return the answers of some rounds counted by checkpoint (no per-person rows).

    :returns: round id -> checkpoint id -> ``[answered, action, priority, in_place]``;
        only ``yes``, ``no`` and ``na`` count as answered, and a priority mark only next
        to a proposal for action, as :func:`~healthwise.districts.disclosure.disclose`
        counts them (the tallies, :mod:`healthwise.assessments.tallies`, kept as the
        answers are written).
    """
    return tallies.read(round_ids)


def _newest_first(rounds: Iterable[RoundFacts]) -> list[RoundFacts]:
    # A round without a start date is the newest being set up; ties by creation.
    return sorted(rounds, key=lambda r: (r.started_on or "9999-99-99", r.created_at, r.id),
                  reverse=True)


def last_answered(rounds: Iterable[RoundFacts]) -> RoundFacts | None:
    """Return the newest round that has answers, or None."""
    return next((r for r in _newest_first(rounds) if r.has_answers), None)


def shown_rounds(rounds: Sequence[RoundFacts]) -> set[str]:
    """Return the ids of the rounds whose figures the overview shows: each facility's
    last answered round and the answered round before it (for before and after)."""
    by_facility: dict[int, list[RoundFacts]] = defaultdict(list)
    for found in rounds:
        if found.has_answers:
            by_facility[found.facility_id].append(found)
    return {r.id for answered in by_facility.values() for r in _newest_first(answered)[:2]}


def _brief(found: RoundFacts | None) -> RoundBrief | None:
    if found is None:
        return None
    return RoundBrief(id=found.id, title=found.title, kind=found.kind, status=found.status,
                      started_on=found.started_on, participants=found.participants)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _live_checkpoints(checklist: Mapping | None) -> int:
    if not checklist:
        return 0
    return sum(1 for m in checklist.get("modules", ()) for c in m.get("checkpoints", ())
               if not c.get("withdrawn"))


def item_counts(items: Iterable[ItemFacts], today: date) -> ItemCounts:
    """Count action items by state; open items not updated for STALL_AFTER are stalled."""
    counts = dict.fromkeys(("open", "overdue", "done", "dropped", "stalled"), 0)
    stale_before = today - STALL_AFTER
    # Whether a due date has passed, worked out once per date (plans share a few dates).
    past: dict[str | None, bool] = {}
    for item in items:
        if actions.is_open({"status": item.status}):
            counts["open"] += 1
            due = item.due_on
            if due not in past:
                past[due] = actions.is_overdue({"status": "planned", "due_on": due}, today)
            counts["overdue"] += past[due]
            counts["stalled"] += item.updated_at.date() < stale_before
        elif item.status in counts:
            counts[item.status] += 1
    return ItemCounts(**counts)


def _severities(registry) -> dict[str, tuple[str, int]]:
    """Return checkpoint id -> (module id, severity) over every checklist."""
    found = {}
    for checklist in registry:
        for module in checklist.data.get("modules", ()):
            for checkpoint in module.get("checkpoints", ()):
                found.setdefault(checkpoint["id"],
                                 (module["id"], int(checkpoint.get("severity") or 0)))
    return found


def high_priority(items: Iterable[ItemFacts], severities: Mapping[str, tuple[str, int]]
                  ) -> dict[str, int]:
    """Count the open high-priority items of each of the four areas."""
    area_of = {module: area for area, module in AREAS}
    counts = dict.fromkeys((area for area, _ in AREAS), 0)
    for item in items:
        if not actions.is_open({"status": item.status}):
            continue
        module, severity = severities.get(item.checkpoint_id or "", ("", 0))
        area = area_of.get(module)
        if area and (severity >= HIGH_SEVERITY
                     or (item.rank is not None and 0 < item.rank <= TOP_RANKS)):
            counts[area] += 1
    return counts


NO_COUNTS: Mapping[str, Sequence[int]] = MappingProxyType({})
_DISCLOSED: dict[tuple[int, int, int], tuple[Mapping, Mapping, Disclosure]] = {}
#: At most this many rounds kept, about 24 KB each (24 MB a worker): a district shows two
#: rounds a facility, so one of up to 500 facilities stays warm; past it, all are dropped.
_DISCLOSED_MAX = 1024


def disclosed(checklist: Mapping, counts: Mapping[str, Sequence[int]],
              participants: int) -> Disclosure:
    """Return :func:`disclose_counts` of a round, kept for the same checklist and counts.

    A district page discloses hundreds of rounds, most unchanged since the last view:
    :func:`healthwise.assessments.tallies.read` hands out the very same read-only
    mapping for a tally that has not changed, so its figures are worked out once. The
    entry holds the checklist and the counts themselves and is used only when both are
    the same objects, so a reused ``id`` can never give another round's figures.
    """
    key = (id(checklist), id(counts), participants)
    entry = _DISCLOSED.get(key)
    if entry is not None and entry[0] is checklist and entry[1] is counts:
        return entry[2]
    found = disclose_counts(checklist, counts, participants)
    if isinstance(counts, MappingProxyType):  # shared and read-only: safe to keep
        if len(_DISCLOSED) >= _DISCLOSED_MAX:
            _DISCLOSED.clear()
        _DISCLOSED[key] = (checklist, counts, found)
    return found


def facility_line(facility: Facility, rounds: Sequence[RoundFacts],
                  items: Sequence[ItemFacts], tallies: Mapping[str, Mapping],
                  registry, today: date,
                  severities: Mapping[str, tuple[str, int]] | None = None) -> FacilityLine:
    """Work out one facility's line of the overview (pure, from its facts)."""
    severities = _severities(registry) if severities is None else severities
    newest = _newest_first(rounds)
    last = last_answered(newest)
    answered = [r for r in newest if r.has_answers]
    before = answered[1] if len(answered) > 1 else None
    figures = previous = None
    if last is not None:
        checklist = registry.get(last.checklist_id)
        data = checklist.data if checklist is not None else {"modules": []}
        figures = disclosed(data, tallies.get(last.id, NO_COUNTS), last.participants)
        if before is not None:
            previous = disclosed(data, tallies.get(before.id, NO_COUNTS), before.participants)
    open_round = next((r for r in newest if r.status == "open"), None)
    completeness = None
    if open_round is not None:
        checklist = registry.get(open_round.checklist_id)
        expected = open_round.participants * _live_checkpoints(
            checklist.data if checklist is not None else None)
        completeness = min(1.0, open_round.answers / expected) if expected else 0.0
    started = _day(last.started_on) if last is not None else None
    next_review = started + REVIEW_AFTER if started is not None else None
    counts = item_counts(items, today)
    flags = []
    if last is None:
        flags.append("never_assessed")
    # Overdue for review: the date has passed and no round was started since.
    if next_review is not None and next_review < today and newest[0].id == last.id:
        flags.append("review_overdue")
    if counts.open and counts.stalled == counts.open:
        flags.append("stalled")
    if counts.overdue:
        flags.append("overdue_items")
    return FacilityLine(
        facility_id=facility.id, name=facility.name, kind=facility.kind or "",
        rounds=len(rounds), last=_brief(last), figures=figures, before=previous,
        open_round=_brief(open_round), completeness=completeness,
        next_review_on=next_review, items=counts,
        high_priority=high_priority(items, severities), flags=tuple(flags))


def district_overview(district_id: int, registry, today: date) -> list[FacilityLine]:
    """Return the overview of a district: one line per facility, by name.

    :param district_id: the district (the caller has checked the reader may see it).
    :param registry: the checklist registry.
    :param today: the reader's today (overdue and stalled are relative to it).
    """
    found = facts(district_id)
    return lines(found, registry, today)


def lines(found: Facts, registry, today: date) -> list[FacilityLine]:
    """Work out the overview's lines from its facts (pure)."""
    rounds: dict[int, list[RoundFacts]] = defaultdict(list)
    for r in found.rounds:
        rounds[r.facility_id].append(r)
    items: dict[int, list[ItemFacts]] = defaultdict(list)
    for item in found.items:
        items[item.facility_id].append(item)
    severities = _severities(registry)
    return [facility_line(f, rounds[f.id], items[f.id], found.tallies, registry, today,
                          severities)
            for f in found.facilities]


# Sorting and filtering, as the page and the API offer them -------------------------------

SORTS = ("attention", "name", "last_round", "next_review", "open", "overdue",
         "high_priority", "completeness")
FILTERS = ("all", "attention", *FLAGS)


def _sort_key(sort: str):
    far = date.max.isoformat()
    keys = {
        "name": lambda f: (f.name.casefold(), f.facility_id),
        "last_round": lambda f: ((f.last.started_on or "") if f.last else "",),
        "next_review": lambda f: (f.next_review_on.isoformat() if f.next_review_on else far,),
        "open": lambda f: (-f.items.open,),
        "overdue": lambda f: (-f.items.overdue,),
        "high_priority": lambda f: (-f.high_priority_total,),
        "completeness": lambda f: (f.completeness if f.completeness is not None else 2.0,),
        # The ones that need help first: most reasons, then most overdue, then name.
        "attention": lambda f: (-len(f.flags), -f.items.overdue, -f.high_priority_total),
    }
    return keys[sort]


def sort_and_filter(found: Sequence[FacilityLine], sort: str = "attention",
                    show: str = "all", query: str = "") -> list[FacilityLine]:
    """Return the lines that ``show`` keeps and whose name holds ``query``, sorted.

    :param sort: one of :data:`SORTS`; ties keep the order by name.
    :param show: one of :data:`FILTERS`: every facility, those that stand out, or those
        with one flag.
    :param query: part of a facility's name, any case.
    """
    needle = query.casefold().strip()
    kept = [f for f in found
            if (show == "all" or (show == "attention" and f.flags) or show in f.flags)
            and needle in f.name.casefold()]
    kept.sort(key=_sort_key("name"))
    kept.sort(key=_sort_key(sort))
    return kept


# District-wide figures, for the charts ---------------------------------------------------


@dataclass(frozen=True)
class ModuleFigure:
    """One module across the district: facilities' shares needing action."""

    module_id: str
    facilities: int  # facilities whose last round answered the module
    mean_share: float | None  # the mean of their shares needing action
    # Facilities with both rounds answered: the mean share before and now.
    paired: int = 0
    mean_before: float | None = None
    mean_now: float | None = None


def module_figures(found: Sequence[FacilityLine], registry) -> list[ModuleFigure]:
    """Return each module's mean share needing action across the district's facilities,
    and the before and after of those that have two answered rounds.

    Shares come from disclosed figures, so withheld sensitive checkpoints count nowhere.
    """
    order: list[str] = []
    for checklist in registry:
        order.extend(m["id"] for m in checklist.data.get("modules", ()) if m["id"] not in order)
    now: dict[str, list[float]] = defaultdict(list)
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for line in found:
        if line.figures is None:
            continue
        before = ({s.module_id: s.share for s in line.before.modules}
                  if line.before is not None else {})
        for share in line.figures.modules:
            if share.share is None:
                continue
            now[share.module_id].append(share.share)
            if before.get(share.module_id) is not None:
                pairs[share.module_id].append((before[share.module_id], share.share))
    result = []
    for module_id in order:
        values, paired = now.get(module_id, []), pairs.get(module_id, [])
        result.append(ModuleFigure(
            module_id=module_id, facilities=len(values),
            mean_share=sum(values) / len(values) if values else None,
            paired=len(paired),
            mean_before=sum(b for b, _ in paired) / len(paired) if paired else None,
            mean_now=sum(n for _, n in paired) / len(paired) if paired else None))
    return result


@dataclass(frozen=True)
class Totals:
    """The district's headline figures."""

    facilities: int
    assessed: int
    never_assessed: int
    review_overdue: int
    stalled: int
    items: ItemCounts
    high_priority: Mapping[str, int]


def totals(found: Sequence[FacilityLine]) -> Totals:
    """Add up the overview's lines."""
    items = ItemCounts(**{name: sum(getattr(f.items, name) for f in found)
                          for name in ("open", "overdue", "done", "dropped", "stalled")})
    return Totals(
        facilities=len(found),
        assessed=sum(1 for f in found if f.last is not None),
        never_assessed=sum(1 for f in found if "never_assessed" in f.flags),
        review_overdue=sum(1 for f in found if "review_overdue" in f.flags),
        stalled=sum(1 for f in found if "stalled" in f.flags),
        items=items,
        high_priority={area: sum(f.high_priority[area] for f in found) for area, _ in AREAS})


#: The states of action items as the charts stack them: overdue apart from the rest.
CHART_STATES = ("done", "in_progress", "planned", "overdue", "dropped")


def statuses_by_quarter(found: Facts, today: date, quarters: int = 8
                        ) -> list[tuple[date, dict[str, int]]]:
    """Return the action items planned in each quarter, by where they stand today.

    An item belongs to the quarter its round started in; open items past their due
    date count as ``overdue``. The older quarters' items should be done by now: a
    district whose old items are still planned has plans that do not move.

    :returns: ``(first day of the quarter, {state: count})`` for the last ``quarters``
        quarters that have items, oldest first.
    """
    started = {r.id: _day(r.started_on) for r in found.rounds}
    by_quarter: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(CHART_STATES, 0))
    for item in found.items:
        day = started.get(item.assessment_id)
        if day is None:
            continue
        fields = {"status": item.status, "due_on": item.due_on}
        state = ("overdue" if actions.is_overdue(fields, today) else item.status)
        if state in CHART_STATES:
            by_quarter[(day.year, (day.month - 1) // 3 + 1)][state] += 1
    keys = sorted(by_quarter)[-quarters:]
    return [(date(year, 3 * quarter - 2, 1), by_quarter[(year, quarter)])
            for year, quarter in keys]
