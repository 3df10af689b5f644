"""Demo data: one district, three facilities, a finished baseline round with a plan.

Written through the sync service, as a phone would, so the demo records have the
same history and clocks as real ones.
"""

import random
import uuid

from sqlalchemy import func, select

from healthwise.access.service import Scope
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility

FACILITIES = ("Riverside Health Centre", "Hilltop District Hospital", "Market Street Clinic")
KINDS = ("health centre", "hospital", "clinic")
PARTICIPANTS = (("Amina", "nurse"), ("Joseph", "clinical officer"), ("Grace", "cleaner"),
                ("", "midwife"), ("Samuel", "facility manager"))
PLAN = (
    ("IC-02", "Put a sharps box within reach in every treatment room", "Ward sister", "low"),
    ("IC-04", "Post the PEP procedure and phone number in every ward", "Infection focal person",
     "low"),
    ("VH-04", "Agree a buddy system for night shifts in the emergency room", "Nurse in charge",
     "low"),
    ("WT-01", "Publish the roster two weeks ahead on the staff notice board", "Matron", "none"),
    ("ER-01", "Buy two slide sheets for the maternity ward", "Facility manager", "medium"),
)


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def is_loaded() -> bool:
    """Return True if the database already has a district (demo or real)."""
    return (db.session.scalar(select(func.count()).select_from(District)) or 0) > 0


def load(registry) -> dict:
    """Create the demo data; return the ids a person needs to look at it.

    :param registry: the checklist registry (the demo round uses its first checklist).
    """
    rng = random.Random(2026)
    district = District(name="Demo District")
    db.session.add(district)
    facilities = [Facility(name=name, kind=kind, district=district)
                  for name, kind in zip(FACILITIES, KINDS, strict=True)]
    db.session.add_all(facilities)
    db.session.flush()
    checklist = next(iter(registry))
    facility = facilities[0]
    scope = Scope(frozenset({facility.id}))
    actor = Actor(None, "demo", _uid(rng))
    assessment_id = _uid(rng)
    changes = [_change(rng, "assessment", assessment_id, {
        "facility_id": facility.id, "checklist_id": checklist.id,
        "checklist_version": checklist.version, "title": "Baseline walk-through",
        "kind": "baseline", "status": "agreed", "started_on": "2026-09-14"})]
    for name, role in PARTICIPANTS:
        response_id = _uid(rng)
        changes.append(_change(rng, "response", response_id, {
            "assessment_id": assessment_id, "participant": name, "role": role,
            "completed": True}))
        for checkpoint_id in checklist.checkpoints:
            action = rng.choices(["yes", "no", "na"], weights=[4, 5, 1])[0]
            changes.append(_change(rng, "answer", _uid(rng), {
                "response_id": response_id, "checkpoint_id": checkpoint_id, "action": action,
                "priority": action == "yes" and rng.random() < 0.4, "remark": ""}))
    for rank, (checkpoint_id, action, responsible, cost) in enumerate(PLAN, start=1):
        if checklist.knows(checkpoint_id):
            changes.append(_change(rng, "action_item", _uid(rng), {
                "assessment_id": assessment_id, "checkpoint_id": checkpoint_id,
                "action": action, "responsible": responsible, "due_on": "2026-12-15",
                "cost": cost, "status": "in_progress" if rank == 1 else "planned",
                "rank": rank}))
    results, *_ = push(scope, actor, changes, registry)
    rejected = [r for r in results if r["status"] == "rejected"]
    if rejected:
        raise RuntimeError(f"demo data rejected: {rejected[:3]}")
    return {"district_id": district.id, "facility_ids": [f.id for f in facilities],
            "assessment_id": assessment_id}


def _change(rng: random.Random, record_type: str, record_id: str, fields: dict) -> dict:
    return {"change_id": _uid(rng), "type": record_type, "id": record_id, "base_rev": None,
            "fields": fields}
