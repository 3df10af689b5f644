"""Push: apply a phone's batch of changes in one transaction and report each result.

Services only flush: the view commits once.
"""

from typing import NamedTuple

from healthwise.access.service import Scope
from healthwise.assessments.envelope import Rejected, check_change_ids, digest, parse
from healthwise.assessments.rules import Actor, Batch
from healthwise.assessments.store import lock_clock, read_clock
from healthwise.timeutil import utcnow


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
            change = parse(raw)
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
