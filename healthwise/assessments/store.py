"""The bulk store: the sync clock, and the records a batch touches, read and written in bulk.

One ``SELECT ... IN`` per table and one ``executemany`` per table, because a phone sends
a whole response (~70 answers) at a time and a workshop sends a hundred at once.
"""

from functools import lru_cache

from sqlalchemy import bindparam, insert, select, update

from healthwise.assessments.models import RECORD_MODELS, SyncClock
from healthwise.database import hold_writer_gate
from healthwise.extensions import db

#: The order records are applied and pulled in: parents before children.
TYPE_ORDER = ("assessment", "response", "answer", "action_item", "review")


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


def read_clock() -> int:
    """Return the sync clock without locking it."""
    table = SyncClock.__table__
    return db.session.scalar(select(table.c.value).where(table.c.id == 1)) or 0


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
        for chunk in chunks(sorted(wanted), 500):
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
def blank_row(record_type: str) -> dict:
    """Return a new record's columns with their defaults (copy before use)."""
    row = {}
    for column in RECORD_MODELS[record_type].__table__.columns:
        default = column.default
        row[column.name] = default.arg if default is not None and not callable(default.arg) \
            else None
    return row


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
