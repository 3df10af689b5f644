"""Action plans: read a round from the database and build its plan (JSON and PDF).

The ranking and the PDF are pure (``priority.py``, ``pdf``); this module only
gathers their input, scoped to what the caller may see.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from sqlalchemy import select

from healthwise.access.service import Scope
from healthwise.assessments.models import ActionItem, Answer, Assessment, Response
from healthwise.assessments.pull import record_to_wire
from healthwise.extensions import db
from healthwise.facilities.models import Facility
from healthwise.photos.service import readable_photos
from healthwise.plans import actions, priority
from healthwise.plans.document import AchievementLine, ChartRow, DiscussLine, PlanDocument
from healthwise.plans.document import ActionItem as PlanLine

# The method suggests checking again some months later.
REVIEW_AFTER = timedelta(days=180)


@dataclass(frozen=True)
class Round:
    """One assessment round with everything its plan needs."""

    assessment: dict
    facility: Facility
    responses: list[dict]
    items: list[dict]
    previous: "Round | None"


def _row(model, record_id: str) -> dict | None:
    row = db.session.execute(
        select(model.__table__).where(model.__table__.c.id == record_id)
    ).mappings().first()
    return dict(row) if row else None


def load_round(assessment_id: str, scope: Scope, depth: int = 1) -> Round | None:
    """Return a round in scope with its responses, answers and action items, or None.

    :param assessment_id: the assessment's id.
    :param scope: what the caller may read; anything else is "not found".
    :param depth: how many previous rounds to load as well (for the comparison).
    """
    assessment = _row(Assessment, assessment_id)
    if assessment is None or not scope.allows(assessment["facility_id"]):
        return None
    responses_table = Response.__table__
    answers_table = Answer.__table__
    responses = {
        r["id"]: {"id": r["id"], "participant": r["participant"], "role": r["role"],
                  "completed": r["completed"], "answers": {}}
        for r in db.session.execute(
            select(responses_table).where(responses_table.c.assessment_id == assessment_id)
            .order_by(responses_table.c.created_at, responses_table.c.id)).mappings()
    }
    for answer in db.session.execute(
        select(answers_table.c.response_id, answers_table.c.checkpoint_id,
               answers_table.c.action, answers_table.c.priority, answers_table.c.remark)
        .where(answers_table.c.assessment_id == assessment_id)
        .order_by(answers_table.c.seq)
    ).mappings():
        if answer["response_id"] in responses:
            responses[answer["response_id"]]["answers"][answer["checkpoint_id"]] = {
                "action": answer["action"], "priority": answer["priority"],
                "remark": answer["remark"]}
    items_table = ActionItem.__table__
    # Ordered in Python: SQLite sorts a missing rank first, PostgreSQL last.
    rows = db.session.execute(
        select(items_table).where(items_table.c.assessment_id == assessment_id)
        .order_by(items_table.c.created_at, items_table.c.id)).mappings()
    items = actions.display_order(record_to_wire("action_item", dict(row)) for row in rows)
    previous = None
    if depth > 0 and assessment["previous_id"]:
        previous = load_round(assessment["previous_id"], scope, depth - 1)
    facility = db.session.get(Facility, assessment["facility_id"])
    return Round(assessment, facility, list(responses.values()), items, previous)


def carried_forward(round_: Round) -> list[dict]:
    """Return the previous round's open action items not yet taken into this round.

    An item is taken when this round has one for the same checkpoint; the committee's
    own actions (no checkpoint) are never taken by another one, so they carry on.
    """
    if round_.previous is None:
        return []
    taken = {item["fields"]["checkpoint_id"] for item in round_.items} - {None, ""}
    return [item for item in round_.previous.items
            if actions.is_open(item["fields"])
            and item["fields"]["checkpoint_id"] not in taken]


def _modules(round_: Round, checklist) -> tuple[list, dict, dict]:
    """Return this round's module shares, the previous round's by module id, and titles."""
    shares = priority.module_shares(checklist, round_.responses)
    before = {}
    if round_.previous is not None:
        before = {s.module_id: s.share
                  for s in priority.module_shares(checklist, round_.previous.responses)}
    return shares, before, {m["id"]: m["title"] for m in checklist["modules"]}


def achievements(round_: Round, checklist) -> list[priority.Achievement]:
    """Return what is already good in a round, leaving out what an open action is about.

    A checkpoint with an action planned or in progress (this round's or one carried
    forward) is not yet good, whatever the answers say.
    """
    pending = actions.open_checkpoints([*round_.items, *carried_forward(round_)])
    return [a for a in priority.achievements(checklist, round_.responses)
            if a.checkpoint_id not in pending]


def plan_lines(round_: Round, today: date) -> list[dict]:
    """Return the plan's action items as shown, numbered 1..n, each marked overdue or not.

    This round's items come first, by their rank, then those carried forward.

    :param today: the day against which due dates are overdue.
    """
    return [{**item, "number": number, "overdue": actions.is_overdue(item["fields"], today)}
            for number, item in actions.numbered(round_.items, carried_forward(round_))]


def plan_json(round_: Round, checklist, gettext, ngettext, today: date | None = None) -> dict:
    """Return the plan of a round for the API: suggestions with reasons, items, modules.

    Suggestions carry their reasons worded in the reader's language and as codes
    (``reason_codes``) that the phone words itself (``static/js/priority.js``);
    ``disagreements`` lists the checkpoints where one participant proposes action
    and another says none is needed or it does not apply (``priority.disagrees``).

    :param checklist: the localised checklist dict (module titles in the reader's language).
    :param today: the day due dates are compared with (the server's today by default).
    """
    suggestions = priority.prioritise(checklist, round_.responses)
    shares, before, titles = _modules(round_, checklist)
    lines = plan_lines(round_, today or date.today())
    n_items = len(round_.items)
    return {
        "assessment_id": round_.assessment["id"],
        "kind": round_.assessment["kind"],
        "participants": len(round_.responses),
        "suggested": [{
            "rank": s.rank, "checkpoint_id": s.checkpoint_id, "module_id": s.module_id,
            "n_participants": s.n_participants, "n_action": s.n_action,
            "n_priority": s.n_priority, "severity": s.severity, "cost": s.cost,
            "score": round(s.score, 2), "reasons": priority.describe(s, gettext, ngettext),
            "reason_codes": [{"code": str(r.code), "count": r.count, "total": r.total}
                             for r in s.reasons],
        } for s in suggestions],
        "achievements": achievements(round_, checklist),
        "disagreements": priority.disagreements(checklist, round_.responses),
        "modules": [{"id": s.module_id, "title": titles.get(s.module_id, s.module_id),
                     "share": s.share, "previous_share": before.get(s.module_id)}
                    for s in shares],
        "items": lines[:n_items],
        "carried_forward": lines[n_items:],
    }


def plan_document(round_: Round, checklist, lang: str, today: date | None = None,
                  photos: Mapping[str, bytes] | None = None) -> PlanDocument:
    """Return the printable plan of a round, with its text in the reader's language.

    :param checklist: the localised checklist dict.
    :param lang: the reader's language, for dates.
    :param today: the day due dates are compared with (the server's today by default).
    :param photos: the bytes of the items' photos, by name (:func:`item_photos`); those
        missing (not uploaded yet) are left out. None: no photos.
    """
    today = today or date.today()
    checkpoints = {cp["id"]: cp for m in checklist["modules"] for cp in m["checkpoints"]}
    shares, before, titles = _modules(round_, checklist)
    lines = []
    for line in plan_lines(round_, today):
        fields = line["fields"]
        checkpoint = checkpoints.get(fields["checkpoint_id"] or "")
        lines.append(PlanLine(
            rank=line["number"],
            checkpoint_id=fields["checkpoint_id"] or "",
            checkpoint_text=checkpoint["action"] if checkpoint else "",
            action=fields["action"] or "", responsible=fields["responsible"] or "",
            due=_date(fields["due_on"], lang), cost=fields["cost"] or "",
            status=fields["status"] or "", overdue=line["overdue"],
            photos=tuple(photos[name] for name in fields.get("photos") or ()
                         if photos and name in photos)))
    started = _parse_date(round_.assessment["started_on"]) or today
    return PlanDocument(
        facility=round_.facility.name,
        # A workshop's practice facility is in no district.
        district=round_.facility.district.name if round_.facility.district else "",
        round_title=round_.assessment["title"] or "",
        kind=round_.assessment["kind"],
        date=format_date(started, "long", locale=lang),
        n_participants=len(round_.responses),
        chart=tuple(ChartRow(titles.get(s.module_id, s.module_id), s.share,
                             before.get(s.module_id)) for s in shares),
        items=tuple(lines),
        achievements=tuple(AchievementLine(a.checkpoint_id,
                                           checkpoints[a.checkpoint_id]["action"])
                           for a in achievements(round_, checklist)
                           if a.checkpoint_id in checkpoints),
        discuss=tuple(DiscussLine(d.checkpoint_id, checkpoints[d.checkpoint_id]["action"],
                                  d.n_action, d.n_no, d.n_na)
                      for d in priority.disagreements(checklist, round_.responses)
                      if d.checkpoint_id in checkpoints),
        next_review=format_date(started + REVIEW_AFTER, "long", locale=lang),
        generated_at=format_date(today, "long", locale=lang),
        checklist_title=checklist["title"],
    )


def item_photos(round_: Round) -> dict[str, bytes]:
    """Return the stored photos of a round's action items (its own and those carried
    forward), by name, for the PDF a phone of the facility prints."""
    names = [name for item in (*round_.items, *carried_forward(round_))
             for name in item["fields"].get("photos") or ()]
    return readable_photos(names)


def pdf_filename(round_: Round, lang: str, ascii_only: bool = False) -> str:
    """Name a round's PDF after its facility, its round and its date, and the language.

    ``Riverside-Health-Centre_Baseline-2026_2026-09-14_fr.pdf``: words joined by
    hyphens, the parts by underscores. The date is the round's (the one the PDF's
    header shows), in ISO form so that files sort by it.

    :param lang: the PDF's language.
    :param ascii_only: keep only ASCII letters and digits (accents dropped, other
        scripts left out), for the ``filename`` that every browser reads; a name left
        empty becomes "action-plan".
    """
    day = _parse_date(round_.assessment["started_on"]) or date.today()
    parts = [slug(round_.facility.name, ascii_only),
             slug(round_.assessment["title"] or "", ascii_only)]
    named = [part for part in parts if part] or ["action-plan"]
    return "_".join([*named, day.isoformat(), lang]) + ".pdf"


def slug(text: str, ascii_only: bool) -> str:
    """Keep a name's letters and digits, words joined by hyphens (never a path or quote).

    :param ascii_only: drop accents and leave out other scripts.
    """
    words = re.split(r"[\W_]+", unicodedata.normalize("NFC", text))
    if ascii_only:
        words = [unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
                 for word in words]
    return "-".join(word for word in words if word)[:60].strip("-")


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _date(value: str | None, lang: str) -> str:
    parsed = _parse_date(value)
    return format_date(parsed, "medium", locale=lang) if parsed else ""
