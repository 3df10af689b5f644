"""The shared ranking cases (tests/cases/ranking.json) against the phone's port.

static/js/priority.js runs in Chromium, loaded from the live server as the app
loads it, with the app's own t()/tn() (English) wording the reasons; it must give
what healthwise.plans.priority gives: the file's cases, then random ones that
Python works out here and writes into the page.
"""

import pytest

from ..test_priority_cases import CASES, outcome, random_cases

# Run every case through priority.js, in the shape of outcome() in Python.
RUN_CASES = """async (cases) => {
  const p = await import("/static/js/priority.js");
  const { t, tn } = await import("/static/js/i18n.js");
  return cases.map(({ checklist, responses }) => ({
    suggested: p.prioritise(checklist, responses).map(({ reason_codes, ...s }) => ({
      ...s,
      reasons: p.reasonMessages(reason_codes),
      text: p.describe(reason_codes, t, tn),
    })),
    achievements: p.achievements(checklist, responses),
    module_shares: p.moduleShares(checklist, responses),
    disagreements: p.disagreements(checklist, responses),
  }));
}"""


@pytest.fixture
def page(browser, live_server):
    """A page of the live server (no service worker) where the app's modules load."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/static/js/priority.js")
    yield page
    context.close()
    assert errors == []


def test_every_shared_case(page):
    got = page.evaluate(RUN_CASES, [{"checklist": c["checklist"], "responses": c["responses"]}
                                    for c in CASES])
    for case, result in zip(CASES, got, strict=True):
        assert result == case["expected"], case["name"]


def test_random_cases_agree_with_python(page):
    cases = random_cases(300)
    got = page.evaluate(RUN_CASES, cases)
    ties = 0
    for case, result in zip(cases, got, strict=True):
        assert result == outcome(case["checklist"], case["responses"]), case
        ranks = [s["rank"] for s in result["suggested"]]
        ties += len(ranks) - len(set(ranks))
    assert ties >= 10  # the generator does make shared ranks (18 with its seed)
