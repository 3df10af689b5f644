"""Workshop groups: participants split into groups, each walking its own practice round."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from healthwise.extensions import db
from healthwise.timeutil import utcnow


class WorkshopGroup(db.Model):
    """A group of a workshop's participants, named by the trainer.

    Its phones are device tokens of the workshop's practice facility (``token_ids``: a
    phone is in one group at most); its round, once the trainer starts it, is an
    assessment of that facility.
    """

    __tablename__ = "workshop_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_ids: Mapped[list] = mapped_column(JSON, default=list)
    assessment_id: Mapped[str | None] = mapped_column(String(36))
    #: What the group walks (a ward, or the facility it stands for) and its modules: the
    #: title and modules of its round, kept for a workshop set up from this one.
    walks: Mapped[str | None] = mapped_column(String(200))
    modules: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
