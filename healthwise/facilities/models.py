"""The hub every feature points at: districts, their facilities, and workshops.

A facility belongs to a district, or, as a workshop's practice facility, to no
district: participants practise the real walk-through on it, and it appears in no
district's lists, summaries or counts. Tokens, enrolment codes, workshops and every
record of a round point at a facility.

The workshop's table lives here, beside the districts, because it is the other way a
facility is reached (a trainer reaches the practice facilities of their workshops);
the rules of who reaches what (:mod:`healthwise.access.service`) read only this room.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.extensions import db
from healthwise.timeutil import utcnow

if TYPE_CHECKING:  # pragma: no cover - the relationship is resolved by name
    from healthwise.auth.models import User

#: The types of a district facility, as stored; pages show them translated
#: (:func:`healthwise.facilities.messages.kind_labels`).
KINDS = ("hospital", "health centre", "clinic", "dispensary", "other")
#: The longest code and external id (a DHIS2 uid is 11 characters, a code often more).
CODE_LENGTH = 50
#: The longest district or facility name.
NAME_LENGTH = 200


class District(db.Model):
    """A district: the facilities one manager (or several) looks after."""

    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("code", name="uq_districts_code"),
                      UniqueConstraint("external_id", name="uq_districts_external_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # A code of the ministry's registry (a DHIS2 code), unique; None if there is none.
    code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    # The DHIS2 organisation unit uid: what makes a re-import find the same district.
    external_id: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    facilities: Mapped[list["Facility"]] = relationship(back_populates="district")


class Facility(db.Model):
    """A clinic, health centre or hospital; or a workshop's practice facility."""

    __tablename__ = "facilities"
    # A code is unique in its district: two registries may number their facilities alike.
    __table_args__ = (UniqueConstraint("district_id", "code", name="uq_facilities_district_code"),
                      UniqueConstraint("external_id", name="uq_facilities_external_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # None only for a workshop's practice facility.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # One of KINDS for a district facility; "workshop" for a practice facility.
    kind: Mapped[str] = mapped_column(String(50), default="health centre")
    code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    # The DHIS2 organisation unit uid, unique: what makes a re-import find the same facility.
    external_id: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship(back_populates="facilities")


class Workshop(db.Model):
    """A training session run by one trainer, with its own practice facility.

    Participants join with a join code (an enrolment code of the practice facility),
    so a participant's token reaches nothing else, and a workshop's records never
    reach a district's lists, summaries or counts.
    """

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Closed by its trainer (before or after its last day): its phones and join codes stop.
    closed_at: Mapped[datetime | None]
    # When its practice facility was last reset for a new group: certificates name the
    # phones that joined since.
    reset_at: Mapped[datetime | None]

    trainer: Mapped["User"] = relationship("User")
    facility: Mapped[Facility] = relationship()

    def over(self, today: date) -> bool:
        """Return True once the workshop is closed or its last day has passed."""
        return self.closed_at is not None or today > self.ends_on

    def status(self, today: date) -> str:
        """Return ``upcoming``, ``running``, ``ended`` (its last day has passed) or ``closed``."""
        if self.closed_at is not None:
            return "closed"
        if today > self.ends_on:
            return "ended"
        return "upcoming" if today < self.starts_on else "running"
