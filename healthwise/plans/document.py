"""The data a printed action plan shows, already localised by the caller.

The view builds a :class:`PlanDocument` from the database (facility names,
checkpoint texts in the reader's language, dates formatted with Babel) and
hands it to :func:`healthwise.plans.pdf.render_plan`. Only the ``cost`` and
``status`` codes stay codes: the renderer translates them, so every label of
the page comes from one catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["AchievementLine", "ActionItem", "ChartRow", "DiscussLine", "PlanDocument"]

Kind = Literal["baseline", "follow_up"]
Cost = Literal["none", "low", "medium", "high", ""]
# Unknown status codes are printed as they are rather than dropped.
Status = Literal["planned", "in_progress", "done", "dropped", ""]


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One module bar: share of checkpoints where action is proposed (0..1)."""

    title: str
    share: float | None
    previous: float | None = None


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One row of the prioritised action plan.

    ``rank`` is the row's number as printed, 1..n in the order shown; ``overdue``
    says the item is still open and its due date has passed; ``photos`` are the
    bytes (JPEG or WebP) of the item's photos that the server has, drawn small
    beside the action.
    """

    rank: int
    checkpoint_id: str
    checkpoint_text: str
    action: str = ""
    responsible: str = ""
    due: str = ""
    cost: str = ""
    status: str = ""
    overdue: bool = False
    photos: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class AchievementLine:
    """One thing already good: a checkpoint nobody proposes action on."""

    checkpoint_id: str
    text: str


@dataclass(frozen=True, slots=True)
class DiscussLine:
    """A checkpoint participants disagree on, to look at again together."""

    checkpoint_id: str
    text: str
    n_action: int
    n_no: int
    n_na: int


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """Everything the printed plan shows; all text is plain (never markup)."""

    facility: str
    district: str
    round_title: str
    kind: Kind
    date: str
    n_participants: int
    chart: tuple[ChartRow, ...] = ()
    items: tuple[ActionItem, ...] = ()
    achievements: tuple[AchievementLine, ...] = ()
    discuss: tuple[DiscussLine, ...] = ()
    next_review: str = ""
    generated_at: str = ""
    checklist_title: str = field(default="")
