"""Synced records (assessment, response, answer, action_item, review), their changes and history.

Every record carries the same sync columns (:class:`RecordMixin`): ``rev`` (bumped by
each accepted change), ``seq`` (the global sync clock value of its last change: pull
cursors count in it), ``clock`` (per field, the writes that compete for it; see
``merge.py``) and ``conflicts`` (open conflicts derived from ``clock``).
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from healthwise.extensions import db
from healthwise.timeutil import utcnow


class RecordMixin:
    """Columns every synced record has."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    rev: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(Integer)
    clock: Mapped[dict] = mapped_column(JSON, default=dict)
    conflicts: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr.directive
    def __table_args__(cls):
        return (Index(f"ix_{cls.__tablename__}_facility_seq", "facility_id", "seq"),)


class Assessment(RecordMixin, db.Model):
    __tablename__ = "assessments"

    checklist_id: Mapped[str] = mapped_column(String(50))
    checklist_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="baseline")
    previous_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="open")
    started_on: Mapped[str | None] = mapped_column(String(10))
    #: The checklist modules the round walks (a trainer's workshop round); None or [] = all.
    modules: Mapped[list | None] = mapped_column(JSON)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class Response(RecordMixin, db.Model):
    __tablename__ = "responses"

    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    participant: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)


class Answer(RecordMixin, db.Model):
    __tablename__ = "answers"

    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id"), index=True)
    # Denormalised from the response so a plan reads one table.
    assessment_id: Mapped[str] = mapped_column(String(36), index=True)
    checkpoint_id: Mapped[str] = mapped_column(String(20))
    action: Mapped[str | None] = mapped_column(String(3))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str] = mapped_column(Text, default="")
    #: sha-256 names of the photos (healthwise.photos); None for an answer that never had one.
    photos: Mapped[list | None] = mapped_column(JSON)


class ActionItem(RecordMixin, db.Model):
    __tablename__ = "action_items"

    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    checkpoint_id: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[str | None] = mapped_column(String(10))
    cost: Mapped[str] = mapped_column(String(10), default="low")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    progress_note: Mapped[str] = mapped_column(Text, default="")
    rank: Mapped[int | None] = mapped_column(Integer)
    #: sha-256 names of the photos (healthwise.photos); None for an item that never had one.
    photos: Mapped[list | None] = mapped_column(JSON)


class Review(RecordMixin, db.Model):
    """A district manager's comment on a round's plan, and whether it is reviewed.

    Written only from the server's pages (phones only read it); one per round, its id
    made from the round's (:func:`healthwise.assessments.service.review_id`).
    """

    __tablename__ = "reviews"

    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown to the committee: the manager's email address (users have no other name).
    reviewer: Mapped[str] = mapped_column(String(254), default="")
    reviewed_on: Mapped[str | None] = mapped_column(String(10))


RECORD_MODELS: dict[str, type[RecordMixin]] = {
    "assessment": Assessment,
    "response": Response,
    "answer": Answer,
    "action_item": ActionItem,
    "review": Review,
}


class RoundTally(db.Model):
    """A round's answers counted by checkpoint, kept up to date by every write.

    What the district overview reads instead of the answers themselves: one row per
    round, however many people answered. ``tallies.py`` keeps it; ``healthwise districts
    recount`` rebuilds it from the answers.
    """

    __tablename__ = "round_tallies"

    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    #: The round's answer records, whatever their action (a cleared answer still counts).
    answers: Mapped[int] = mapped_column(Integer, default=0)
    #: Checkpoint id -> ``[answered, action, priority, in_place]`` (no zero entries), as
    #: :func:`healthwise.districts.disclosure.disclose_counts` reads them.
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class Change(db.Model):
    """Every accepted change, append-only: the history of every value, who sent it and when.

    Keyed by the phone-made ``change_id``, which is what makes resending harmless.
    Values that lost a merge stay here too.
    """

    __tablename__ = "changes"

    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    device_id: Mapped[str] = mapped_column(String(36))
    token_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100), default="")
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    fields: Mapped[dict] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    rev: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncClock(db.Model):
    """One row: the last sync clock value. Updating it first serialises writers."""

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
