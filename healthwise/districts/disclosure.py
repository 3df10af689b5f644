"""What may leave facility level: the one gate for every figure shown above it.

Answers on violence, harassment and HIV can hurt the person who gave them. Above
facility level (managers' and admins' pages, their API, district reports and exports)
nothing carries a participant's name or one person's answer, and a *sensitive*
checkpoint counts only where at least :data:`MIN_GROUP` participants answered it.

:func:`disclose` is that rule. It takes a round's responses and keeps only counts per
checkpoint: no names, roles or remarks, and no per-person rows (the figures are worked
out from the counts, so nothing it returns can be traced back to one answer sheet).
A sensitive checkpoint answered by fewer than :data:`MIN_GROUP` people is left out of
everything, shares, rankings and achievements included, as if nobody had answered it;
only the fact that it is hidden remains. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from healthwise.plans import priority

__all__ = ["MIN_GROUP", "Count", "Disclosure", "SensitiveCount", "disclose", "disclose_counts",
           "disclosed"]

#: The smallest group whose answers to a sensitive checkpoint may be counted above
#: facility level: below it, a manager who knows who took part could tell how one
#: person answered.
MIN_GROUP = 5
ANSWERED = ("yes", "no", "na")


def disclosed(count: int, group: int, minimum: int = MIN_GROUP) -> int | None:
    """Return a count of answers to a sensitive checkpoint if it may be shown, else None.

    :param count: how many participants gave the answer being counted.
    :param group: how many participants answered the checkpoint at all.
    :param minimum: the smallest group whose counts may be shown.
    """
    return count if group >= minimum else None


class Count(NamedTuple):
    """How many participants answered one checkpoint, and how.

    A named tuple, not a dataclass: a district page makes tens of thousands of them,
    and a tuple is made three times faster.
    """

    answered: int  # yes, no or n/a
    action: int  # yes: propose action
    priority: int  # propose action and mark it a priority
    in_place: int  # no: no action needed


@dataclass(frozen=True, slots=True)
class SensitiveCount:
    """Answers to one sensitive checkpoint; both None when the group is too small."""

    checkpoint_id: str
    action: int | None
    answered: int | None

    @property
    def hidden(self) -> bool:
        """Tell whether the counts are withheld (fewer than :data:`MIN_GROUP` answers)."""
        return self.answered is None


@dataclass(frozen=True)
class Disclosure:
    """What may be shown of one round above facility level: counts, never answer sheets."""

    checklist: Mapping[str, Any] = field(repr=False, compare=False)
    participants: int
    # By checkpoint id, for the checkpoints of the checklist (not withdrawn) that someone
    # answered; withheld checkpoints are absent.
    counts: Mapping[str, Count]
    withheld: frozenset[str]  # sensitive checkpoints with fewer than MIN_GROUP answers
    sensitive: tuple[SensitiveCount, ...]

    @cached_property
    def modules(self) -> tuple[priority.ModuleShare, ...]:
        """Return each module's share of answered checkpoints needing action.

        Worked out from the counts with the ranking's rule (what
        :func:`healthwise.plans.priority.module_shares` gives for the same answers),
        without rebuilding sheets: a district page shows one per facility.
        """
        shares, counts, needs_action = [], self.counts, priority.needs_action
        for module, checkpoints in _layout(self.checklist):
            answered = [counts[c] for c, _ in checkpoints if c in counts]
            n_action = sum([needs_action(c[1], c[0]) for c in answered])
            shares.append(priority.ModuleShare(
                module_id=module["id"], number=int(module.get("number", 0)),
                n_checkpoints=len(checkpoints), n_answered=len(answered), n_action=n_action,
                share=n_action / len(answered) if answered else None))
        return tuple(shares)

    @cached_property
    def suggested(self) -> tuple[priority.Suggestion, ...]:
        """Return the ranked checkpoints where action is proposed."""
        return tuple(priority.prioritise(self.checklist, self.sheets))

    @cached_property
    def achievements(self) -> tuple[priority.Achievement, ...]:
        """Return the answered checkpoints where nobody proposes action."""
        return tuple(priority.achievements(self.checklist, self.sheets))

    @cached_property
    def sheets(self) -> list[dict]:
        """Rebuild answer sheets from the counts alone, for the ranking's functions.

        Sheet ``i`` holds the ``i``-th answer of each checkpoint, so it is nobody's sheet;
        the ranking reads each checkpoint on its own and gets the same figures.
        """
        most = max((count.answered for count in self.counts.values()), default=0)
        sheets: list[dict] = [{"answers": {}} for _ in range(most)]
        for checkpoint_id, count in self.counts.items():
            for i in range(count.answered):
                action = ("yes" if i < count.action else
                          "no" if i < count.action + count.in_place else "na")
                sheets[i]["answers"][checkpoint_id] = {"action": action,
                                                       "priority": i < count.priority}
        return sheets


#: Each module with its live checkpoints' ids and sensitive marks.
Layout = tuple[tuple[Mapping[str, Any], tuple[tuple[str, bool], ...]], ...]
#: Per checklist object: its layout, worked out once (:func:`_layout`).
_LAYOUTS: dict[int, tuple[Mapping[str, Any], Layout]] = {}


def _layout(checklist: Mapping[str, Any]) -> Layout:
    """Return each module with the ids and sensitive marks of its live checkpoints.

    A district page discloses hundreds of rounds of one checklist, whose data the
    registry loads once and never changes: the walk is kept per checklist object,
    holding the object so that its id cannot be reused by another.
    """
    kept = _LAYOUTS.get(id(checklist))
    if kept is None or kept[0] is not checklist:
        if len(_LAYOUTS) >= 32:
            _LAYOUTS.clear()
        layout = tuple(
            (module, tuple((c["id"], bool(c.get("sensitive")))
                           for c in module.get("checkpoints", ()) if not c.get("withdrawn")))
            for module in checklist.get("modules", ()))
        kept = _LAYOUTS[id(checklist)] = (checklist, layout)
    return kept[1]


def disclose(checklist: Mapping[str, Any], responses: Sequence[Mapping[str, Any]],
             minimum: int = MIN_GROUP) -> Disclosure:
    """Return what may be shown of a round above facility level.

    :param checklist: the checklist as loaded from its data files (``sensitive`` marks).
    :param responses: one dict per participant with ``answers`` keyed by checkpoint id,
        each with ``action`` and ``priority``; anything else (names, remarks) is ignored.
    :param minimum: the smallest group whose answers to a sensitive checkpoint count.
    """
    tallies: dict[str, list[int]] = {}
    for response in responses:
        for checkpoint_id, answer in (response.get("answers") or {}).items():
            action = (answer or {}).get("action")
            if action not in ANSWERED:
                continue
            tally = tallies.setdefault(checkpoint_id, [0, 0, 0, 0])
            tally[0] += 1
            if action == "yes":
                tally[1] += 1
                # A priority mark only means something next to a proposal for action.
                tally[2] += bool(answer.get("priority"))
            elif action == "no":
                tally[3] += 1
    return disclose_counts(checklist, tallies, len(responses), minimum)


def disclose_counts(checklist: Mapping[str, Any], tallies: Mapping[str, Sequence[int]],
                    participants: int, minimum: int = MIN_GROUP) -> Disclosure:
    """Return what may be shown of a round from its answers counted by checkpoint.

    The same rule as :func:`disclose`, for counts a query made (a district's overview
    counts many rounds at once, in the database).

    :param tallies: checkpoint id -> ``[answered, action, priority, in_place]``: how many
        participants answered (yes, no or n/a), proposed action, proposed it as a
        priority, and said no action is needed.
    :param participants: how many took part in the round.
    """
    sensitive, withheld, counts = [], set(), {}
    # A district page discloses hundreds of rounds: each count is made straight from its
    # four numbers (tuple.__new__, not Count(*tally) nor _make's checks).
    find = tallies.get
    for _module, checkpoints in _layout(checklist):
        for checkpoint_id, is_sensitive in checkpoints:
            tally = find(checkpoint_id)
            answered = tally[0] if tally else 0
            if is_sensitive:
                shown = disclosed(answered, answered, minimum)
                sensitive.append(SensitiveCount(
                    checkpoint_id=checkpoint_id,
                    action=disclosed(tally[1] if tally else 0, answered, minimum),
                    answered=shown))
                if shown is None:
                    withheld.add(checkpoint_id)
                    continue
            if answered:
                counts[checkpoint_id] = tuple.__new__(Count, tally)
    return Disclosure(checklist=checklist, participants=participants, counts=counts,
                      withheld=frozenset(withheld), sensitive=tuple(sensitive))
