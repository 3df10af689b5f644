"""Tests for healthwise.plans.priority: pure functions, no Flask.

Expected scores are worked out by hand in the comments with the formula of
the module docstring:
    40 x yes/answered + 30 x priority/answered + 10 x (severity - 1) + cost (10/5/0)
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from hypothesis import given, settings
from hypothesis import strategies as st

from healthwise.plans import priority
from healthwise.plans.priority import (
    Achievement,
    ModuleShare,
    Reason,
    ReasonCode,
    ShareChange,
    achievements,
    compare,
    describe,
    module_shares,
    prioritise,
)


def checkpoint(cid: str, severity: int = 2, cost: str = "low", **extra) -> dict:
    """Build a checkpoint dict as the YAML loader gives it."""
    return {
        "id": cid,
        "action": f"Do {cid}",
        "why": "",
        "how": [],
        "hints": [],
        "severity": severity,
        "cost": cost,
        "sensitive": False,
        "sources": [],
        **extra,
    }


def checklist(*modules: tuple[str, list[dict]]) -> dict:
    """Build a checklist from (module id, checkpoints) pairs."""
    return {
        "id": "test",
        "version": 1,
        "title": "Test",
        "modules": [
            {"id": mid, "number": n, "title": mid.title(), "optional": False, "checkpoints": cps}
            for n, (mid, cps) in enumerate(modules, start=1)
        ],
    }


def response(pid: str, answers: dict, completed: bool = True) -> dict:
    """Build one participant's response; answers map id -> action or (action, priority)."""
    out = {}
    for cid, value in answers.items():
        action, prio = value if isinstance(value, tuple) else (value, False)
        out[cid] = {"action": action, "priority": prio, "remark": ""}
    return {"id": f"r-{pid}", "participant": pid, "completed": completed, "answers": out}


@pytest.fixture
def walk():
    """Three participants, two modules: the shared case of several tests."""
    cl = checklist(
        (
            "hazards",
            [
                checkpoint("HZ-01", severity=3, cost="low"),
                checkpoint("HZ-02", severity=2, cost="high"),
                checkpoint("HZ-03", severity=3, cost="medium"),
            ],
        ),
        (
            "violence",
            [
                checkpoint("VI-01", severity=3, cost="low"),
                checkpoint("VI-02", severity=2, cost="medium"),
            ],
        ),
        ("green", [checkpoint("GR-01")]),  # nobody answers this module
    )
    responses = [
        response(
            "a",
            {
                "HZ-01": ("yes", True),
                "HZ-02": "yes",
                "HZ-03": "no",
                "VI-01": ("yes", True),
                "VI-02": "na",
            },
        ),
        response(
            "b",
            {"HZ-01": "yes", "HZ-02": ("yes", True), "HZ-03": "no", "VI-01": "no", "VI-02": "na"},
        ),
        # An unfinished response still counts; None is "not answered";
        # a priority mark next to "no" means nothing.
        response(
            "c",
            {
                "HZ-01": "no",
                "HZ-02": "yes",
                "HZ-03": (None, True),
                "VI-01": "yes",
                "VI-02": ("na", True),
            },
            completed=False,
        ),
    ]
    return cl, responses


def test_ranking_scores_and_counts(walk):
    cl, responses = walk
    # HZ-01: 3 answered, 2 yes, 1 priority, severity 3, low
    #        40*2/3 + 30*1/3 + 20 + 10 = 26.667 + 10 + 30 = 66.67
    # VI-01: same counts, severity 3, low -> 66.67 (exact tie with HZ-01)
    # HZ-02: 3 answered, 3 yes, 1 priority, severity 2, high
    #        40 + 10 + 10 + 0 = 60
    # HZ-03: nobody proposes action -> not ranked; VI-02: all "na" -> not ranked
    # Tie HZ-01 / VI-01: same severity, same cost -> checklist order, HZ-01 first,
    # and they share rank 1 (the rule cannot tell them apart); the next is 3.
    ranked = prioritise(cl, responses)
    assert [(s.rank, s.checkpoint_id, s.score) for s in ranked] == [
        (1, "HZ-01", 66.67),
        (1, "VI-01", 66.67),
        (3, "HZ-02", 60.0),
    ]
    first = ranked[0]
    assert (first.module_id, first.n_participants, first.n_action, first.n_priority) == (
        "hazards",
        3,
        2,
        1,
    )
    assert (first.severity, first.cost) == (3, "low")
    assert first.reasons == (
        Reason(ReasonCode.ACTION_PROPOSED, 2, 3),
        Reason(ReasonCode.PRIORITY, 1, 3),
        Reason(ReasonCode.SEVERE_HARM),
        Reason(ReasonCode.QUICK_WIN),
    )
    assert ranked[2].reasons[-2:] == (Reason(ReasonCode.SERIOUS_HARM), Reason(ReasonCode.HIGH_COST))


def test_worked_example_of_the_docstring():
    # 6 answered, 5 yes, 4 of them priority, severity 3, low:
    # 40*5/6 + 30*4/6 + 20 + 10 = 33.33 + 20 + 30 = 83.33
    # 6 answered, 6 yes, no priority, severity 2, high: 40 + 0 + 10 + 0 = 50
    cl = checklist(("m", [checkpoint("A-01", 2, "high"), checkpoint("HZ-03", 3, "low")]))
    responses = [
        response(str(i), {"HZ-03": ("yes", i < 4) if i < 5 else "no", "A-01": "yes"})
        for i in range(6)
    ]
    ranked = prioritise(cl, responses)
    assert [(s.checkpoint_id, s.score) for s in ranked] == [("HZ-03", 83.33), ("A-01", 50.0)]


def test_tie_broken_by_higher_severity():
    # Same votes (1 of 1 yes, no priority -> 40 points each):
    # LOW-SEV: severity 2 (10) + low (10) = 60; HIGH-SEV: severity 3 (20) + high (0) = 60.
    # Equal scores: the higher severity wins although it comes later in the list.
    cl = checklist(("m", [checkpoint("LOW-SEV", 2, "low"), checkpoint("HIGH-SEV", 3, "high")]))
    ranked = prioritise(cl, [response("a", {"LOW-SEV": "yes", "HIGH-SEV": "yes"})])
    assert [(s.checkpoint_id, s.score) for s in ranked] == [("HIGH-SEV", 60.0), ("LOW-SEV", 60.0)]


def test_tie_broken_by_lower_cost():
    # 6 answered each, severity 2 each (10 points).
    # MEDIUM: 3 yes, 1 priority: 40*3/6 + 30*1/6 + 10 + 5 = 20 + 5 + 15 = 40
    # CHEAP:  3 yes, 0 priority: 40*3/6 + 0 + 10 + 10 = 20 + 20 = 40
    # Same score, same severity: the cheaper one first, although listed second.
    cl = checklist(("m", [checkpoint("MEDIUM", 2, "medium"), checkpoint("CHEAP", 2, "low")]))
    responses = [
        response(
            str(i),
            {"MEDIUM": ("yes", i == 0) if i < 3 else "no", "CHEAP": "yes" if i < 3 else "no"},
        )
        for i in range(6)
    ]
    ranked = prioritise(cl, responses)
    assert [(s.checkpoint_id, s.score) for s in ranked] == [("CHEAP", 40.0), ("MEDIUM", 40.0)]


def test_exact_fractions_make_equal_scores_tie():
    # Thirds, which floats round differently depending on the path taken:
    # A: 3 answered, 1 yes with priority  -> 40/3 + 30/3 = 70/3
    # B: 6 answered, 2 yes with priority  -> 80/6 + 60/6 = 140/6 = 70/3 (same, exactly)
    # Both severity 2 (10) and low (10): 70/3 + 20 = 43.33 each; a true tie, so
    # checklist order decides, A first.
    cl = checklist(("m", [checkpoint("A"), checkpoint("B")]))
    responses = [response(str(i), {"A": ("yes", True) if i == 0 else "no"}) for i in range(3)]
    responses += [response(f"x{i}", {"B": ("yes", True) if i < 2 else "no"}) for i in range(6)]
    ranked = prioritise(cl, responses)
    assert [s.checkpoint_id for s in ranked] == ["A", "B"]
    assert ranked[0].score == ranked[1].score == round(70 / 3 + 20, 2)


def test_withdrawn_unknown_and_empty_answers_are_ignored():
    cl = checklist(("m", [checkpoint("OLD", withdrawn=True), checkpoint("NEW")]))
    responses = [
        response("a", {"OLD": "yes", "NEW": "yes", "GHOST": "yes"}),
        {"id": "r-b", "participant": "b", "completed": False, "answers": {}},
        {"id": "r-c", "participant": "c", "completed": False, "answers": {"NEW": {}}},
        {
            "id": "r-d",
            "participant": "d",
            "completed": True,
            "answers": {"NEW": {"action": "maybe"}},
        },
    ]
    ranked = prioritise(cl, responses)
    assert [(s.checkpoint_id, s.n_participants, s.n_action) for s in ranked] == [("NEW", 1, 1)]


def test_nothing_proposed_gives_nothing():
    cl = checklist(("m", [checkpoint("A"), checkpoint("B")]))
    assert prioritise(cl, []) == []
    assert prioritise(cl, [response("a", {"A": "no", "B": "na"})]) == []


def english(message: str) -> str:
    return message


def english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def test_describe_in_english(walk):
    ranked = prioritise(*walk)
    assert describe(ranked[0], english, english_plural) == (
        "2 of 3 propose action, 1 marks it a priority, severe harm, low cost: a quick win"
    )
    assert describe(ranked[2], english, english_plural) == (
        "3 of 3 propose action, 1 marks it a priority, serious harm, high cost"
    )


def test_describe_singular_and_without_priority():
    cl = checklist(("m", [checkpoint("A", severity=1, cost="medium")]))
    (suggestion,) = prioritise(cl, [response("a", {"A": "yes"})])
    assert describe(suggestion, english, english_plural) == (
        "1 of 1 proposes action, minor harm, medium cost"
    )


def test_describe_goes_through_the_translation_functions(walk):
    french = {
        "severe harm": "dommage grave",
        "low cost: a quick win": "faible coût : un succès rapide",
        ", ": " ; ",
    }
    plurals = {
        "%(count)d of %(total)d propose action": "%(count)d sur %(total)d proposent d'agir",
        "%(count)d marks it a priority": "%(count)d en fait une priorité",
    }
    calls = []

    def gettext(message):
        calls.append(message)
        return french.get(message, message)

    def ngettext(singular, plural, n):
        calls.append((singular, plural, n))
        return plurals.get(singular if n == 1 else plural, singular if n == 1 else plural)

    text = describe(prioritise(*walk)[0], gettext, ngettext)
    assert text == (
        "2 sur 3 proposent d'agir ; 1 en fait une priorité ; dommage grave ; "
        "faible coût : un succès rapide"
    )
    assert (
        "%(count)d of %(total)d proposes action",
        "%(count)d of %(total)d propose action",
        2,
    ) in calls


def test_every_phrase_of_describe_can_be_extracted_by_pybabel():
    messages = {
        message
        for _, message, _, _ in extract_from_file(
            "python", str(Path(priority.__file__)), keywords={"gettext": None, "ngettext": (1, 2)}
        )
    }
    assert {
        "severe harm",
        "serious harm",
        "minor harm",
        "low cost: a quick win",
        "medium cost",
        "high cost",
        ", ",
        ("%(count)d of %(total)d proposes action", "%(count)d of %(total)d propose action"),
        ("%(count)d marks it a priority", "%(count)d mark it a priority"),
    } <= messages


def test_achievements(walk):
    # HZ-03: two "no", one unanswered, nobody proposes action -> already good.
    # VI-02: everybody "na" -> not applicable here, not an achievement.
    # GR-01: not answered -> nothing to say.
    assert achievements(*walk) == [
        Achievement(checkpoint_id="HZ-03", module_id="hazards", n_participants=2, n_in_place=2)
    ]


def test_module_shares(walk):
    # hazards: HZ-01 2/3 yes (>= half: action), HZ-02 3/3 (action), HZ-03 0/2 -> 2 of 3
    # violence: VI-01 2/3 (action), VI-02 0/3 -> 1 of 2
    # green: nothing answered -> share None (not 0 %: it was not assessed)
    assert module_shares(*walk) == [
        ModuleShare("hazards", 1, n_checkpoints=3, n_answered=3, n_action=2, share=2 / 3),
        ModuleShare("violence", 2, n_checkpoints=2, n_answered=2, n_action=1, share=0.5),
        ModuleShare("green", 3, n_checkpoints=1, n_answered=0, n_action=0, share=None),
    ]


def test_module_share_counts_exactly_half_as_action():
    # 1 yes of 2 answered: 2*1 >= 2 -> action proposed; 1 yes of 3: 2 < 3 -> not.
    cl = checklist(("m", [checkpoint("HALF"), checkpoint("THIRD")]))
    responses = [
        response("a", {"HALF": "yes", "THIRD": "yes"}),
        response("b", {"HALF": "no", "THIRD": "no"}),
        response("c", {"THIRD": "na"}),
    ]
    (share,) = module_shares(cl, responses)
    assert (share.n_answered, share.n_action, share.share) == (2, 1, 0.5)


def test_compare_rounds():
    before = [
        ModuleShare("hazards", 1, 3, 3, 3, 1.0),
        ModuleShare("violence", 2, 2, 2, 1, 0.5),
        ModuleShare("green", 3, 1, 1, 1, 1.0),  # dropped from the follow-up
    ]
    after = [
        ModuleShare("hazards", 1, 3, 3, 1, 1 / 3),
        ModuleShare("violence", 2, 2, 2, 1, 0.5),
        ModuleShare("staff", 4, 4, 0, 0, None),  # new, not answered
    ]
    changes = compare(before, after)
    # hazards: 1/3 - 1 = -2/3 (progress); violence: 0.5 - 0.5 = 0; staff: no share; green: gone.
    assert [(c.module_id, c.before, c.after) for c in changes] == [
        ("hazards", 1.0, 1 / 3),
        ("violence", 0.5, 0.5),
        ("staff", None, None),
        ("green", 1.0, None),
    ]
    assert changes[0].delta == pytest.approx(-2 / 3)
    assert [c.improved for c in changes] == [True, False, None, None]
    assert changes[1] == ShareChange("violence", 0.5, 0.5, 0.0)


answers = st.sampled_from([None, "yes", "no", "na"])


@settings(max_examples=60, deadline=None)
@given(
    votes=st.lists(
        st.lists(st.tuples(answers, st.booleans()), min_size=6, max_size=6), min_size=0, max_size=8
    ),
    seed=st.integers(0, 10_000),
)
def test_ranking_is_ordered_complete_and_independent_of_response_order(votes, seed):
    cl = checklist(
        (
            "a",
            [
                checkpoint("A1", 3, "low"),
                checkpoint("A2", 1, "high"),
                checkpoint("A3", 2, "medium"),
            ],
        ),
        (
            "b",
            [checkpoint("B1", 2, "low"), checkpoint("B2", 3, "high"), checkpoint("B3", 1, "low")],
        ),
    )
    ids = ["A1", "A2", "A3", "B1", "B2", "B3"]
    responses = [response(str(i), dict(zip(ids, row, strict=True))) for i, row in enumerate(votes)]
    ranked = prioritise(cl, responses)
    shuffled = responses[:]
    random.Random(seed).shuffle(shuffled)
    assert prioritise(cl, shuffled) == ranked
    # Competition ranks: the first is 1; a rank repeats only for an equal score,
    # severity and cost, and otherwise is the position.
    for position, (before, after) in enumerate(itertools.pairwise(ranked), start=2):
        same = (before.exact_score, before.severity, before.cost) == (
            after.exact_score, after.severity, after.cost)
        assert after.rank == (before.rank if same else position)
    assert not ranked or ranked[0].rank == 1
    assert all(s.n_action >= 1 and 0 <= s.score <= 100 for s in ranked)
    assert all(a.score >= b.score for a, b in itertools.pairwise(ranked))
    # Every answered checkpoint is either ranked, already good, or all "na"/unanswered.
    good = {a.checkpoint_id for a in achievements(cl, responses)}
    assert good.isdisjoint(s.checkpoint_id for s in ranked)


def test_fill_survives_a_broken_translation():
    assert priority.fill("%(count)d of %(total)d", {"count": 2, "total": 3}) == "2 of 3"
    # A translator's typo must not stop the page: the values still show.
    assert priority.fill("%(cuont)d sur %(total)d", {"count": 2, "total": 3}) == (
        "%(cuont)d sur %(total)d (2, 3)"
    )
