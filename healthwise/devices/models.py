"""Devices: the tokens phones and scripts hold, and the enrolment codes phones redeem.

Phones have no passwords: they redeem an enrolment code for a device token. A
manager's or an admin's API token is a device token too, of a person.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.auth.models import User
from healthwise.extensions import db
from healthwise.facilities.models import Facility
from healthwise.timeutil import utcnow


class DeviceToken(db.Model):
    """A bearer token held by one phone or script; only its SHA-256 hash is stored.

    A token belongs to a facility (a committee phone; for a workshop's practice
    facility, a workshop participant's phone) or to a user (a district manager's
    token, whose scope is every facility of their districts).
    """

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The phone ids (``device_id`` of sync requests) this token has synced from.
    device_ids: Mapped[list] = mapped_column(JSON, default=list)

    facility: Mapped[Facility | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class EnrolmentCode(db.Model):
    """A short code a phone redeems for a facility token: expires, limited uses.

    A workshop's join code is an enrolment code of its practice facility. Its text is
    kept readable (``code``) so that the trainer's projector can show it again for late
    arrivals; a district facility's code is kept as a hash only (docs/security.md).
    """

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    expires_at: Mapped[datetime]
    uses_left: Mapped[int]
    # The code as shown ("K7PQ-4QXM"): workshop join codes only, None for the others.
    code: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.uses_left > 0 and self.expires_at > now
