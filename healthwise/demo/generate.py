"""Synthetic data at district scale: districts, facilities and years of rounds, invented.

For benchmarks and for trying the managers' pages on a realistic load (issue 12): with
the defaults of ``healthwise demo generate``, 10 districts of 200 facilities, 4 rounds
each of 6 participants who answer about 70 checkpoints: about 3.4 million answers.

Everything is invented: place names from syllables, participants called "Participant
3", stock sentences for actions and notes. Every record is written as the sync would
have stored it (``rev``, ``seq`` from the sync clock, the merge clock of each field as
:func:`healthwise.assessments.merge.apply_write` makes it, no conflicts), so phones of a
generated facility pull it and the plans and district pages read it like any other. No
history rows (``changes``) are written: the pull does not need them.

The plan of a facility is a pure function of the seed, its district's number, its
number in the district and ``today``, so the same seed gives the same data. Rows are
written with SQLAlchemy Core ``executemany`` in chunks, in one transaction; on SQLite
the durability pragmas are relaxed for the generation only.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Column, MetaData, Table, func, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

from healthwise.assessments.models import ActionItem, Answer, Assessment, Response, SyncClock
from healthwise.assessments.store import lock_clock
from healthwise.assessments.tallies import recount
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility, Workshop
from healthwise.timeutil import iso

#: What every generated district's name ends with: it tells a person, and
#: :func:`foreign_data`, that the data is invented.
MARK = " (synthetic)"
#: The first-start demo's district (:mod:`healthwise.demo`), also not "real" data.
DEMO_DISTRICTS = frozenset({"Demo District"})
#: An open action item with no status change for longer than this is stalled.
STALLED_AFTER = timedelta(days=90)
#: The time rounds are spread over, ending shortly before ``today``.
SPAN_DAYS = 700
#: Answers written per ``executemany`` (the other tables follow the same chunks).
CHUNK = 20_000

SYLLABLES = ("ka", "lu", "ma", "ndo", "ro", "mbe", "ti", "sa", "na", "ki", "bu", "zi",
             "wa", "ga", "le", "mo", "nya", "ru", "ta", "ko", "vi", "shi", "ba", "ye")
KINDS = (  # (kind, how names end, weight)
    ("health centre", "Health Centre", 40), ("dispensary", "Dispensary", 25),
    ("clinic", "Clinic", 15), ("district hospital", "District Hospital", 10),
    ("maternity unit", "Maternity Unit", 6), ("referral hospital", "Referral Hospital", 4))
ROLES = ("nurse", "midwife", "clinical officer", "cleaner", "laboratory technician",
         "facility manager", "porter", "pharmacy assistant", "community health worker")
RESPONSIBLE = ("Nurse in charge", "Facility manager", "Ward sister", "Infection focal person",
               "Maintenance officer", "Health and safety committee", "Pharmacy assistant",
               "Matron", "District engineer")
ACTIONS = (
    "Order the missing supplies from the district store",
    "Agree a rota with the staff concerned and post it on the notice board",
    "Ask the district engineer for a quote and a date",
    "Train every shift on the procedure at the next staff meeting",
    "Put up a sign and explain it at the morning handover",
    "Move the equipment so that it is within reach where it is used",
    "Repair what is broken and check it again every month",
    "Write the procedure on one page and keep it in every ward",
    "Set aside a budget line in the next quarter's plan",
    "Name a focal person and give them time to follow it up",
    "Clear the passage and mark it on the floor",
    "Hold a short meeting with the staff to agree what to change",
)
OWN_ACTIONS = (
    "Paint the waiting area and fix its benches",
    "Start a suggestion box for staff",
    "Plant shade trees along the path to the wards",
    "Hold a staff day to thank everyone for their work",
)
NOTES = {
    "in_progress": ("Quote received, waiting for the budget", "Half of the wards done",
                    "Discussed at the staff meeting; a draft is ready", "Ordered, not delivered"),
    "done": ("Done and checked at the follow-up walk-through", "Done; staff were shown how",
             "Delivered and in use", "Done by the maintenance team"),
    "dropped": ("Replaced by a district programme", "Not possible this year: no budget",
                "No longer needed after the move to the new building"),
    "planned": ("",),
}
REMARKS = ("Seen in the maternity ward", "Only at night", "Needs the district's help",
           "Improved since the last round", "Staff raised this at the meeting")


@dataclass
class Generated:
    """What a generation wrote, counted."""

    districts: list[int] = field(default_factory=list)
    facilities: int = 0
    assessments: int = 0
    responses: int = 0
    answers: int = 0
    action_items: int = 0
    last_seq: int = 0
    seconds: float = 0.0


class GenerateError(Exception):
    """Why a generation cannot run (the database holds real data, arguments that do not fit)."""


def district_sizes(facilities: int, districts: int) -> list[int]:
    """Split ``facilities`` over ``districts`` as evenly as possible, larger ones first.

    :raises GenerateError: for fewer facilities than districts, or nothing to make.
    """
    if districts < 1 or facilities < districts:
        raise GenerateError(f"{facilities} facilities cannot fill {districts} districts: "
                            "give at least one facility per district.")
    base, extra = divmod(facilities, districts)
    return [base + (1 if i < extra else 0) for i in range(districts)]


def foreign_data() -> str | None:
    """Return what makes the database hold more than demo data, or None if it does not.

    Demo data is the first start's district and generated districts (:data:`MARK`);
    anything else (another district, a workshop) is someone's real work.
    """
    names = db.session.scalars(select(District.name)).all()
    real = sorted(n for n in names if n not in DEMO_DISTRICTS and not n.endswith(MARK))
    if real:
        shown = ", ".join(repr(n) for n in real[:3])
        return f"{len(real)} district(s) that are not demo data ({shown}{'...' * (len(real) > 3)})"
    workshops = db.session.scalar(select(func.count()).select_from(Workshop)) or 0
    if workshops:
        return f"{workshops} workshop(s)"
    return None


def generate(sizes: list[int], rounds: int, participants: int, registry, *, seed: int = 1,
             today: date | None = None, force: bool = False,
             progress: Callable[[Generated, int], None] | None = None) -> Generated:
    """Write synthetic districts (one per entry of ``sizes``) with their rounds; commit.

    :param sizes: the number of facilities of each district to make.
    :param rounds: rounds per assessed facility (a baseline, then follow-ups).
    :param participants: participants (responses) per round.
    :param registry: the checklist registry (answers use its first checklist's ids).
    :param seed: the same seed (and ``today``) gives the same data.
    :param today: the day the data leads up to (rounds, due dates, stalled items).
    :param force: write even into a database that holds data other than demo data.
    :param progress: called after each chunk with the counts so far and the facilities
        to make in all.
    :raises GenerateError: if the database holds real data and ``force`` is not set.
    """
    if rounds < 1 or participants < 1 or not sizes or min(sizes) < 1:
        raise GenerateError("Give at least one district, facility, round and participant.")
    found = foreign_data()
    if found and not force:
        raise GenerateError(f"This database holds {found}: synthetic data would mix with it. "
                            "Use an empty database, or --force to add to it anyway.")
    today = today or date.today()
    checklist = next(iter(registry))
    started = time.perf_counter()
    done = Generated()
    sqlite = db.engine.dialect.name == "sqlite"
    collecting = gc.isenabled()
    gc.disable()  # millions of small containers, none of them cyclic
    try:
        if sqlite:
            _sqlite_pragmas(generating=True)
        first_number = db.session.scalar(select(func.count()).select_from(District)) or 0
        seq = lock_clock()
        pending = _Pending()
        generated: list[int] = []
        for offset, size in enumerate(sizes):
            number = first_number + offset + 1
            district_id, facility_ids, kinds = _write_district(seed, number, size)
            done.districts.append(district_id)
            generated.extend(facility_ids)
            for index, (facility_id, kind) in enumerate(zip(facility_ids, kinds, strict=True)):
                rng = random.Random(f"{seed}:{number}:{index}")
                plan = FacilityPlan(rng, facility_id, index, kind, rounds, participants,
                                    checklist, today, seq)
                seq = plan.build(pending)
                done.facilities += 1
                if len(pending.rows[Answer]) >= CHUNK:
                    pending.write(done)
                    done.seconds = time.perf_counter() - started
                    if progress:
                        progress(done, sum(sizes))
        pending.write(done)
        # Counted in the database once, rather than answer by answer as they are made.
        recount(generated)
        clock = SyncClock.__table__
        db.session.execute(update(clock).where(clock.c.id == 1).values(value=seq))
        done.last_seq = seq
        db.session.commit()
        if not sqlite:
            # PostgreSQL plans the first queries after a bulk load from empty statistics
            # (and compiles them with JIT, which costs more than they do) until
            # autovacuum analyses the tables: do it now, as its manual advises.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if collecting:
            gc.enable()
        if sqlite:
            _sqlite_pragmas(generating=False)
    done.seconds = time.perf_counter() - started
    if progress:
        progress(done, sum(sizes))
    return done


def _sqlite_pragmas(generating: bool) -> None:
    """Relax SQLite's durability for one big transaction, or put it back as configured.

    A crash in the middle loses only the generation itself (a single transaction).
    Afterwards the pool's connections are closed, so every connection made from then on
    has the pragmas of :func:`healthwise.database.init_database` again.
    """
    if generating:
        connection = db.session.connection()
        # Out of WAL mode, the pages go to the file once instead of to the WAL and then
        # again at the checkpoint; another process holding the database keeps it in WAL.
        with suppress(OperationalError):
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
        for statement in ("PRAGMA synchronous=OFF", "PRAGMA cache_size=-1000000",
                          "PRAGMA temp_store=MEMORY"):
            connection.exec_driver_sql(statement)
    else:
        db.session.commit()
        with suppress(OperationalError):
            db.session.connection().exec_driver_sql("PRAGMA journal_mode=WAL")
        db.session.commit()
        db.session.close()
        db.engine.dispose()


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _write_district(seed: int, number: int, size: int) -> tuple[int, list[int], list[str]]:
    """Write a district and its facilities; return their ids and the facilities' kinds."""
    rng = random.Random(f"{seed}:{number}")
    name = f"{_name(rng, 3)} District{MARK}"
    created = datetime.combine(date(2024, 1, 1), datetime.min.time())
    district_id = db.session.execute(insert(District.__table__).values(
        name=name, created_at=created, updated_at=created)
        .returning(District.__table__.c.id)).scalar_one()
    weights = [w for *_, w in KINDS]
    rows, names, kinds = [], set(), []
    for _ in range(size):
        kind, ending, _weight = rng.choices(KINDS, weights)[0]
        facility = f"{_name(rng, rng.choice((2, 3)))} {ending}"
        while facility in names:  # names are unique in a district
            facility = f"{_name(rng, 2)} {facility}"
        names.add(facility)
        kinds.append(kind)
        rows.append({"district_id": district_id, "name": facility, "kind": kind,
                     "created_at": created, "updated_at": created})
    table = Facility.__table__
    ids = list(db.session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    return district_id, ids, kinds


class _Pending:
    """Rows waiting for the next ``executemany``, parents first."""

    MODELS = (Assessment, Response, Answer, ActionItem)

    def __init__(self):
        self.rows: dict[type, list[dict]] = {model: [] for model in self.MODELS}
        self.tables = {model: model.__table__ for model in self.MODELS}
        self.tables[Answer] = _answers_table()

    def write(self, done: Generated) -> None:
        """Insert the waiting rows, a statement per table, and count them in ``done``."""
        for model in self.MODELS:
            rows = self.rows[model]
            if not rows:
                continue
            if model is Answer and db.engine.dialect.name == "postgresql":
                _copy(self.tables[model], rows)
            else:
                db.session.execute(insert(self.tables[model]), rows)
            name = model.__tablename__
            setattr(done, name, getattr(done, name) + len(rows))
            self.rows[model] = []


def _copy(table: Table, rows: list[dict]) -> None:
    """Write rows with PostgreSQL's COPY, in the session's transaction (several times
    faster than ``executemany`` for the millions of answers). Columns the rows leave out
    (a nullable one added since, such as ``photos``) take their default."""
    if not rows:
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def fast_uuid(rng: random.Random) -> str:
    """Return a version 4 UUID string drawn from ``rng`` (what ``uuid.UUID`` would give)."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def answer_clock(response_id: str, checkpoint_id: str, action: str, priority: bool,
                 remark: str, seq: int, change_id: str, at: str, device: str) -> str:
    """Return the JSON text of a new answer's merge clock, as the JSON column would write it.

    An answer is made by one change of one phone that sets its five fields, so each
    field's entry is ``{"o": 1, "w": {device: [seq, value, change_id, at, device, 1, 1]}}``
    (:func:`merge.apply_write` on an empty entry: made at order 1, landed on revision 1).
    Three million of them are written, so the text is put together here, byte for byte
    what ``json.dumps`` makes of that dict (a test holds the two to each other); the
    ids, dates and stock sentences in it need no escaping.
    """
    writes = f'{{"o": 1, "w": {{"{device}": [{seq}, '
    end = f', "{change_id}", "{at}", "{device}", 1, 1]}}}}'
    return (f'{{"response_id": {writes}"{response_id}"{end}, '
            f'"checkpoint_id": {writes}"{checkpoint_id}"{end}, '
            f'"action": {writes}"{action}"{end}, '
            f'"priority": {writes}{"true" if priority else "false"}{end}, '
            f'"remark": {writes}"{remark}"{end}}}')


class _Serialised(TypeDecorator):
    """A JSON column whose values arrive already serialised (see :func:`answer_clock`)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return None


def _answers_table() -> Table:
    """Return the answers table with its JSON columns taking JSON text as it is."""
    columns = [Column(c.name, _Serialised() if c.name in ("clock", "conflicts") else c.type)
               for c in Answer.__table__.columns]
    return Table(Answer.__tablename__, MetaData(), *columns)


class Writes:
    """One record's successive changes by one phone, folded as the merge would fold them.

    Each change is made on the revision the previous one led to, so its order is the
    revision it lands on; every field's clock entry is the one :func:`merge.apply_write`
    returns for a single writer who saw every earlier write.
    """

    __slots__ = ("row", "clock", "device", "seq")

    def __init__(self, row: dict, device: str):
        self.row = row
        self.clock: dict = {}
        self.device = device
        row["rev"] = 0

    def change(self, seq: int, change_id: str, at: datetime, fields: dict) -> None:
        """Apply one change (a create first): values, clock entries, rev, seq, updated_at."""
        row = self.row
        order = row["rev"] + 1
        stamp = iso(at)
        device = self.device
        for key, value in fields.items():
            self.clock[key] = {"o": order, "w": {device: [seq, value, change_id, stamp, device,
                                                          order, order]}}
            row[key] = value
        row["rev"] = order
        row["seq"] = seq
        row["updated_at"] = at
        row["clock"] = self.clock


class FacilityPlan:
    """The invented history of one facility: its rounds, answers and action plans."""

    def __init__(self, rng: random.Random, facility_id: int, index: int, kind: str,
                 rounds: int, participants: int, checklist, today: date, seq: int):
        self.rng = rng
        self.facility_id = facility_id
        self.rounds = rounds
        self.participants = participants
        self.checklist = checklist
        self.today = today
        self.seq = seq
        # One facility in 33 was never assessed, one in 40 has just begun its latest
        # round (nothing answered yet), so that a district of 40 has both.
        self.assessed = index % 33 != 16
        self.begun = index % 40 == 7
        # Does this facility walk the optional modules? Hospitals mostly do.
        self.optional = rng.random() < (0.8 if "hospital" in kind else 0.4)
        optional = {cp["id"] for m in checklist.data["modules"] if m.get("optional")
                    for cp in m["checkpoints"]}
        self.ids = [c for c in checklist.checkpoints if self.optional or c not in optional]
        need = rng.uniform(0.25, 0.6)
        # Per checkpoint: how likely a participant proposes action, and whether it applies.
        self.need = {c: min(0.95, max(0.03, need * 2 * rng.random())) for c in self.ids}
        self.not_here = {c for c in self.ids if rng.random() < 0.06}

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _uid(self) -> str:
        return fast_uuid(self.rng)

    def build(self, pending: _Pending) -> int:
        """Append this facility's rows to ``pending``; return the sync clock after them."""
        if not self.assessed:
            return self.seq
        rng, today = self.rng, self.today
        first = today - timedelta(days=SPAN_DAYS + rng.randint(0, 60))
        step = SPAN_DAYS / max(self.rounds - 1, 1) if self.rounds > 1 else 0
        previous_id, fixed = None, set()
        for number in range(self.rounds):
            started_on = first + timedelta(days=round(number * step) + rng.randint(-15, 15))
            started_on = min(started_on, today - timedelta(days=2))
            latest = number == self.rounds - 1
            previous_id, fixed = self._round(pending, number, started_on, latest, previous_id,
                                             fixed)
        return self.seq

    def _round(self, pending: _Pending, number: int, started_on: date, latest: bool,
               previous_id: str | None, fixed: set) -> tuple[str, set]:
        """Append one round (assessment, responses, answers, plan); return its id and the
        checkpoints its done actions fixed."""
        rng = self.rng
        devices = [self._uid() for _ in range(self.participants)]
        start = datetime.combine(started_on, datetime.min.time()) + timedelta(hours=8)
        empty = (latest and self.begun) or rng.random() < 0.015  # abandoned, or just begun
        is_open = latest and (empty or rng.random() < 0.25)
        assessment_id = self._uid()
        fields = {
            "facility_id": self.facility_id, "checklist_id": self.checklist.id,
            "checklist_version": self.checklist.version,
            "title": f"{'Baseline' if number == 0 else f'Follow-up {number}'} {started_on.year}",
            "kind": "baseline" if number == 0 else "follow_up", "previous_id": previous_id,
            "status": "open", "started_on": started_on.isoformat()}
        row = {"id": assessment_id, "facility_id": self.facility_id, "conflicts": [],
               "created_at": start, "removed": False}
        assessment = Writes(row, devices[0])
        assessment.change(self._next(), self._uid(), start, fields)
        pending.rows[Assessment].append(row)
        counts: dict[str, int] = {}
        if not (empty and rng.random() < 0.5):
            for p in range(self.participants):
                self._response(pending, assessment_id, devices[p], p, start, is_open, empty,
                               number, fixed, counts)
        agreed = start + timedelta(days=rng.randint(3, 20))
        if not is_open and not empty and agreed.date() < self.today:
            status = "agreed" if latest or rng.random() < 0.4 else "closed"
            assessment.change(self._next(), self._uid(), agreed, {"status": status})
        elif empty and not latest:  # abandoned
            assessment.change(self._next(), self._uid(), agreed, {"status": "closed"})
        if empty:
            return assessment_id, set()
        return assessment_id, self._plan(pending, assessment_id, devices[0], start, agreed,
                                         is_open, latest, previous_id, counts)

    def _response(self, pending, assessment_id, device, p, start, is_open, empty, number,
                  fixed, counts) -> None:
        """Append one participant's response and answers."""
        rng = self.rng
        at = start + timedelta(minutes=rng.randint(0, 90))
        response_id = self._uid()
        if empty:
            answered = []
        elif is_open:  # a walk-through under way: the first checkpoints, in order
            answered = self.ids[:rng.randint(0, len(self.ids))]
        else:
            answered = [c for c in self.ids if rng.random() >= 0.02]
        complete = bool(answered) and len(answered) >= len(self.ids) - 5 and not is_open
        row = {"id": response_id, "facility_id": self.facility_id, "conflicts": [],
               "created_at": at, "assessment_id": assessment_id}
        Writes(row, device).change(self._next(), self._uid(), at, {
            "assessment_id": assessment_id, "participant": f"Participant {p + 1}",
            "role": ROLES[(p + rng.randint(0, 2)) % len(ROLES)], "completed": complete})
        pending.rows[Response].append(row)
        improve = 0.85 ** number
        answers = pending.rows[Answer]
        random_ = rng.random
        uid = self._uid
        for k, checkpoint_id in enumerate(answered):
            if checkpoint_id in self.not_here and random_() < 0.85:
                action = "na"
            else:
                need = self.need[checkpoint_id] * improve * (0.4 if checkpoint_id in fixed else 1)
                chance = random_()
                action = "yes" if chance < need else ("na" if chance > 0.97 else "no")
            if action == "yes":
                counts[checkpoint_id] = counts.get(checkpoint_id, 0) + 1
            priority = action == "yes" and random_() < 0.3 + 0.4 * need
            remark = REMARKS[int(random_() * len(REMARKS))] if random_() < 0.03 else ""
            when = at + timedelta(seconds=40 * k)
            seq = self._next()
            change_id, answer_id = uid(), uid()
            answers.append({
                "id": answer_id, "facility_id": self.facility_id, "rev": 1, "seq": seq,
                "clock": answer_clock(response_id, checkpoint_id, action, priority, remark,
                                      seq, change_id, iso(when), device),
                "conflicts": "[]", "created_at": when, "updated_at": when,
                "assessment_id": assessment_id, "response_id": response_id,
                "checkpoint_id": checkpoint_id, "action": action, "priority": priority,
                "remark": remark})

    def _plan(self, pending, assessment_id, device, start, agreed, is_open, latest,
              previous_id, counts) -> set:
        """Append a round's action items; return the checkpoints whose action was done."""
        rng, today = self.rng, self.today
        ranked = sorted(counts, key=lambda c: (-counts[c], c))
        chosen = ranked[:0 if not ranked else (rng.randint(0, 3) if is_open
                                                 else rng.randint(4, 12))]
        items: list[str | None] = list(chosen)
        if not is_open and (previous_id is None or rng.random() < 0.3):
            items.append(None)  # the committee's own idea, about no checkpoint
        fixed = set()
        made = agreed if agreed.date() < today else start
        for rank, checkpoint_id in enumerate(items, start=1):
            cost = self.checklist.checkpoints[checkpoint_id]["cost"] if checkpoint_id else "low"
            due = made.date() + timedelta(days=rng.randint(30, 240))
            item_id = self._uid()
            row = {"id": item_id, "facility_id": self.facility_id, "conflicts": [],
                   "created_at": made, "assessment_id": assessment_id}
            writes = Writes(row, device)
            writes.change(self._next(), self._uid(), made, {
                "assessment_id": assessment_id, "checkpoint_id": checkpoint_id,
                "action": (rng.choice(ACTIONS) if checkpoint_id else rng.choice(OWN_ACTIONS)),
                "responsible": rng.choice(RESPONSIBLE), "due_on": due.isoformat(),
                "cost": cost, "status": "planned", "progress_note": "", "rank": rank})
            status = self._status(latest, is_open)
            if status != "planned":
                span = max((today - made.date()).days, 1)
                changed = made + timedelta(days=rng.randint(1, span), hours=rng.randint(0, 9))
                writes.change(self._next(), self._uid(), min(changed, _end_of(today)), {
                    "status": status, "progress_note": rng.choice(NOTES[status])})
            if status == "done" and checkpoint_id:
                fixed.add(checkpoint_id)
            pending.rows[ActionItem].append(row)
        return fixed

    def _status(self, latest: bool, is_open: bool) -> str:
        """Draw an item's status: recent plans are mostly open, older ones mostly settled."""
        if is_open:
            return "planned"
        weights = (40, 35, 20, 5) if latest else (15, 18, 55, 12)
        return self.rng.choices(("planned", "in_progress", "done", "dropped"), weights)[0]


def _end_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) - timedelta(hours=1)
