"""The sync service: apply a batch of phone changes in one transaction, then pull.

The view loads and checks the request envelope; :func:`sync` does the rest and
only flushes: the view commits once. Reads and writes are done in bulk (one
``SELECT ... IN`` per table, one ``executemany`` per table) because a phone sends a
whole response (~70 answers) at a time and a workshop sends a hundred at once.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from marshmallow import ValidationError
from sqlalchemy import bindparam, func, insert, literal, select, union_all, update

from healthwise.assessments import merge
from healthwise.assessments.models import RECORD_MODELS, Change, SyncClock
from healthwise.assessments.schemas import (
    CURSOR,
    MAX_ACTION_ITEMS_PER_ROUND,
    MAX_DEVICES_PER_TOKEN,
    MAX_INT,
    RECORD_TYPES,
    UUID,
    ChangeSchema,
)
from healthwise.database import hold_writer_gate
from healthwise.extensions import db
from healthwise.timeutil import iso, utcnow

TYPE_ORDER = ("assessment", "response", "answer", "action_item")
CHANGE_SCHEMA = ChangeSchema()
UUID_PATTERN = UUID.regex


@dataclass(frozen=True)
class Scope:
    """What a token may read and write: a set of facilities."""

    facility_ids: frozenset[int]

    def allows(self, facility_id: int | None) -> bool:
        return facility_id in self.facility_ids


@dataclass(frozen=True)
class Actor:
    """Who sends a batch: the token and the phone."""

    token_id: int | None
    name: str
    device_id: str

    @property
    def writer(self) -> str:
        """Return the identity that orders this actor's writes against other phones'.

        It is the device token, which the server issued, and not the ``device_id`` of
        the request body, which a phone could choose to win every tie. Writes made
        without a token (the demo data, a file a manager brings back) use the device id.
        """
        return f"token:{self.token_id:010d}" if self.token_id is not None else self.device_id


class BadCursor(Exception):
    """A pull cursor this server never issued (a restored backup, another server)."""


class Rejected(Exception):
    """A change that cannot be applied; the rest of the batch goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def wire_fields(record_type: str) -> tuple[str, ...]:
    """Return the field names of a record type on the wire."""
    return tuple(RECORD_TYPES[record_type]["schema"].fields)


def digest(change: dict) -> str:
    """Return a fingerprint of a change's content, to spot a reused change_id."""
    content = {k: change.get(k) for k in ("type", "id", "base_rev", "fields")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def lock_clock() -> int:
    """Take the writer lock and return the sync clock.

    The first statement of the transaction is an UPDATE, so SQLite takes its write
    lock (waiting up to the busy timeout) and PostgreSQL locks the clock row: sync
    batches are applied one at a time, so clock values commit in order and a
    cursor never skips a change that commits late.
    """
    hold_writer_gate()
    table = SyncClock.__table__
    value = db.session.scalar(update(table).where(table.c.id == 1)
                              .values(value=table.c.value).returning(table.c.value))
    if value is None:
        db.session.execute(insert(table).values(id=1, value=0))
        return 0
    return value


class Workspace:
    """The records a batch touches, read in bulk and written back in bulk."""

    def __init__(self):
        self.rows: dict[str, dict[str, dict]] = {t: {} for t in TYPE_ORDER}
        self.created: dict[str, set[str]] = {t: set() for t in TYPE_ORDER}
        self.dirty: dict[str, set[str]] = {t: set() for t in TYPE_ORDER}

    def load(self, record_type: str, ids) -> None:
        """Read the records of one type whose ids are not loaded yet."""
        wanted = {i for i in ids if i and i not in self.rows[record_type]}
        if not wanted:
            return
        table = RECORD_MODELS[record_type].__table__
        for chunk in _chunks(sorted(wanted), 500):
            for row in db.session.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                self.rows[record_type][row["id"]] = dict(row)

    def get(self, record_type: str, record_id: str | None) -> dict | None:
        return self.rows[record_type].get(record_id) if record_id else None

    def flush(self) -> None:
        """Write created and changed records, parents first."""
        for record_type in TYPE_ORDER:
            table = RECORD_MODELS[record_type].__table__
            created = [self.rows[record_type][i] for i in sorted(self.created[record_type])]
            if created:
                db.session.execute(insert(table), created)
            changed = [
                {**self.rows[record_type][i], "_id": i}
                for i in sorted(self.dirty[record_type] - self.created[record_type])
            ]
            if changed:
                columns = [c for c in changed[0] if c not in ("id", "_id", "created_at")]
                stmt = (
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values({c: bindparam(c) for c in columns})
                )
                db.session.execute(stmt, [{k: r[k] for k in [*columns, "_id"]} for r in changed])


@lru_cache(maxsize=8)
def _blank_row(record_type: str) -> dict:
    """Return a new record's columns with their defaults (copy before use)."""
    row = {}
    for column in RECORD_MODELS[record_type].__table__.columns:
        default = column.default
        row[column.name] = default.arg if default is not None and not callable(default.arg) \
            else None
    return row


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


ENVELOPE_KEYS = frozenset(CHANGE_SCHEMA.fields)
REQUIRED_KEYS = frozenset(name for name, f in CHANGE_SCHEMA.fields.items() if f.required)


def _plain_envelope(raw) -> dict | None:
    """Return the change envelope as :data:`CHANGE_SCHEMA` loads it, if it is plainly valid.

    A phone's batch is a hundred well-formed envelopes, and a schema load costs about
    forty times this check. Only what is certainly valid passes; anything else
    returns None and goes through the schema, which alone words the errors
    (``tests/test_sync_properties.py`` checks that both agree).
    """
    if type(raw) is not dict or not REQUIRED_KEYS <= raw.keys() <= ENVELOPE_KEYS:
        return None
    change_id, record_type, record_id, fields = (raw["change_id"], raw["type"], raw["id"],
                                                 raw["fields"])
    base_rev = raw.get("base_rev")
    if (type(change_id) is str and type(record_id) is str and type(fields) is dict
            and record_type in RECORD_TYPES
            and (base_rev is None or (type(base_rev) is int and 0 <= base_rev <= MAX_INT))
            and UUID_PATTERN.match(change_id) and UUID_PATTERN.match(record_id)
            and all(type(key) is str for key in fields)):
        return {"change_id": change_id, "type": record_type, "id": record_id,
                "base_rev": base_rev, "fields": dict(fields)}
    return None


def load_envelope(raw) -> dict:
    """Load one change's envelope (ids, type, base_rev, fields) or raise Rejected."""
    change = _plain_envelope(raw)
    if change is not None:
        return change
    try:
        return CHANGE_SCHEMA.load(raw)
    except ValidationError as exc:
        raise Rejected("invalid", _first_error(exc.messages)) from None


def _parse(raw: dict) -> dict:
    """Validate one change with the marshmallow schemas; raise Rejected if invalid."""
    change = load_envelope(raw)
    if not change["fields"]:
        raise Rejected("empty_change", "The change sets no field.")
    change["change_id"] = change["change_id"].lower()
    change["id"] = change["id"].lower()
    schema = RECORD_TYPES[change["type"]]["schema"]
    unknown = sorted(change["fields"].keys() - schema.fields.keys())
    if unknown:
        raise Rejected("invalid", f"{', '.join(unknown)}: Unknown field.")
    loaded = {}
    for name, value in change["fields"].items():
        try:
            loaded[name] = _field_value(change["type"], name, type(value), value)
        except ValidationError as exc:
            raise Rejected("invalid", f"{name}: {_first_error(exc.messages)}") from None
        except TypeError:  # an unhashable value (list, object): never valid here
            raise Rejected("invalid", f"{name}: Not a valid value.") from None
    change["fields"] = loaded
    return change


@lru_cache(maxsize=8192)
def _field_value(record_type: str, name: str, kind: type, value):
    """Return one field value as its schema field loads it (validators included).

    The same values recur in every batch (``"yes"``, ``False``, the response id...),
    so each is checked once and remembered; ``kind`` keeps ``1`` apart from ``True``.
    """
    loaded = RECORD_TYPES[record_type]["schema"].fields[name].deserialize(value)
    if isinstance(loaded, uuid.UUID):
        return str(loaded)  # canonical lower-case form, as record ids are stored
    return loaded


def _first_error(messages) -> str:
    """Return the field errors as one readable sentence."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            inner = _first_error(value)
            parts.append(f"{key}: {inner}")
        return "; ".join(parts)
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)


class Batch:
    """Apply one request's changes; every rule about records lives here."""

    def __init__(self, scope: Scope, actor: Actor, registry, clock: int, now: datetime):
        self.scope = scope
        self.actor = actor
        self.registry = registry
        self.clock = clock
        self.now = now
        self.at = iso(now)
        self.ws = Workspace()
        self.changes: list[dict] = []
        self.seen: dict[str, dict] = {}
        # Per record: the base_rev the phone's in-line changes carry and the revision
        # they lead to (see :meth:`_in_line`); and the records to send back.
        self.line: dict[str, tuple[int | None, int]] = {}
        self.resend: set[tuple[str, str]] = set()

    def prefetch(self, parsed: list[dict]) -> None:
        """Read every change row and record the batch may need, a query per table."""
        ids = [c["change_id"] for c in parsed]
        for chunk in _chunks(ids, 500):
            table = Change.__table__
            for row in db.session.execute(
                select(table.c.change_id, table.c.digest, table.c.rev, table.c.record_type,
                       table.c.record_id)
                .where(table.c.change_id.in_(chunk))
            ).mappings():
                self.seen[row["change_id"]] = dict(row)
        wanted = {t: set() for t in TYPE_ORDER}
        for c in parsed:
            wanted[c["type"]].add(c["id"])
            for key, parent_type in (("assessment_id", "assessment"),
                                     ("response_id", "response"),
                                     ("previous_id", "assessment")):
                if c["fields"].get(key):
                    wanted[parent_type].add(c["fields"][key])
        for record_type in ("answer", "action_item", "response"):
            self.ws.load(record_type, wanted[record_type])
        wanted["assessment"] |= {r["assessment_id"] for r in self.ws.rows["response"].values()}
        wanted["assessment"] |= {r["assessment_id"] for r in self.ws.rows["action_item"].values()}
        self.ws.load("assessment", wanted["assessment"])
        self._load_taken_ids(parsed)
        self._count_items(parsed)

    def _load_taken_ids(self, parsed: list[dict]) -> None:
        """Note which ids the batch would create that another type already uses."""
        new = {t: {c["id"] for c in parsed if c["type"] == t
                   and c["id"] not in self.ws.rows[t]} for t in TYPE_ORDER}
        ids = sorted(set().union(*new.values()))
        self.taken: dict[str, str] = {}
        for chunk in _chunks(ids, 500):
            queries = [select(RECORD_MODELS[t].__table__.c.id, literal(t).label("type"))
                       .where(RECORD_MODELS[t].__table__.c.id.in_(chunk)) for t in TYPE_ORDER]
            for row in db.session.execute(union_all(*queries)):
                self.taken[row.id] = row.type

    def _count_items(self, parsed: list[dict]) -> None:
        """Count the action items of the rounds the batch adds items to."""
        rounds = {c["fields"].get("assessment_id") for c in parsed
                  if c["type"] == "action_item" and c["id"] not in self.ws.rows["action_item"]}
        rounds.discard(None)
        table = RECORD_MODELS["action_item"].__table__
        self.items: dict[str, int] = dict.fromkeys(rounds, 0)
        for chunk in _chunks(sorted(rounds), 500):
            self.items.update(db.session.execute(
                select(table.c.assessment_id, func.count())
                .where(table.c.assessment_id.in_(chunk)).group_by(table.c.assessment_id)).all())

    def apply(self, change: dict) -> dict:
        """Apply one parsed change and return its result."""
        previous = self.seen.get(change["change_id"])
        if previous is not None:
            if previous["digest"] != change["digest"]:
                raise Rejected(
                    "change_id_reused",
                    "This change_id was already used for a different change; "
                    "make a new change_id for a new edit.",
                )
            # The phone never heard the first result: what it holds may be behind.
            self.resend.add((previous["record_type"], previous["record_id"]))
            return {"change_id": change["change_id"], "status": "duplicate", "rev": previous["rev"]}

        record_type, fields = change["type"], change["fields"]
        rules = RECORD_TYPES[record_type]
        row = self.ws.get(record_type, change["id"])
        created_now = row is None
        if created_now:
            if change["base_rev"] is not None:
                raise Rejected("not_found", f"There is no {record_type} {change['id']} "
                                            "in this facility.")
            other_type = self.taken.get(change["id"])
            if other_type is not None:
                raise Rejected("id_taken", f"The id {change['id']} is already used by "
                                           f"{'an' if other_type[0] in 'aeiou' else 'a'} "
                                           f"{other_type}; make a new id for a new record.")
            row = self._create(record_type, change)
        elif not self.scope.allows(row["facility_id"]):
            raise Rejected("not_found", f"There is no {record_type} {change['id']} "
                                        "in this facility.")
        else:
            if change["base_rev"] is not None and change["base_rev"] > row["rev"]:
                raise Rejected("bad_base_rev", f"base_rev {change['base_rev']} is ahead of the "
                                               f"{record_type}'s revision {row['rev']}: send "
                                               "the revision this phone last received.")
            for key in rules["immutable"]:
                if key in fields and fields[key] != row[key]:
                    raise Rejected("immutable_field", f"{key} cannot change after the "
                                                      f"{record_type} is created.")
        self._check_references(record_type, {**row, **fields}, fields)
        if created_now:
            if record_type == "action_item":
                self._count_new_item(fields["assessment_id"])
            self.ws.rows[record_type][change["id"]] = row
            self.ws.created[record_type].add(change["id"])
            self.taken[change["id"]] = record_type
        in_line = created_now or self._in_line(change, row)

        self.clock += 1
        seq = self.clock
        # Behind, unless only this phone's own earlier edits of this batch came since.
        stale = (change["base_rev"] is not None and change["base_rev"] < row["rev"]
                 and not in_line)
        order = (change["base_rev"] or 0) + 1
        clock = dict(row["clock"] or {})
        superseded = []
        for key, value in fields.items():
            write = merge.Write(order, self.actor.writer, seq, value, change["change_id"],
                                self.at, self.actor.device_id)
            clock[key], outcome = merge.apply_write(clock.get(key), write)
            if outcome == "superseded":
                superseded.append(key)
            row[key] = merge.value_of(clock[key])
        row["clock"] = clock
        row["conflicts"] = merge.all_conflicts(clock)
        row["rev"] += 1
        row["seq"] = seq
        row["updated_at"] = self.now
        self.ws.dirty[record_type].add(change["id"])

        if merge.involved(clock, fields, self.actor.writer):
            status = "conflict"
        elif stale or superseded:
            status = "merged"
        else:
            status = "applied"
        if in_line and status == "applied":
            self.line[change["id"]] = (change["base_rev"], row["rev"])
        else:
            # The phone's picture of this record is not the server's: send it back.
            self.line.pop(change["id"], None)
            self.resend.add((record_type, change["id"]))
        result = {"change_id": change["change_id"], "status": status, "rev": row["rev"]}
        if superseded:
            result["superseded"] = superseded
        stored = {
            "change_id": change["change_id"], "seq": seq, "device_id": self.actor.device_id,
            "token_id": self.actor.token_id, "record_type": record_type,
            "record_id": change["id"], "digest": change["digest"], "status": status,
            "rev": row["rev"], "fields": fields, "actor": self.actor.name, "created_at": self.now,
        }
        self.changes.append(stored)
        self.seen[change["change_id"]] = stored
        return result

    def _in_line(self, change: dict, row: dict) -> bool:
        """Return True if the change was made on the record's latest revision.

        Either it names that revision, or it carries the same ``base_rev`` as this
        phone's earlier change to the record in this batch, which led to the latest
        revision (a phone sends several edits of a record before it hears back).
        """
        if change["base_rev"] is not None and change["base_rev"] == row["rev"]:
            return True
        line = self.line.get(change["id"])
        return line is not None and line == (change["base_rev"], row["rev"])

    def _count_new_item(self, assessment_id: str) -> None:
        """Count one more action item for a round, refusing it past the cap."""
        count = self.items.get(assessment_id, 0)
        if count >= MAX_ACTION_ITEMS_PER_ROUND:
            raise Rejected("too_many_items", f"A round has at most "
                                             f"{MAX_ACTION_ITEMS_PER_ROUND} action items; "
                                             "merge or drop some before adding more.")
        self.items[assessment_id] = count + 1

    def _create(self, record_type: str, change: dict) -> dict:
        """Return a new, not yet registered record row, checking fields, parent and scope."""
        rules = RECORD_TYPES[record_type]
        fields = change["fields"]
        missing = [k for k in rules["required"] if fields.get(k) is None]
        if missing:
            raise Rejected("missing_fields", f"A new {record_type} needs: {', '.join(missing)}.")
        row = dict(_blank_row(record_type))
        if rules["parent"] is None:
            facility_id = fields["facility_id"]
            if not self.scope.allows(facility_id):
                raise Rejected("out_of_scope", "This phone may only write to its own facility.")
            checklist = self.registry.get(fields["checklist_id"])
            if checklist is None:
                raise Rejected("unknown_checklist", f"There is no checklist "
                                                    f"'{fields['checklist_id']}'.")
            if fields["checklist_version"] > checklist.version:
                version = fields["checklist_version"]
                raise Rejected("unknown_checklist", f"Checklist version {version} does not exist.")
        else:
            key, parent_type = rules["parent"]
            parent = self.ws.get(parent_type, fields[key])
            if parent is None or not self.scope.allows(parent["facility_id"]):
                raise Rejected("not_found", f"There is no {parent_type} {fields[key]} "
                                            "in this facility.")
            facility_id = parent["facility_id"]
            if record_type == "answer":
                row["assessment_id"] = parent["assessment_id"]
        row.update(id=change["id"], facility_id=facility_id, rev=0, clock={}, conflicts=[],
                   created_at=self.now)
        return row

    def _check_references(self, record_type: str, row: dict, fields: dict) -> None:
        """Reject checkpoint ids the checklist never had and foreign previous rounds."""
        checkpoint_id = fields.get("checkpoint_id")
        if checkpoint_id is not None:
            assessment = self.ws.get("assessment", row["assessment_id"])
            checklist = self.registry.get(assessment["checklist_id"]) if assessment else None
            if checklist is None or not checklist.knows(checkpoint_id):
                raise Rejected("unknown_checkpoint",
                               f"Checkpoint '{checkpoint_id}' is not in this checklist.")
        previous_id = fields.get("previous_id")
        if previous_id is not None:
            previous = self.ws.get("assessment", previous_id)
            if previous is None or previous["facility_id"] != row["facility_id"] \
                    or previous_id == row["id"]:
                raise Rejected("not_found", f"There is no earlier assessment {previous_id} "
                                            "in this facility.")

    def write(self) -> None:
        """Flush records and change rows (the history), and advance the clock."""
        self.ws.flush()
        if self.changes:
            db.session.execute(insert(Change.__table__), self.changes)
        table = SyncClock.__table__
        db.session.execute(update(table).where(table.c.id == 1).values(value=self.clock))


def bind_device(token, device_id: str) -> bool:
    """Note that a token syncs from this phone; return False past the phones it may use.

    One token is one phone (a reinstalled app joins again and gets a new token); a few
    ids are allowed for a phone whose storage was reset, not a hundred chosen freely.

    :param token: the device token (its ``device_ids`` list is updated, not committed).
    """
    known = list(token.device_ids or [])
    if device_id in known:
        return True
    if len(known) >= MAX_DEVICES_PER_TOKEN:
        return False
    token.device_ids = [*known, device_id]
    return True


def check_change_ids(raw_changes: list[dict]) -> None:
    """Make sure every change has a change_id its result can be reported under.

    :raises ValidationError: naming the changes without a valid ``change_id``.
    """
    errors = {}
    for number, raw in enumerate(raw_changes):
        found = raw.get("change_id") if isinstance(raw, dict) else None
        if not isinstance(found, str) or not UUID_PATTERN.match(found):
            errors[number] = {"change_id": ["Each change needs a change_id (a UUID)."]}
    if errors:
        raise ValidationError({"changes": errors})


class Pushed(NamedTuple):
    """What a push did, for the pull that follows it (see :func:`pull`)."""

    results: list[dict]
    #: The sync clock after the batch.
    clock: int
    #: Clock values of the changes the phone made on the records' latest revision and
    #: that were applied as sent: the phone holds those records exactly.
    clean: frozenset
    #: ``(type, id)`` of the records the phone's picture may differ from the server's
    #: (a duplicate after a lost reply, a stale base, a merge or a conflict).
    resend: frozenset
    #: The change_id of the change at each clock value the batch wrote.
    change_ids: dict


def read_clock() -> int:
    """Return the sync clock without locking it."""
    table = SyncClock.__table__
    return db.session.scalar(select(table.c.value).where(table.c.id == 1)) or 0


def push(scope: Scope, actor: Actor, raw_changes: list[dict], registry) -> Pushed:
    """Apply a batch of changes; return the results and what the pull needs to know.

    :param scope: the facilities the token may write.
    :param actor: the token and device sending the batch.
    :param raw_changes: the changes as sent (each a dict with at least a change_id).
    :param registry: the checklist registry, to check checkpoint ids.
    :returns: a :class:`Pushed`, with one result per change in the order sent.
    """
    if not raw_changes:
        # A pull needs no lock: clock values commit in order, so whatever it reads is
        # complete up to the clock it reads first.
        return Pushed([], read_clock(), frozenset(), frozenset(), {})
    check_change_ids(raw_changes)
    # Validation needs no database: it is done before taking the writer lock, so
    # that a hundred phones queue only for the part that must be serial.
    parsed: list[dict | Rejected] = []
    for raw in raw_changes:
        try:
            change = _parse(raw)
            change["digest"] = digest(raw)
            parsed.append(change)
        except Rejected as exc:
            parsed.append(exc)
    batch = Batch(scope, actor, registry, lock_clock(), utcnow())
    batch.prefetch([c for c in parsed if isinstance(c, dict)])
    results = []
    for raw, change in zip(raw_changes, parsed, strict=True):
        try:
            if isinstance(change, Rejected):
                raise change
            results.append(batch.apply(change))
        except Rejected as exc:
            results.append({"change_id": raw["change_id"], "status": "rejected",
                            "error": {"code": exc.code, "message": exc.message}})
    batch.write()
    resent = {record_id for _type, record_id in batch.resend}
    clean = frozenset(c["seq"] for c in batch.changes
                      if c["status"] == "applied" and c["record_id"] not in resent)
    return Pushed(results, batch.clock, clean, frozenset(batch.resend),
                  {c["seq"]: c["change_id"] for c in batch.changes})


def parse_cursor(raw: str | None, clock: int) -> int:
    """Return the clock value a cursor stands for, if this server issued it.

    A cursor ahead of the clock, or one whose check does not match the change at its
    clock value, comes from another history (a restored backup, a rebuilt server):
    keeping it would skip every change below it.

    :param raw: the cursor as sent (validated by :data:`CURSOR`), or None.
    :param clock: the current sync clock.
    :raises BadCursor: for a cursor this server never issued.
    """
    if raw is None:
        return 0
    match = CURSOR.match(raw)
    seq = int(match["seq"]) if match else MAX_INT + 1
    if seq > clock:
        raise BadCursor(raw)
    if match["check"] is not None and seq > 0:
        table = Change.__table__
        change_id = db.session.scalar(select(table.c.change_id).where(table.c.seq == seq))
        if change_id is None or not change_id.startswith(match["check"]):
            raise BadCursor(raw)
    return seq


def issue_cursor(seq: int, change_ids: dict) -> str:
    """Return the cursor for clock value ``seq`` (see :data:`schemas.CURSOR`).

    :param change_ids: change_ids already known by clock value, to save a query.
    """
    if seq == 0:
        return "0"
    change_id = change_ids.get(seq)
    if change_id is None:
        table = Change.__table__
        change_id = db.session.scalar(select(table.c.change_id).where(table.c.seq == seq))
    return f"{seq}.{change_id[:8]}" if change_id else str(seq)


def record_to_wire(record_type: str, row: dict) -> dict:
    """Return a stored record in the pull format."""
    return {
        "type": record_type,
        "id": row["id"],
        "rev": row["rev"],
        "fields": {k: row[k] for k in wire_fields(record_type)},
        "conflicts": row["conflicts"] or [],
    }


def pull(scope: Scope, cursor: int, pushed: Pushed, limit: int, issued: str | None = None
         ) -> dict:
    """Return the records in scope changed after ``cursor``, oldest first, one page,
    with the records the push found the phone to be behind on.

    :param cursor: the clock value the phone has seen up to.
    :param pushed: what this request's push did: its clock (the cursor when nothing
        more is left), the clean changes (the phone already holds those records
        exactly, its result carries the new ``rev``: they are not sent back unless
        something changed them later), and the records to send back whatever the
        cursor says.
    :param limit: the page size.
    :param issued: the cursor as the phone sent it, handed back when nothing is new.
    """
    clock, known = pushed.clock, pushed.clean

    def cursor_at(seq: int) -> str:
        if seq == cursor and issued is not None and "." in issued:
            return issued  # the phone's own cursor: no need to look its check up again
        return issue_cursor(seq, pushed.change_ids)

    if cursor >= clock or (len(known) == clock - cursor and min(known) == cursor + 1):
        # Nothing after the cursor, or only this request's clean changes (the usual
        # case: a phone that was up to date sends its response): no need to look.
        return {"changes": _records(scope, pushed.resend, set()),
                "cursor": cursor_at(max(clock, cursor)),
                "more": False}
    found = []
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        columns = _pulled_columns(record_type)
        rows = db.session.execute(
            select(*columns)
            .where(table.c.facility_id.in_(sorted(scope.facility_ids)),
                   table.c.seq > cursor, table.c.seq <= clock)
            .order_by(table.c.seq)
            .limit(limit + 1)
        ).mappings()
        found.extend((row["seq"], record_type, row) for row in rows)
    found.sort(key=lambda item: item[0])
    more = len(found) > limit
    page = found[:limit]
    # Only values up to ``clock`` are read: every one of them has committed, so a
    # cursor never passes a change that is still in flight.
    next_cursor = page[-1][0] if more else max(clock, cursor)
    changes = [record_to_wire(t, row) for seq, t, row in page if seq not in known]
    sent = {(change["type"], change["id"]) for change in changes}
    return {
        "changes": changes + _records(scope, pushed.resend, sent),
        "cursor": cursor_at(next_cursor),
        "more": more,
    }


def _pulled_columns(record_type: str) -> list:
    """Return the columns a pull reads of a record type (see :func:`record_to_wire`)."""
    table = RECORD_MODELS[record_type].__table__
    return [table.c[name] for name in ("id", "rev", "seq", "conflicts",
                                       *wire_fields(record_type))]


def _records(scope: Scope, wanted: frozenset, sent: set) -> list[dict]:
    """Return the records in scope among ``wanted`` ``(type, id)`` not already ``sent``."""
    found = []
    for record_type in TYPE_ORDER:
        ids = sorted(i for t, i in wanted if t == record_type and (t, i) not in sent)
        if not ids:
            continue
        table = RECORD_MODELS[record_type].__table__
        columns = _pulled_columns(record_type)
        for chunk in _chunks(ids, 500):
            rows = db.session.execute(
                select(*columns).where(table.c.id.in_(chunk),
                                       table.c.facility_id.in_(sorted(scope.facility_ids)))
            ).mappings()
            found.extend(record_to_wire(record_type, row) for row in rows)
    return found
