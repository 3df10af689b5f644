"""Rank checkpoints for action from the answers of a committee walk-through.

Pure functions: a checklist (as loaded from the YAML data files) and the
participants' responses in, frozen dataclasses out. No Flask, no database.

The score, out of 100 points
----------------------------

Only checkpoints where at least one participant proposes action are ranked.
For each of them, with ``answered`` the participants who answered it
(``yes``, ``no`` or ``na``; an empty answer does not count)::

    action   = 40 x (participants proposing action) / answered
    priority = 30 x (participants proposing action AND marking it a priority) / answered
    harm     = 10 x (severity - 1)          severity 1, 2, 3  ->  0, 10, 20
    cost     = 10 if low, 5 if medium, 0 if high
    score    = action + priority + harm + cost

In words, for a nurse: "the more of us who want action, the more of us who
call it a priority, the more serious the harm and the cheaper the fix, the
higher it goes". Agreement between participants weighs most (70 points),
because HealthWISE builds on what the people who work there see; low cost
adds points because the method favours quick wins that show results and
build momentum before the bigger investments.

Worked example: 6 participants answered checkpoint HZ-03 (severity 3, cost
low); 5 propose action and 4 of those mark it a priority::

    action   = 40 x 5/6 = 33.33
    priority = 30 x 4/6 = 20.00
    harm     = 10 x (3 - 1) = 20
    cost     = 10 (low)
    score    = 83.33

A checkpoint that all 6 want acted on but nobody marks as a priority,
severity 2, cost high, scores 40 + 0 + 10 + 0 = 50, so it comes after HZ-03.

Ties (equal scores, compared exactly with fractions, not floats) are broken
by higher severity, then lower cost, then the order of the checklist. Ranks
count the checkpoints ahead: 1, 2, 3... Two checkpoints that the rule cannot
tell apart (the same score, severity and cost; only the checklist order
lists one first) share a rank, and the next rank skips (1, 2, 2, 4): the
committee sees that the method leaves that choice to them.

Disagreements
-------------

A checkpoint is *disagreed on* when at least one participant proposes
action and at least one other answers that no action is needed or that it
does not apply here (see :func:`disagrees`).

The phone (``static/js/priority.js``) runs an exact port of this module;
``tests/cases/ranking.json`` holds the cases both must pass.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "Achievement",
    "Disagreement",
    "Message",
    "ModuleShare",
    "Reason",
    "ReasonCode",
    "ShareChange",
    "Suggestion",
    "achievements",
    "compare",
    "describe",
    "disagreements",
    "disagrees",
    "fill",
    "module_shares",
    "needs_action",
    "prioritise",
    "reason_messages",
]

ACTION_POINTS = 40
PRIORITY_POINTS = 30
HARM_POINTS_PER_LEVEL = 10
COST_POINTS: Mapping[str, int] = {"low": 10, "medium": 5, "high": 0}
# Lower rank is cheaper; used for the tie-break ("lower cost first").
COST_RANK: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2}

Checklist = Mapping[str, Any]
Response = Mapping[str, Any]


class ReasonCode(enum.StrEnum):
    """Why a checkpoint is ranked where it is; turned into words by describe()."""

    ACTION_PROPOSED = "action_proposed"  # count of total propose action
    PRIORITY = "priority"  # count of total mark it a priority
    SEVERE_HARM = "severe_harm"  # severity 3
    SERIOUS_HARM = "serious_harm"  # severity 2
    MINOR_HARM = "minor_harm"  # severity 1
    QUICK_WIN = "quick_win"  # low cost
    MEDIUM_COST = "medium_cost"
    HIGH_COST = "high_cost"


@dataclass(frozen=True, slots=True)
class Reason:
    """One structured reason: a code and, for counts, ``count`` of ``total``."""

    code: ReasonCode
    count: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A checkpoint proposed for the action plan, with its rank and score."""

    rank: int
    checkpoint_id: str
    module_id: str
    n_participants: int
    n_action: int
    n_priority: int
    severity: int
    cost: str
    score: float
    reasons: tuple[Reason, ...]
    #: The score exactly; ``score`` is it rounded to 2 decimals, for display.
    exact_score: Fraction


@dataclass(frozen=True, slots=True)
class Message:
    """One reason as a message to translate: what ``describe`` hands to gettext.

    ``msgid_plural`` is set for a message with plural forms, chosen by
    ``values["count"]``; ``values`` fill its ``%(name)d`` placeholders.
    """

    msgid: str
    msgid_plural: str | None
    values: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A checkpoint where participants disagree about the workplace (see disagrees())."""

    checkpoint_id: str
    module_id: str
    n_answered: int
    n_action: int
    n_priority: int
    n_no: int
    n_na: int


@dataclass(frozen=True, slots=True)
class Achievement:
    """A checkpoint the committee considers already in place."""

    checkpoint_id: str
    module_id: str
    n_participants: int
    n_in_place: int


@dataclass(frozen=True, slots=True)
class ModuleShare:
    """Share of a module's answered checkpoints where action is proposed.

    ``share`` is ``None`` when no checkpoint of the module was answered (for
    example an optional module the committee skipped), so that a chart can
    leave it out instead of drawing a misleading 0 %.
    """

    module_id: str
    number: int
    n_checkpoints: int
    n_answered: int
    n_action: int
    share: float | None


@dataclass(frozen=True, slots=True)
class ShareChange:
    """A module's share in two rounds; a negative delta is progress."""

    module_id: str
    before: float | None
    after: float | None
    delta: float | None

    @property
    def improved(self) -> bool | None:
        """Tell whether fewer checkpoints need action than before (None if unknown)."""
        return None if self.delta is None else self.delta < 0


@dataclass(frozen=True, slots=True)
class _Tally:
    """Counts of the answers given to one checkpoint."""

    answered: int
    yes: int
    no: int
    na: int
    priority: int

    @property
    def disagree(self) -> bool:
        """Tell whether these answers disagree (see :func:`disagrees`)."""
        return disagrees(self.yes, self.no, self.na)


def disagrees(n_action: int, n_no: int, n_na: int) -> bool:
    """Tell whether a checkpoint's answers disagree about the workplace.

    They do when at least one participant proposes action and at least one
    answers "no" (nothing to do, it is in place) or "not applicable" (it
    does not arise here). Both of the latter say the workplace needs nothing
    on this point, which is exactly what the one proposing action denies: the
    committee has to look again together (HealthWISE: compare, then agree).
    "No" against "not applicable" is not a disagreement: nobody wants action,
    so there is nothing to settle. A priority mark is not an answer of its
    own, and an empty answer is no view at all; neither makes a disagreement.

    :param n_action: participants proposing action ("yes").
    :param n_no: participants answering "no".
    :param n_na: participants answering "not applicable".
    """
    return n_action > 0 and n_no + n_na > 0


def _checkpoints(checklist: Checklist) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Yield (module, checkpoint) pairs in checklist order, skipping withdrawn ones."""
    for module in checklist.get("modules", ()):
        for checkpoint in module.get("checkpoints", ()):
            if not checkpoint.get("withdrawn", False):
                yield module, checkpoint


def _tallies(
    checklist: Checklist, responses: Sequence[Response]
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any], _Tally]]:
    """Yield (module, checkpoint, tally) in checklist order, skipping withdrawn ones."""
    for module, checkpoint in _checkpoints(checklist):
        yield module, checkpoint, _tally(checkpoint["id"], responses)


def _tally(checkpoint_id: str, responses: Iterable[Response]) -> _Tally:
    """Count the answers given to one checkpoint across all responses.

    Incomplete responses count too: an answer given before a participant
    stopped is still that participant's view.
    """
    answered = yes = no = na = priority = 0
    for response in responses:
        answer = (response.get("answers") or {}).get(checkpoint_id)
        if not answer:
            continue
        action = answer.get("action")
        if action not in ("yes", "no", "na"):
            continue
        answered += 1
        if action == "yes":
            yes += 1
            # A priority mark only means something next to a proposal for action.
            if answer.get("priority"):
                priority += 1
        elif action == "no":
            no += 1
        else:
            na += 1
    return _Tally(answered=answered, yes=yes, no=no, na=na, priority=priority)


def _score(tally: _Tally, severity: int, cost: str) -> Fraction:
    """Return the exact score out of 100 (see the module docstring)."""
    return (
        Fraction(ACTION_POINTS * tally.yes, tally.answered)
        + Fraction(PRIORITY_POINTS * tally.priority, tally.answered)
        + HARM_POINTS_PER_LEVEL * (severity - 1)
        + COST_POINTS[cost]
    )


def _reasons(tally: _Tally, severity: int, cost: str) -> tuple[Reason, ...]:
    """Return the structured reasons behind a score, in the order they weigh."""
    reasons = [Reason(ReasonCode.ACTION_PROPOSED, tally.yes, tally.answered)]
    if tally.priority:
        reasons.append(Reason(ReasonCode.PRIORITY, tally.priority, tally.answered))
    reasons.append(
        Reason(
            {3: ReasonCode.SEVERE_HARM, 2: ReasonCode.SERIOUS_HARM}.get(
                severity, ReasonCode.MINOR_HARM
            )
        )
    )
    reasons.append(
        Reason(
            {"low": ReasonCode.QUICK_WIN, "medium": ReasonCode.MEDIUM_COST}.get(
                cost, ReasonCode.HIGH_COST
            )
        )
    )
    return tuple(reasons)


def _severity(checkpoint: Mapping[str, Any]) -> int:
    """Return the checkpoint's severity clamped to 1..3 (data files are validated elsewhere)."""
    return min(3, max(1, int(checkpoint.get("severity", 1))))


def _cost(checkpoint: Mapping[str, Any]) -> str:
    """Return the checkpoint's cost, treating an unknown value as the least favourable."""
    cost = checkpoint.get("cost", "high")
    return cost if cost in COST_POINTS else "high"


def prioritise(checklist: Checklist, responses: Sequence[Response]) -> list[Suggestion]:
    """Rank the checkpoints where at least one participant proposes action.

    :param checklist: the checklist as loaded from its data files.
    :param responses: one dict per participant, with ``answers`` keyed by
        checkpoint id; each answer has ``action`` (``"yes"``, ``"no"``,
        ``"na"`` or ``None``) and ``priority``.
    :returns: suggestions, best first; the order is deterministic and ranks
        are shared only where the rule cannot tell checkpoints apart (see the
        module docstring for the formula, the tie-break and the ranks).
    """
    candidates = []
    for order, (module, checkpoint, tally) in enumerate(_tallies(checklist, responses)):
        if not tally.yes:
            continue
        severity, cost = _severity(checkpoint), _cost(checkpoint)
        score = _score(tally, severity, cost)
        key = (-score, -severity, COST_RANK[cost], order)
        candidates.append((key, module, checkpoint, tally, severity, cost, score))
    candidates.sort(key=lambda candidate: candidate[0])
    suggestions: list[Suggestion] = []
    rank = 0
    for position, (key, module, checkpoint, tally, severity, cost, score) in enumerate(
        candidates, start=1
    ):
        # The checklist order (key[3]) only lists; it does not rank.
        if position == 1 or key[:3] != candidates[position - 2][0][:3]:
            rank = position
        suggestions.append(
            Suggestion(
                rank=rank,
                checkpoint_id=checkpoint["id"],
                module_id=module["id"],
                n_participants=tally.answered,
                n_action=tally.yes,
                n_priority=tally.priority,
                severity=severity,
                cost=cost,
                score=round(float(score), 2),
                reasons=_reasons(tally, severity, cost),
                exact_score=score,
            )
        )
    return suggestions


def _say(reason: Reason, gettext: Callable[..., Any], ngettext: Callable[..., Any]) -> Any:
    """Hand one reason's message to gettext or ngettext and return what they give.

    The one place where the reasons' msgids are written (static/js/priority.js
    writes the same ones for the phone).
    """
    match reason.code:
        case ReasonCode.ACTION_PROPOSED:
            return ngettext(
                "%(count)d of %(total)d proposes action",
                "%(count)d of %(total)d propose action",
                reason.count or 0,
            )
        case ReasonCode.PRIORITY:
            return ngettext(
                "%(count)d marks it a priority",
                "%(count)d mark it a priority",
                reason.count or 0,
            )
        case ReasonCode.SEVERE_HARM:
            return gettext("severe harm")
        case ReasonCode.SERIOUS_HARM:
            return gettext("serious harm")
        case ReasonCode.MINOR_HARM:
            return gettext("minor harm")
        case ReasonCode.QUICK_WIN:
            return gettext("low cost: a quick win")
        case ReasonCode.MEDIUM_COST:
            return gettext("medium cost")
        case _:
            return gettext("high cost")


def _values(reason: Reason) -> dict[str, int]:
    """Return the placeholder values of a reason's message (none for words alone)."""
    if reason.count is None:
        return {}
    return {"count": reason.count, "total": reason.total or 0}


def reason_messages(suggestion: Suggestion) -> tuple[Message, ...]:
    """Return the reasons of a suggestion as messages to translate, in order.

    What :func:`describe` translates and joins; a client that words them in
    its own language (the phone's ``t()``/``tn()``) uses the same msgids.

    :param suggestion: a suggestion from :func:`prioritise`.
    """
    return tuple(
        Message(
            *_say(reason, lambda msgid: (msgid, None), lambda one, many, _n: (one, many)),
            values=_values(reason),
        )
        for reason in suggestion.reasons
    )


def describe(
    suggestion: Suggestion,
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
) -> str:
    """Say in plain words why a checkpoint is suggested.

    Example: "5 of 6 propose action, 4 mark it a priority, severe harm, low
    cost: a quick win".

    :param suggestion: a suggestion from :func:`prioritise`.
    :param gettext: translates one message and does no formatting, like
        ``babel.support.Translations.gettext`` (under Flask:
        ``flask_babel.get_translations().gettext``).
    :param ngettext: picks and translates the singular or plural form and
        does no formatting, like ``Translations.ngettext``.
    :returns: the localised sentence.
    """
    parts = [
        fill(_say(reason, gettext, ngettext), _values(reason)) for reason in suggestion.reasons
    ]
    # TRANSLATORS: separator between the reasons of a suggestion, e.g. ", " or "، ".
    return gettext(", ").join(parts)


def fill(template: str, values: Mapping[str, object]) -> str:
    """Fill a translated message's ``%(name)s`` placeholders, never failing.

    A translation whose placeholders are broken shows the message and the
    values instead of stopping a page or a PDF from rendering.

    :param template: the translated message.
    :param values: the placeholder values.
    :returns: the filled message.
    """
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return f"{template} ({', '.join(str(value) for value in values.values())})"


def achievements(checklist: Checklist, responses: Sequence[Response]) -> list[Achievement]:
    """List what is already good: answered checkpoints where no one proposes action.

    HealthWISE starts from achievements. A checkpoint counts when nobody
    proposes action and at least one participant answered "no" (no action
    needed); one that everybody marked "not applicable" is not an
    achievement, just irrelevant here.

    :param checklist: the checklist as loaded from its data files.
    :param responses: the participants' responses (see :func:`prioritise`).
    :returns: achievements in checklist order.
    """
    return [
        Achievement(checkpoint["id"], module["id"], n_participants=t.answered, n_in_place=t.no)
        for module, checkpoint, t in _tallies(checklist, responses)
        if t.answered and not t.yes and t.no
    ]


def disagreements(checklist: Checklist, responses: Sequence[Response]) -> list[Disagreement]:
    """List the checkpoints participants disagree on, for the committee to discuss.

    One proposes action while another says none is needed or that it does
    not apply here (see :func:`disagrees` for why both count).

    :param checklist: the checklist as loaded from its data files.
    :param responses: the participants' responses (see :func:`prioritise`).
    :returns: disagreements in checklist order.
    """
    return [
        Disagreement(checkpoint["id"], module["id"], n_answered=t.answered, n_action=t.yes,
                     n_priority=t.priority, n_no=t.no, n_na=t.na)
        for module, checkpoint, t in _tallies(checklist, responses)
        if t.disagree
    ]


def needs_action(n_action: int, n_answered: int) -> bool:
    """Tell whether a checkpoint counts as needing action in its module's share.

    It does when at least half of those who answered it propose action, so one voice
    does not colour a whole module.

    :param n_action: participants proposing action.
    :param n_answered: participants who answered (yes, no or n/a); at least one.
    """
    return 2 * n_action >= n_answered


def module_shares(checklist: Checklist, responses: Sequence[Response]) -> list[ModuleShare]:
    """Compute, per module, the share of answered checkpoints that need action.

    A checkpoint needs action when at least half of those who answered it
    propose action, so one voice does not colour a whole module.

    :param checklist: the checklist as loaded from its data files.
    :param responses: the participants' responses (see :func:`prioritise`).
    :returns: one entry per module, in checklist order.
    """
    shares = []
    for module in checklist.get("modules", ()):
        checkpoints = [c for c in module.get("checkpoints", ()) if not c.get("withdrawn", False)]
        n_answered = n_action = 0
        for checkpoint in checkpoints:
            tally = _tally(checkpoint["id"], responses)
            if tally.answered:
                n_answered += 1
                if needs_action(tally.yes, tally.answered):
                    n_action += 1
        shares.append(
            ModuleShare(
                module_id=module["id"],
                number=int(module.get("number", 0)),
                n_checkpoints=len(checkpoints),
                n_answered=n_answered,
                n_action=n_action,
                share=n_action / n_answered if n_answered else None,
            )
        )
    return shares


def compare(
    previous_shares: Sequence[ModuleShare], current_shares: Sequence[ModuleShare]
) -> list[ShareChange]:
    """Compare the module shares of two rounds, for a follow-up.

    :param previous_shares: shares of the earlier round (e.g. the baseline).
    :param current_shares: shares of the later round.
    :returns: one change per module of the current round, in its order, then
        modules found only in the earlier round; ``delta`` is ``after -
        before`` (negative is progress) or ``None`` when a side is missing.
    """
    before = {share.module_id: share.share for share in previous_shares}
    changes = []
    for share in current_shares:
        old = before.pop(share.module_id, None)
        changes.append(_change(share.module_id, old, share.share))
    for module_id, old in before.items():
        changes.append(_change(module_id, old, None))
    return changes


def _change(module_id: str, before: float | None, after: float | None) -> ShareChange:
    """Build one ShareChange, with a delta only when both rounds have a share."""
    delta = None if before is None or after is None else after - before
    return ShareChange(module_id=module_id, before=before, after=after, delta=delta)
