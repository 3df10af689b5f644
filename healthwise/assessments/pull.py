"""Pull: the records in a token's scope changed after a cursor, a page at a time.

Cursors (``<seq>.<check>``, see :data:`healthwise.assessments.schemas.CURSOR`) are
checked against the history, so a cursor from another history (a restored backup, a
rebuilt server) is refused instead of skipping changes.
"""

from sqlalchemy import select

from healthwise.access.service import Scope
from healthwise.assessments.envelope import wire_fields
from healthwise.assessments.models import RECORD_MODELS, Change
from healthwise.assessments.push import Pushed
from healthwise.assessments.schemas import CURSOR, MAX_INT
from healthwise.assessments.store import TYPE_ORDER, chunks
from healthwise.errors import Invalid
from healthwise.extensions import db


class BadCursor(Invalid):
    """A pull cursor this server never issued (a restored backup, another server)."""

    code = "bad_cursor"

    def __init__(self, cursor: str):
        super().__init__("This server never issued that cursor (it may have been restored "
                         "from a backup): sync again from the start, with cursor null.")
        self.cursor = cursor


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
        for chunk in chunks(ids, 500):
            rows = db.session.execute(
                select(*columns).where(table.c.id.in_(chunk),
                                       table.c.facility_id.in_(sorted(scope.facility_ids)))
            ).mappings()
            found.extend(record_to_wire(record_type, row) for row in rows)
    return found
