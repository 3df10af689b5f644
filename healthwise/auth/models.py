"""People and devices: users with roles, their sign-in sessions, device tokens, enrolment codes.

Phones have no passwords: they redeem an enrolment code for a device token.
People (admins, district managers, trainers) sign in to the web pages with a
password; their sessions live in the database so that signing out ends them
at once.
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthwise.districts.models import District, Facility
from healthwise.extensions import db
from healthwise.timeutil import utcnow


class Role(enum.StrEnum):
    """What a person may do: an admin everything, a manager their districts, a trainer
    their workshops."""

    ADMIN = "admin"
    MANAGER = "manager"
    TRAINER = "trainer"


user_districts = Table(
    "user_districts",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A person with a password: admin, district manager or trainer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    districts: Mapped[list[District]] = relationship(secondary=user_districts,
                                                     order_by=District.name)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class UserSession(db.Model):
    """A signed-in browser; the cookie holds a random id, the database only its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


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

    A workshop's join code is an enrolment code of its practice facility.
    """

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    expires_at: Mapped[datetime]
    uses_left: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facility: Mapped[Facility] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.uses_left > 0 and self.expires_at > now
