"""Device tokens and enrolment codes (phones have no passwords)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.districts.models import Facility
from healthwise.extensions import db
from healthwise.timeutil import utcnow


class DeviceToken(db.Model):
    """A bearer token held by one phone; only its SHA-256 hash is stored."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    facility: Mapped[Facility | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class EnrolmentCode(db.Model):
    """A short code a phone redeems for a facility token: expires, limited uses."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    expires_at: Mapped[datetime]
    uses_left: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship()
