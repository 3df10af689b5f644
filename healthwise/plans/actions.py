"""Action items as a plan lists them: open or closed, overdue, numbered in the order shown.

Pure functions over action items in the pull format (``{"id", "fields": {...}}``):
no Flask, no database. The plan JSON, the PDF and the phone follow these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

__all__ = [
    "OPEN_STATUSES",
    "display_order",
    "is_open",
    "is_overdue",
    "numbered",
    "open_checkpoints",
]

# An action nobody has finished or given up on.
OPEN_STATUSES = frozenset({"planned", "in_progress"})

Item = Mapping[str, Any]


def is_open(fields: Mapping[str, Any]) -> bool:
    """Tell whether an action item is still to be done (planned or in progress).

    :param fields: the item's fields.
    """
    return fields.get("status") in OPEN_STATUSES


def is_overdue(fields: Mapping[str, Any], today: date) -> bool:
    """Tell whether an action item is overdue: still open and its due date has passed.

    Due today is not overdue yet. An item without a due date, or with one that is
    not an ISO date, is never overdue.

    :param fields: the item's fields (``status``, ``due_on`` as ``YYYY-MM-DD``).
    :param today: the reader's today.
    """
    if not is_open(fields):
        return False
    try:
        due = date.fromisoformat(fields.get("due_on") or "")
    except (TypeError, ValueError):
        return False
    return due < today


def display_order(items: Iterable[Item]) -> list[Item]:
    """Order a round's agreed items as the plan shows them: by rank, unranked last.

    The phone sets ``rank``; it may repeat or be missing, so equal ranks keep the
    order given (the order they were created in) and the plan numbers the result
    1..n instead of printing the ranks.

    :param items: this round's action items.
    """
    return sorted(items, key=lambda item: _rank_key(item["fields"].get("rank")))


def _rank_key(rank: object) -> tuple[int, int]:
    """Sort ranked items first, by rank; then the unranked ones."""
    return (0, rank) if isinstance(rank, int) and not isinstance(rank, bool) else (1, 0)


def open_checkpoints(items: Iterable[Item]) -> set[str]:
    """Return the checkpoints that an open action item is about.

    :param items: action items, this round's and those carried forward.
    """
    return {item["fields"]["checkpoint_id"] for item in items
            if is_open(item["fields"]) and item["fields"].get("checkpoint_id")}


def numbered(items: Sequence[Item], carried: Sequence[Item]) -> list[tuple[int, Item]]:
    """Number the plan's lines 1..n: this round's items in display order, then those
    carried forward from the previous round.

    :param items: this round's action items.
    :param carried: the previous round's open items not taken into this one.
    """
    return list(enumerate([*display_order(items), *carried], start=1))
