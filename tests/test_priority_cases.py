"""The shared ranking cases (tests/cases/ranking.json) against healthwise.plans.priority.

The same file runs in Chromium against the phone's port, static/js/priority.js
(tests/browser/test_priority_cases.py), so both give the same order, ranks,
scores, reasons, achievements, shares and disagreements.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path

import pytest

from healthwise.plans import priority

CASES_FILE = Path(__file__).parent / "cases" / "ranking.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def english(message: str) -> str:
    return message


def english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def outcome(checklist: dict, responses: list[dict]) -> dict:
    """Return what the rule gives for one case, in the cases file's shape."""
    suggested = []
    for s in priority.prioritise(checklist, responses):
        suggested.append({
            "rank": s.rank, "checkpoint_id": s.checkpoint_id, "module_id": s.module_id,
            "n_participants": s.n_participants, "n_action": s.n_action,
            "n_priority": s.n_priority, "severity": s.severity, "cost": s.cost,
            "score": s.score, "exact_score": str(s.exact_score),
            "reasons": [{"msgid": m.msgid, "msgid_plural": m.msgid_plural,
                         "values": dict(m.values)} for m in priority.reason_messages(s)],
            "text": priority.describe(s, english, english_plural),
        })
    return {
        "suggested": suggested,
        "achievements": [asdict(a) for a in priority.achievements(checklist, responses)],
        "module_shares": [asdict(m) for m in priority.module_shares(checklist, responses)],
        "disagreements": [asdict(d) for d in priority.disagreements(checklist, responses)],
    }


ANSWERS = [None, "yes", "no", "na"]


def random_cases(n: int, seed: int = 20261202) -> list[dict]:
    """Return ``n`` random cases (no expectations): small checklists, small groups."""
    rng = random.Random(seed)
    cases = []
    for number in range(n):
        modules = []
        for m in range(rng.randint(1, 3)):
            modules.append({"id": f"m{m}", "number": m + 1, "checkpoints": [
                {"id": f"m{m}-{c}", "severity": rng.randint(1, 3),
                 "cost": rng.choice(["low", "medium", "high"])}
                for c in range(rng.randint(0, 5))]})
        ids = [c["id"] for m in modules for c in m["checkpoints"]]
        # Few answer kinds in a case make ties (the interesting part) frequent.
        kinds = rng.sample(ANSWERS, rng.randint(1, 4))
        responses = [{"answers": {
            cid: {"action": rng.choice(kinds), "priority": rng.random() < 0.4}
            for cid in ids if rng.random() < 0.9}} for _ in range(rng.randint(0, 9))]
        cases.append({"name": f"random-{number}", "checklist": {"modules": modules},
                      "responses": responses})
    return cases


def test_the_file_has_the_cases_the_brief_asks_for():
    assert len(CASES) >= 15
    assert len({case["name"] for case in CASES}) == len(CASES)
    ranks = [[s["rank"] for s in case["expected"]["suggested"]] for case in CASES]
    assert any(len(set(r)) < len(r) for r in ranks)  # a shared rank


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case):
    assert outcome(case["checklist"], case["responses"]) == case["expected"]


def test_random_cases_are_deterministic_and_json_safe():
    cases = random_cases(20)
    assert cases == random_cases(20)
    for case in cases:
        result = outcome(case["checklist"], case["responses"])
        assert json.loads(json.dumps(result)) == result
