"""Merge of field writes from many phones: pure functions, no Flask, no database.

Each field of a record is a register. A write to it carries an ordering key
``(order, writer, seq)``:

- ``order`` is ``base_rev + 1``: the revision the phone had seen, plus one (1 for a
  record the phone created). A change made on newer state beats one made on older
  state. The server refuses a ``base_rev`` above the record's revision, so no phone
  can order its write ahead of honest ones.
- ``writer`` breaks ties between phones that wrote on the same state: the greater
  one wins, whatever arrives first. It is an identity the server knows (the device
  token, see ``service.Actor.writer``), never one the request may choose freely.
- ``seq`` is the server's arrival counter; a phone sends its changes in the order it
  made them, so among one writer's writes it is that phone's own order: its later
  edit beats its earlier one.

The greatest write wins the field. Whether a losing write is an **open conflict**
("to discuss") depends on what each phone had seen, which the order alone does not
tell: a phone that pulled revision 5 did not see a write made on revision 3 that
landed after 5. So each write also carries ``landed``, the record's revision after
the change that carried it, and:

- write ``W`` **saw** write ``V`` if ``V.landed <= W.order - 1`` (``V`` had landed
  by the revision ``W`` was made on), or if ``V`` is the same writer's earlier write;
- two writes of different writers are **concurrent** if neither saw the other.

Every other writer's latest write that is concurrent with the winner and whose value
differs is an open conflict; a write the winner saw is settled. A later change made on
the current revision saw every write, so it wins and clears the conflicts: that is how
users resolve them. A write of an older order that lands after the winner loses (it
is ``superseded``) and, as its phone never saw the winner, it is an open conflict too.

For each field the clock keeps the winner and the latest write of each other writer
that the winner did not see: ``{"o": the winner's order, "w": {writer: [seq, value,
change_id, at, device_id, landed, order]}}``, at most :data:`MAX_WRITERS` of them (the
greatest in the register's order, so the winner is always kept). Clocks written before
``landed`` was kept have records of four or five elements, all at order ``"o"``; a
missing ``landed`` reads as the write's order, the earliest it can have landed, so
any write of a later order saw it, as the rule was then. Which writes are kept depends
only on the writes and on what each phone had seen, not on the order they arrive in,
as long as no more than :data:`MAX_WRITERS` writers compete for one field (past that the
lesser ones stay in the history only): that is what the property tests check.
"""

from typing import NamedTuple

#: Writes one field keeps: the winner and at most this many minus one open conflicts. More
#: phones than that disagreeing on one field is abuse, not a meeting; the values left out
#: stay in the history.
MAX_WRITERS = 10

# Positions in a kept write's record.
_SEQ, _VALUE, _CHANGE_ID, _AT, _DEVICE, _LANDED, _ORDER = range(7)


class Write(NamedTuple):
    """One field write with its ordering key (a tuple: a batch makes hundreds)."""

    order: int
    writer: str
    seq: int
    value: object
    change_id: str
    at: str
    device_id: str
    #: The record's revision after the change that carried this write; None reads as
    #: ``order``, the earliest it can be (as for clocks kept before it was recorded).
    landed: int | None = None


def _order(record: list, top: int) -> int:
    return record[_ORDER] if len(record) > _ORDER else top


def _landed(record: list, top: int) -> int:
    return record[_LANDED] if len(record) > _LANDED else top


def _full(writer: str, record: list, top: int) -> list:
    """Return ``record`` with its device, landed revision and order written out."""
    if len(record) > _ORDER:
        return record
    device = record[_DEVICE] if len(record) > _DEVICE else writer
    return [*record[:_DEVICE], device, top, top]


def _key(writer: str, record: list, top: int) -> tuple:
    """The register's order: newer state first, then the greater writer, then seq."""
    return _order(record, top), writer, record[_SEQ]


def apply_write(entry: dict | None, write: Write) -> tuple[dict | None, str]:
    """Return the field's clock entry after ``write``, and what happened to the write.

    :param entry: the field's current clock entry, or None if never written.
    :param write: the incoming write.
    :returns: ``(new_entry, outcome)``, outcome one of ``new`` (it wins, made on newer
        state than the previous winner), ``joined`` (made on the same state as the
        winner: it wins or competes), ``superseded`` (made on older state than the
        winner, or older than this writer's own kept write; it is kept as an open
        conflict if the winner did not see it and the values differ).
    """
    landed = write.order if write.landed is None else write.landed
    record = [write.seq, write.value, write.change_id, write.at, write.device_id, landed,
              write.order]
    if entry is None:
        return {"o": write.order, "w": {write.writer: record}}, "new"
    top = entry["o"]
    if write.order > top and len(entry["w"]) == 1:  # the common edit: one write, now seen
        (name, only), = entry["w"].items()
        if name == write.writer or _landed(only, top) < write.order:
            return {"o": write.order, "w": {write.writer: record}}, "new"
    current = entry["w"].get(write.writer)
    if current is not None and (_order(current, top), current[_SEQ]) >= (write.order,
                                                                         write.seq):
        return entry, "superseded"
    writes = {name: _full(name, r, top) for name, r in entry["w"].items()}
    writes[write.writer] = record
    first = max(writes, key=lambda name: _key(name, writes[name], top))
    order = writes[first][_ORDER]
    # What the winner saw is settled: only what landed after its base revision stays.
    kept = {name: r for name, r in writes.items() if name == first or r[_LANDED] >= order}
    if len(kept) > MAX_WRITERS:
        greatest = sorted(kept, key=lambda name: _key(name, kept[name], top))[-MAX_WRITERS:]
        if write.writer not in greatest:
            return entry, "superseded"
        kept = {name: kept[name] for name in greatest}
    new_entry = {"o": order, "w": kept}
    if write.writer not in kept or write.order < top:
        return new_entry, "superseded"
    return new_entry, "new" if write.order > top else "joined"


def winner(entry: dict) -> tuple[str, list]:
    """Return ``(writer, [seq, value, change_id, at, device_id, ...])`` of the winning write."""
    writes, top = entry["w"], entry["o"]
    if len(writes) == 1:
        return next(iter(writes.items()))
    first = max(writes, key=lambda name: _key(name, writes[name], top))
    return first, writes[first]


def _rivals(entry: dict) -> list[tuple[str, list]]:
    """Return ``(writer, record)`` of the open conflicts of a field, by writer."""
    writes, top = entry["w"], entry["o"]
    if len(writes) == 1:  # the common case: one phone wrote this field
        return []
    first, win = winner(entry)
    base = _order(win, top) - 1
    return [(name, w) for name, w in sorted(writes.items())
            if name != first and w[_VALUE] != win[_VALUE] and _landed(w, top) > base]


def _device(writer: str, record: list) -> str:
    # Clocks written before writers were tokens keyed their writes by device id.
    return record[_DEVICE] if len(record) > _DEVICE else writer


def value_of(entry: dict):
    """Return the field value the clock entry decides."""
    return winner(entry)[1][_VALUE]


def open_conflicts(field: str, entry: dict) -> list[dict]:
    """Return the writes the winner did not see whose value differs from its own, by writer."""
    return [
        {"field": field, "value": w[_VALUE], "device_id": _device(writer, w),
         "change_id": w[_CHANGE_ID], "at": w[_AT]}
        for writer, w in _rivals(entry)
    ]


def all_conflicts(clock: dict) -> list[dict]:
    """Return the open conflicts of a whole record, ordered by field then device."""
    found: list[dict] = []
    for field in sorted(clock):
        if len(clock[field]["w"]) > 1:
            found.extend(open_conflicts(field, clock[field]))
    return found


def involved(clock: dict, fields, writer: str) -> bool:
    """Return True if ``writer`` takes part in an open conflict on any of ``fields``."""
    for field in fields:
        entry = clock.get(field)
        if not entry or len(entry["w"]) == 1 or writer not in entry["w"]:
            continue
        rivals = _rivals(entry)
        if rivals and (writer == winner(entry)[0] or any(name == writer for name, _ in rivals)):
            return True
    return False
