"""The batch rules: who wrote what, and every rule a change must pass to be stored."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select, union_all, update

from healthwise.access.service import Scope
from healthwise.assessments import merge, tallies
from healthwise.assessments.envelope import Rejected
from healthwise.assessments.models import RECORD_MODELS, Change, SyncClock
from healthwise.assessments.schemas import (
    MAX_ACTION_ITEMS_PER_ROUND,
    MAX_DEVICES_PER_TOKEN,
    RECORD_TYPES,
)
from healthwise.assessments.store import TYPE_ORDER, Workspace, blank_row, chunks
from healthwise.extensions import db
from healthwise.timeutil import iso


@dataclass(frozen=True)
class Actor:
    """Who sends a batch: the token and the phone."""

    token_id: int | None
    name: str
    device_id: str
    #: True for a write the server makes for a signed-in person (a manager's review, a
    #: trainer's round): only such writes may touch the record types phones only read.
    server: bool = False
    #: True for a workshop participant's phone: the trainer starts the rounds it walks.
    participant: bool = False

    @property
    def writer(self) -> str:
        """Return the identity that orders this actor's writes against other phones'.

        It is the device token, which the server issued, and not the ``device_id`` of
        the request body, which a phone could choose to win every tie. Writes made
        without a token (the demo data, a file a manager brings back) use the device id.
        """
        return f"token:{self.token_id:010d}" if self.token_id is not None else self.device_id


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
        self.answered: dict[str, tuple] = {}

    def prefetch(self, parsed: list[dict]) -> None:
        """Read every change row and record the batch may need, a query per table."""
        ids = [c["change_id"] for c in parsed]
        for chunk in chunks(ids, 500):
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
        for record_type in ("answer", "action_item", "review", "response"):
            self.ws.load(record_type, wanted[record_type])
        # What the answers were, for the difference the batch makes to the tallies.
        self.answered = {i: (r["action"], r["priority"])
                         for i, r in self.ws.rows["answer"].items()}
        for record_type in ("response", "action_item", "review"):
            wanted["assessment"] |= {r["assessment_id"]
                                     for r in self.ws.rows[record_type].values()}
        self.ws.load("assessment", wanted["assessment"])
        self._load_taken_ids(parsed)
        self._count_items(parsed)

    def _load_taken_ids(self, parsed: list[dict]) -> None:
        """Note which ids the batch would create that another type already uses."""
        new = {t: {c["id"] for c in parsed if c["type"] == t
                   and c["id"] not in self.ws.rows[t]} for t in TYPE_ORDER}
        ids = sorted(set().union(*new.values()))
        self.taken: dict[str, str] = {}
        for chunk in chunks(ids, 500):
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
        for chunk in chunks(sorted(rounds), 500):
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
        if rules["read_only"] and not self.actor.server:
            raise Rejected("read_only", f"A {record_type} is written on the server (by the "
                                        "district manager); phones only read it.")
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
                # The phone holds a revision of another history (the server was restored
                # from a backup): send the record back, so it can make the change again
                # on the revision the server has (static/js/outbox.js, rebase).
                self.resend.add((record_type, change["id"]))
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
        # The revision this change leads to: a write made on a revision below it did
        # not see this one (merge.py).
        landed = row["rev"] + 1
        for key, value in fields.items():
            write = merge.Write(order, self.actor.writer, seq, value, change["change_id"],
                                self.at, self.actor.device_id, landed)
            clock[key], outcome = merge.apply_write(clock.get(key), write)
            if outcome == "superseded":
                superseded.append(key)
            row[key] = merge.value_of(clock[key])
        row["clock"] = clock
        row["conflicts"] = merge.all_conflicts(clock)
        row["rev"] = landed
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
        row = dict(blank_row(record_type))
        if rules["parent"] is None:
            facility_id = fields["facility_id"]
            if not self.scope.allows(facility_id):
                raise Rejected("out_of_scope", "This phone may only write to its own facility.")
            if self.actor.participant:
                raise Rejected("trainer_starts_rounds", "In a workshop the trainer starts the "
                                                        "practice rounds: join one of the "
                                                        "trainer's rounds instead.")
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
        modules = fields.get("modules")
        if modules:
            checklist = self.registry.get(row["checklist_id"])
            known = {m["id"] for m in checklist.data["modules"]} if checklist else set()
            unknown = [m for m in modules if m not in known]
            if unknown:
                raise Rejected("unknown_module", f"Module '{unknown[0]}' is not in this "
                                                 "checklist.")
            if len(set(modules)) != len(modules):
                raise Rejected("unknown_module", "A module is named twice in this round.")
        previous_id = fields.get("previous_id")
        if previous_id is not None:
            previous = self.ws.get("assessment", previous_id)
            if previous is None or previous["facility_id"] != row["facility_id"] \
                    or previous_id == row["id"]:
                raise Rejected("not_found", f"There is no earlier assessment {previous_id} "
                                            "in this facility.")

    def write(self) -> None:
        """Flush records, their rounds' tallies and change rows (the history), and
        advance the clock."""
        self.ws.flush()
        changes = tallies.Changes()
        answers = self.ws.rows["answer"]
        for answer_id in self.ws.dirty["answer"]:
            row = answers[answer_id]
            changes.add(row["assessment_id"], row["checkpoint_id"],
                        self.answered.get(answer_id), (row["action"], row["priority"]))
        changes.write()
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
