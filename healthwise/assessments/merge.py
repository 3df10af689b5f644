"""Merge of field writes from many phones: pure functions, no Flask, no database.

Each field of a record is a register. A write to it carries an ordering key
``(order, device_id, seq)``:

- ``order`` is ``base_rev + 1``: the revision the phone had seen, plus one (1 for a
  record the phone created). A change made on newer state beats one made on older
  state.
- ``device_id`` breaks ties between phones that wrote on the same state: the
  greater id wins, whatever arrives first.
- ``seq`` is the server's arrival counter; a phone sends its changes in the order it
  made them, so among one phone's writes it is that phone's own order: its later
  edit beats its earlier one.

For each field the clock keeps only the writes of the highest ``order`` seen, the
latest one per device: ``{"o": order, "w": {device_id: [seq, value, change_id, at]}}``.
The field's value is the winner's; every other device's write there whose value
differs is an **open conflict** ("to discuss"). A later change made on the current
revision has a higher order, so it wins and clears the conflicts: that is how users
resolve them. A write of a lower order than the clock's is superseded: it changes
nothing but stays in the history. The state is a function of the set of writes, not
of their arrival order, which is what the property tests check.
"""

from typing import NamedTuple


class Write(NamedTuple):
    """One field write with its ordering key (a tuple: a batch makes hundreds)."""

    order: int
    device_id: str
    seq: int
    value: object
    change_id: str
    at: str


def apply_write(entry: dict | None, write: Write) -> tuple[dict | None, str]:
    """Return the field's clock entry after ``write``, and what happened to the write.

    :param entry: the field's current clock entry, or None if never written.
    :param write: the incoming write.
    :returns: ``(new_entry, outcome)``, outcome one of ``new`` (a newer order: it
        replaces everything), ``joined`` (same order: it competes),
        ``superseded`` (older order, or older than this device's own write).
    """
    record = [write.seq, write.value, write.change_id, write.at]
    if entry is None or write.order > entry["o"]:
        return {"o": write.order, "w": {write.device_id: record}}, "new"
    if write.order < entry["o"]:
        return entry, "superseded"
    current = entry["w"].get(write.device_id)
    if current is not None and current[0] >= write.seq:
        return entry, "superseded"
    return {"o": entry["o"], "w": {**entry["w"], write.device_id: record}}, "joined"


def winner(entry: dict) -> tuple[str, list]:
    """Return ``(device_id, [seq, value, change_id, at])`` of the winning write."""
    device_id = max(entry["w"])
    return device_id, entry["w"][device_id]


def value_of(entry: dict):
    """Return the field value the clock entry decides."""
    return winner(entry)[1][1]


def open_conflicts(field: str, entry: dict) -> list[dict]:
    """Return the losing writes whose value differs from the winner's, by device id."""
    if len(entry["w"]) == 1:  # the common case: one phone wrote this field
        return []
    win_device, win = winner(entry)
    return [
        {"field": field, "value": w[1], "device_id": device, "change_id": w[2], "at": w[3]}
        for device, w in sorted(entry["w"].items())
        if device != win_device and w[1] != win[1]
    ]


def all_conflicts(clock: dict) -> list[dict]:
    """Return the open conflicts of a whole record, ordered by field then device."""
    found: list[dict] = []
    for field in sorted(clock):
        found.extend(open_conflicts(field, clock[field]))
    return found


def involved(clock: dict, fields, device_id: str) -> bool:
    """Return True if ``device_id`` takes part in an open conflict on any of ``fields``."""
    for field in fields:
        entry = clock.get(field)
        if not entry:
            continue
        conflicts = open_conflicts(field, entry)
        if conflicts and (
            winner(entry)[0] == device_id or any(c["device_id"] == device_id for c in conflicts)
        ):
            return True
    return False
