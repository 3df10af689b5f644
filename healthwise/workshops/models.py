"""Trainers' workshops: a trainer, a name, dates, and a practice facility of its own.

Participants join a workshop with a join code (an enrolment code of its practice
facility) and practise the real walk-through there. The practice facility belongs
to no district, so a workshop's records never reach a district's lists,
summaries or counts, and a participant's token reaches nothing else.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.auth.models import User
from healthwise.districts.models import Facility
from healthwise.extensions import db
from healthwise.timeutil import utcnow


class Workshop(db.Model):
    """A training session run by one trainer, with its own practice facility."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainer: Mapped[User] = relationship()
    facility: Mapped[Facility] = relationship()

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "starts_on": self.starts_on.isoformat(),
                "ends_on": self.ends_on.isoformat()}
