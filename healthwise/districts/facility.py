"""A facility as its district manager follows it up: rounds, agreed plans, the history of
each action's status, and the plan's PDF with the rule of five applied.

Above facility level nothing carries a participant's name or one person's answer: the
plan a manager reads is rebuilt from :func:`~healthwise.districts.disclosure.disclose`'s
counts (withheld sensitive checkpoints count nowhere, the sheets are nobody's), and the
free text that may name people ("responsible", progress notes) is left out; the page
says only whether someone is responsible.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from healthwise.assessments.models import Change
from healthwise.districts.disclosure import Disclosure, disclose
from healthwise.extensions import db
from healthwise.photos import service as photos
from healthwise.plans import service
from healthwise.plans.document import PlanDocument

#: The fields of an action item that may name people: never shown above facility level.
PERSONAL_FIELDS = ("responsible", "progress_note")


@dataclass(frozen=True)
class StatusChange:
    """An action item's status as set at one moment (who set it is not shown)."""

    at: datetime
    status: str


@dataclass(frozen=True)
class ItemLine:
    """An agreed action as a manager follows it."""

    id: str
    number: int
    checkpoint_id: str | None
    action: str
    has_responsible: bool
    due_on: str | None
    cost: str
    status: str
    overdue: bool
    carried: bool  # carried forward from the round before
    history: tuple[StatusChange, ...]
    #: The item's photos as ``(name, arrived)``; none for a sensitive checkpoint's item.
    photos: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class RoundPlan:
    """A round, its disclosed figures and its agreed plan."""

    round: service.Round
    figures: Disclosure
    before: Disclosure | None
    items: tuple[ItemLine, ...]


def without_people(round_: service.Round | None, checklist: dict) -> service.Round | None:
    """Return a round as it may be shown above facility level.

    Its responses become the disclosure's anonymous sheets (counts only, sensitive
    checkpoints of small groups left out) and its items lose the fields that may name
    people. The previous round, for the comparison, likewise.
    """
    if round_ is None:
        return None
    figures = disclose(checklist, round_.responses)
    items = [{**item, "fields": {**item["fields"], **dict.fromkeys(PERSONAL_FIELDS, "")}}
             for item in round_.items]
    return service.Round(round_.assessment, round_.facility, figures.sheets, items,
                         without_people(round_.previous, checklist))


def disclosed_document(round_: service.Round, checklist: dict, localised: dict, lang: str,
                       today: date | None = None) -> PlanDocument:
    """Return the printable plan of a round as a manager may read it.

    :param checklist: the checklist as loaded (its ``sensitive`` marks).
    :param localised: the same checklist in the reader's language.
    """
    anonymous = without_people(round_, checklist)
    document = service.plan_document(anonymous, localised, lang, today)
    return dataclasses.replace(document, n_participants=len(round_.responses))


def status_history(item_ids: list[str]) -> dict[str, tuple[StatusChange, ...]]:
    """Return, by item, each change that set its status, oldest first (no actor).

    Read from the append-only history of changes; one query for all the items.
    """
    found: dict[str, list[StatusChange]] = defaultdict(list)
    if not item_ids:
        return {}
    changes = Change.__table__
    for start in range(0, len(item_ids), 500):
        for row in db.session.execute(
                select(changes.c.record_id, changes.c.created_at, changes.c.fields)
                .where(changes.c.record_type == "action_item",
                       changes.c.record_id.in_(item_ids[start:start + 500]),
                       changes.c.status.in_(("applied", "merged", "conflict")))
                .order_by(changes.c.seq)):
            status = (row.fields or {}).get("status")
            history = found[row.record_id]
            if isinstance(status, str) and (not history or history[-1].status != status):
                history.append(StatusChange(at=row.created_at, status=status))
    return {key: tuple(value) for key, value in found.items()}


def shown_photos(fields: dict, checklist: dict) -> tuple[tuple[str, bool], ...]:
    """Return an action item's photos as a manager may see them: ``(name, arrived)``.

    Photos of people must not leave the facility: an item about a sensitive checkpoint
    (or one the checklist no longer has) shows none above facility level.
    """
    checkpoint_id = fields.get("checkpoint_id")
    if checkpoint_id is not None:
        known = {cp["id"]: cp for m in checklist["modules"] for cp in m["checkpoints"]}
        if checkpoint_id not in known or known[checkpoint_id].get("sensitive"):
            return ()
    store = photos.store_for()
    return tuple((name, store.has(name)) for name in fields.get("photos") or ())


def round_plan(round_: service.Round, checklist: dict, today: date) -> RoundPlan:
    """Return a round's plan as the manager's facility page shows it."""
    lines = service.plan_lines(round_, today)
    n_items = len(round_.items)
    history = status_history([line["id"] for line in lines])
    items = tuple(ItemLine(
        id=line["id"], number=line["number"], checkpoint_id=line["fields"]["checkpoint_id"],
        action=line["fields"]["action"] or "",
        has_responsible=bool((line["fields"]["responsible"] or "").strip()),
        due_on=line["fields"]["due_on"], cost=line["fields"]["cost"] or "",
        status=line["fields"]["status"] or "", overdue=line["overdue"],
        carried=index >= n_items, history=history.get(line["id"], ()),
        photos=shown_photos(line["fields"], checklist))
        for index, line in enumerate(lines))
    before = (disclose(checklist, round_.previous.responses)
              if round_.previous is not None else None)
    return RoundPlan(round=round_, figures=disclose(checklist, round_.responses),
                     before=before, items=items)
