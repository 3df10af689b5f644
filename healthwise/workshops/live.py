"""The live view's figures: who walks a round, how far each is, and what the room thinks.

Pure: plain dicts in, plain dicts out, no Flask and no database, so the counts are
tested against hand-made answers. The ranking of emerging priorities and the rule for
a disagreement are the action plan's own (:mod:`healthwise.plans.priority`), so the
projector shows what the plan will suggest.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from healthwise.plans import priority

#: Emerging priorities the projector shows.
TOP = 10


def walked(checklist: Mapping[str, Any], modules: Sequence[str] | None) -> dict:
    """Return the checklist cut to the modules a round walks (all when ``modules`` is empty).

    :param checklist: the checklist data (``modules``, each with ``checkpoints``).
    :param modules: the round's module ids (its ``modules`` field), or None.
    """
    wanted = set(modules or ())
    return {**checklist, "modules": [
        {**m, "checkpoints": [cp for cp in m["checkpoints"] if not cp.get("withdrawn")]}
        for m in checklist["modules"] if not wanted or m["id"] in wanted]}


def round_figures(checklist: Mapping[str, Any], modules: Sequence[str] | None,
                  responses: Sequence[Mapping[str, Any]], top: int = TOP) -> dict:
    """Count a round's answers for the projector.

    :param checklist: the checklist data.
    :param modules: the module ids the round walks (None or empty: all).
    :param responses: one dict per participant: ``participant``, ``role`` and
        ``answers`` keyed by checkpoint id, each with ``action`` (``yes``/``no``/``na``/
        None) and ``priority``.
    :param top: how many emerging priorities to return.
    :returns: ``total`` (checkpoints a participant answers to be done: those of the
        chosen modules, else of every module that is not optional); ``participants``
        (name, role, answered of those, in the order given); ``answered`` (all
        participants' answers of those together);
        ``checkpoints`` (per checkpoint walked, in checklist order: ``yes`` (needs
        action), ``no`` (in place), ``na``, ``priority``, ``answered``, ``disagree``);
        ``disputes`` (the ``top`` checkpoints they disagree on, the most evenly split
        first, then in checklist order); ``priorities`` (the ``top`` first suggestions
        of the plan's ranking).
    """
    cut = walked(checklist, modules)
    ids = [cp["id"] for m in cut["modules"] for cp in m["checkpoints"]]
    in_round = set(ids)
    # As on the phone: progress counts the modules the trainer chose, or else every
    # module that is not optional (answers to an optional one still count below).
    required = {cp["id"] for m in cut["modules"] if modules or not m.get("optional")
                for cp in m["checkpoints"]}
    counts = {cp: {"yes": 0, "no": 0, "na": 0, "priority": 0} for cp in ids}
    participants = []
    for response in responses:
        answered = 0
        for checkpoint_id, answer in (response.get("answers") or {}).items():
            action = answer.get("action")
            if checkpoint_id not in in_round or action not in ("yes", "no", "na"):
                continue
            answered += checkpoint_id in required
            counts[checkpoint_id][action] += 1
            # As in the plan: a priority mark counts only next to a proposal for action.
            if action == "yes" and answer.get("priority"):
                counts[checkpoint_id]["priority"] += 1
        participants.append({"name": response.get("participant") or "",
                             "role": response.get("role") or "", "answered": answered})
    module_of = {cp["id"]: m["id"] for m in cut["modules"] for cp in m["checkpoints"]}
    checkpoints = [{"id": cp, "module_id": module_of[cp], **c,
                    "answered": c["yes"] + c["no"] + c["na"],
                    "disagree": priority.disagrees(c["yes"], c["no"], c["na"])}
                   for cp, c in counts.items()]
    suggestions = priority.prioritise(cut, responses)[:top] if top else []
    # The most evenly split first: those are the ones the room has to talk about.
    disputes = sorted((c for c in checkpoints if c["disagree"]),
                      key=lambda c: -min(c["yes"], c["no"] + c["na"]))[:top]
    return {
        "total": len(required),
        "participants": participants,
        "answered": sum(p["answered"] for p in participants),
        "checkpoints": checkpoints,
        "disputes": disputes,
        "priorities": [{"rank": s.rank, "checkpoint_id": s.checkpoint_id,
                        "n_action": s.n_action, "n_priority": s.n_priority,
                        "n_participants": s.n_participants} for s in suggestions],
    }


def progress(answered: int, total: int, participants: int) -> int:
    """Return how far a round is, in percent: answers given of those expected.

    :param answered: answers given by every participant together.
    :param total: checkpoints each participant walks.
    :param participants: participants who joined the round.
    """
    expected = total * participants
    return round(100 * answered / expected) if expected else 0
