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

For each field the clock keeps only the writes of the highest ``order`` seen, the
latest one per writer, and at most :data:`MAX_WRITERS` of them (the greatest
writers, so the winner is always kept and the choice depends on the set of writes
only): ``{"o": order, "w": {writer: [seq, value, change_id, at, device_id]}}``.
The field's value is the winner's; every other writer's write there whose value
differs is an **open conflict** ("to discuss"). A later change made on the current
revision has a higher order, so it wins and clears the conflicts: that is how users
resolve them. A write of a lower order than the clock's is superseded: it changes
nothing but stays in the history. The state is a function of the set of writes, not
of their arrival order, which is what the property tests check.
"""

from typing import NamedTuple

#: Writes one field keeps at one order: the winner and at most this many minus one open
#: conflicts. More phones than that disagreeing on one field is abuse, not a meeting; the
#: values left out stay in the history.
MAX_WRITERS = 10


class Write(NamedTuple):
    """One field write with its ordering key (a tuple: a batch makes hundreds)."""

    order: int
    writer: str
    seq: int
    value: object
    change_id: str
    at: str
    device_id: str


def apply_write(entry: dict | None, write: Write) -> tuple[dict | None, str]:
    """Return the field's clock entry after ``write``, and what happened to the write.

    :param entry: the field's current clock entry, or None if never written.
    :param write: the incoming write.
    :returns: ``(new_entry, outcome)``, outcome one of ``new`` (a newer order: it
        replaces everything), ``joined`` (same order: it competes),
        ``superseded`` (older order, or older than this device's own write).
    """
    record = [write.seq, write.value, write.change_id, write.at, write.device_id]
    if entry is None or write.order > entry["o"]:
        return {"o": write.order, "w": {write.writer: record}}, "new"
    if write.order < entry["o"]:
        return entry, "superseded"
    current = entry["w"].get(write.writer)
    if current is not None and current[0] >= write.seq:
        return entry, "superseded"
    writes = {**entry["w"], write.writer: record}
    if len(writes) > MAX_WRITERS:
        del writes[min(writes)]
        if write.writer not in writes:
            return entry, "superseded"
    return {"o": entry["o"], "w": writes}, "joined"


def winner(entry: dict) -> tuple[str, list]:
    """Return ``(writer, [seq, value, change_id, at, device_id])`` of the winning write."""
    writer = max(entry["w"])
    return writer, entry["w"][writer]


def _device(writer: str, record: list) -> str:
    # Clocks written before writers were tokens keyed their writes by device id.
    return record[4] if len(record) > 4 else writer


def value_of(entry: dict):
    """Return the field value the clock entry decides."""
    return winner(entry)[1][1]


def open_conflicts(field: str, entry: dict) -> list[dict]:
    """Return the losing writes whose value differs from the winner's, by writer."""
    if len(entry["w"]) == 1:  # the common case: one phone wrote this field
        return []
    win_writer, win = winner(entry)
    return [
        {"field": field, "value": w[1], "device_id": _device(writer, w), "change_id": w[2],
         "at": w[3]}
        for writer, w in sorted(entry["w"].items())
        if writer != win_writer and w[1] != win[1]
    ]


def all_conflicts(clock: dict) -> list[dict]:
    """Return the open conflicts of a whole record, ordered by field then device."""
    found: list[dict] = []
    for field in sorted(clock):
        found.extend(open_conflicts(field, clock[field]))
    return found


def involved(clock: dict, fields, writer: str) -> bool:
    """Return True if ``writer`` takes part in an open conflict on any of ``fields``."""
    for field in fields:
        entry = clock.get(field)
        if not entry or len(entry["w"]) == 1:
            continue
        win_writer, win = winner(entry)
        mine = entry["w"].get(writer)
        if mine is None:
            continue
        if writer == win_writer:
            if any(w[1] != win[1] for other, w in entry["w"].items() if other != writer):
                return True
        elif mine[1] != win[1]:
            return True
    return False
