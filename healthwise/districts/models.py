"""Districts and the facilities in them.

A facility without a district is a workshop's practice facility
(:class:`healthwise.workshops.models.Workshop`): participants practise the real
walk-through on it, and it appears in no district's lists, summaries or counts.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.extensions import db
from healthwise.timeutil import utcnow


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facilities: Mapped[list["Facility"]] = relationship(back_populates="district")

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name}


class Facility(db.Model):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None only for a workshop's practice facility.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50), default="health centre")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District | None] = relationship(back_populates="facilities")

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "district": self.district.to_dict() if self.district is not None else None}
