"""Records the server writes for a signed-in person: a manager's review, a trainer's round.

Such a write is a change like a phone's, pushed through the same rules and history, so
phones pull it with everything else and their cursors stay valid. Its author is a
device of its own, named after the person, whose id is stable for that person.
Services only flush: the view or command that calls this commits.
"""

import uuid

from healthwise.access.service import Scope
from healthwise.assessments.envelope import Rejected
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor
from healthwise.checklists.registry import registry

#: The namespace of the device ids of people who write from the server's pages.
PEOPLE = uuid.UUID("7b0f3f52-2f4e-4c1e-9a3e-6c1d5be0c0a1")


def server_actor(person: str) -> Actor:
    """Return the actor for writes made by ``person`` (an email address) in the pages."""
    return Actor(None, person[:100], str(uuid.uuid5(PEOPLE, person)), server=True)


def write_record(facility_id: int, person: str, record_type: str, record_id: str,
                 fields: dict, base_rev: int | None = None) -> dict:
    """Write one record of a facility as ``person``; return the push result.

    :param facility_id: the facility the record belongs to (the caller checked access).
    :param person: who writes (an email address); it names the change in the history.
    :param record_type: a record type of the sync protocol (``assessment``, ``review``…).
    :param record_id: the record's id (a new UUID to create one).
    :param fields: the fields to write, as a phone would send them.
    :param base_rev: the revision the person saw (None for a new record).
    :raises Rejected: if the rules refuse the change (the result's error says why).
    """
    change = {"change_id": str(uuid.uuid4()), "type": record_type, "id": record_id,
              "base_rev": base_rev, "fields": fields}
    (result,) = push(Scope(frozenset({facility_id})), server_actor(person), [change],
                     registry()).results
    if result["status"] == "rejected":
        raise Rejected(result["error"]["code"], result["error"]["message"])
    return result
