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

from marshmallow import ValidationError
from sqlalchemy import bindparam, insert, select, update

from healthwise.assessments import merge
from healthwise.assessments.models import RECORD_MODELS, Change, SyncClock
from healthwise.assessments.schemas import RECORD_TYPES, UUID, ChangeSchema
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
            and (base_rev is None or (type(base_rev) is int and base_rev >= 0))
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

    def prefetch(self, parsed: list[dict]) -> None:
        """Read every change row and record the batch may need, a query per table."""
        ids = [c["change_id"] for c in parsed]
        for chunk in _chunks(ids, 500):
            table = Change.__table__
            for row in db.session.execute(
                select(table.c.change_id, table.c.digest, table.c.rev)
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
            return {"change_id": change["change_id"], "status": "duplicate", "rev": previous["rev"]}

        record_type, fields = change["type"], change["fields"]
        rules = RECORD_TYPES[record_type]
        row = self.ws.get(record_type, change["id"])
        created_now = row is None
        if created_now:
            if change["base_rev"] is not None:
                raise Rejected("not_found", f"There is no {record_type} {change['id']} "
                                            "in this facility.")
            row = self._create(record_type, change)
        elif not self.scope.allows(row["facility_id"]):
            raise Rejected("not_found", f"There is no {record_type} {change['id']} "
                                        "in this facility.")
        else:
            for key in rules["immutable"]:
                if key in fields and fields[key] != row[key]:
                    raise Rejected("immutable_field", f"{key} cannot change after the "
                                                      f"{record_type} is created.")
        self._check_references(record_type, {**row, **fields}, fields)
        if created_now:
            self.ws.rows[record_type][change["id"]] = row
            self.ws.created[record_type].add(change["id"])

        self.clock += 1
        seq = self.clock
        stale = change["base_rev"] is not None and change["base_rev"] < row["rev"]
        order = (change["base_rev"] or 0) + 1
        clock = dict(row["clock"] or {})
        superseded = []
        for key, value in fields.items():
            write = merge.Write(order, self.actor.device_id, seq, value, change["change_id"],
                                self.at)
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

        if merge.involved(clock, fields, self.actor.device_id):
            status = "conflict"
        elif stale or superseded:
            status = "merged"
        else:
            status = "applied"
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


def push(scope: Scope, actor: Actor, raw_changes: list[dict], registry
         ) -> tuple[list, int, frozenset]:
    """Apply a batch of changes; return the results, the clock after it, and the clock
    values of the changes applied cleanly (see :func:`pull`).

    :param scope: the facilities the token may write.
    :param actor: the token and device sending the batch.
    :param raw_changes: the changes as sent (each a dict with at least a change_id).
    :param registry: the checklist registry, to check checkpoint ids.
    :returns: ``(results, clock, clean)``, one result per change in the order sent.
    """
    if not raw_changes:
        # A pull needs no lock: clock values commit in order, so whatever it reads is
        # complete up to the clock it reads first.
        table = SyncClock.__table__
        clock = db.session.scalar(select(table.c.value).where(table.c.id == 1)) or 0
        return [], clock, frozenset()
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
    clean = frozenset(c["seq"] for c in batch.changes if c["status"] == "applied")
    return results, batch.clock, clean


def record_to_wire(record_type: str, row: dict) -> dict:
    """Return a stored record in the pull format."""
    return {
        "type": record_type,
        "id": row["id"],
        "rev": row["rev"],
        "fields": {k: row[k] for k in wire_fields(record_type)},
        "conflicts": row["conflicts"] or [],
    }


def pull(scope: Scope, cursor: int, clock: int, limit: int, known: frozenset = frozenset()
         ) -> dict:
    """Return the records in scope changed after ``cursor``, oldest first, one page.

    :param cursor: the clock value the phone has seen up to.
    :param clock: the current clock (the cursor when nothing more is left).
    :param limit: the page size.
    :param known: clock values of changes this request applied cleanly: the phone
        already holds those records exactly (its result carries the new ``rev``), so
        they are not sent back unless something changed them later.
    """
    if cursor >= clock or (len(known) == clock - cursor and min(known) == cursor + 1):
        # Nothing after the cursor, or only this request's clean changes (the usual
        # case: a phone that was up to date sends its response): no need to look.
        return {"changes": [], "cursor": str(max(clock, cursor)), "more": False}
    found = []
    # min(cursor, clock) below: a cursor sent from past the clock finds nothing either way,
    # and must not reach the database (PostgreSQL refuses an integer out of its range).
    for record_type in TYPE_ORDER:
        table = RECORD_MODELS[record_type].__table__
        columns = [table.c[name] for name in ("id", "rev", "seq", "conflicts",
                                              *wire_fields(record_type))]
        rows = db.session.execute(
            select(*columns)
            .where(table.c.facility_id.in_(sorted(scope.facility_ids)),
                   table.c.seq > min(cursor, clock), table.c.seq <= clock)
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
    return {
        "changes": [record_to_wire(t, row) for seq, t, row in page if seq not in known],
        "cursor": str(next_cursor),
        "more": more,
    }
