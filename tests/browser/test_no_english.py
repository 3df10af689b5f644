"""A follow-up round walked in French and in Arabic at 360 px shows no English but user text.

Every screen's visible text is checked against the English catalogue: no msgid that has
a translation in that language may appear as it is. What the test typed (names, titles,
remarks, actions) is taken out first, and so is text marked as another language (the
languages' own names, checklist text that fell back to English with ``lang="en"``).
"""

import re

import pytest
from babel.messages.pofile import read_po

from healthwise.config import ROOT

from .test_i18n_a11y import OPEN_DETAILS
from .test_rtl_small_screens import CODES, choose, show

TYPED = [
    "Riverside Health Centre",  # the facility and its district (conftest)
    "North District",
    "Test phone",
    "Baseline (September)",
    "Follow-up (March)",
    "Head nurse (Sister: Achieng)",
    "Dr. Otieno",
    "Sharps box (yellow) is full",
    "Order gloves (size M) from KEMSA",
    "Sister Achieng (ward 3)",
]

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")

# The visible text of the page, without text marked as another language.
VISIBLE_TEXT = """() => {
  const lang = document.documentElement.lang;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("script, style, noscript")) continue;
    // What people typed or made (names, actions, remarks) is shown isolated in <bdi>.
    if (el.closest("bdi")) continue;
    if (el.closest("[lang]").lang !== lang) continue;
    if (!el.closest("option") && !el.checkVisibility({ visibilityProperty: true })) continue;
    out.push(n.data);
  }
  return out.join("\\n");
}"""


def english_sentences(code):
    """Patterns of the msgids that the language's catalogue translates (to something else)."""
    with open(ROOT / "translations" / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f)
    patterns = {}
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not all(strings):
            continue
        for msgid in ids:
            if msgid in strings or not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", msgid)):
                continue
            parts = [re.escape(p) for p in PLACEHOLDER.split(msgid)]
            patterns[msgid] = re.compile(r"(?<!\w)" + r".+?".join(parts) + r"(?!\w)")
    return patterns


def english_on(phone, patterns):
    text = phone.page.evaluate(VISIBLE_TEXT)
    for typed in TYPED:
        text = text.replace(typed, "\n")
    return sorted(msgid for msgid, pattern in patterns.items() if pattern.search(text))


@pytest.fixture
def follow_up(phones):
    """A baseline round with answers and action items, then a follow-up round answered."""
    phone = phones()
    phone.join()
    phone.wait_checklist()
    baseline = phone.start_round("Baseline (September)")
    phone.join_round("Dr. Otieno")
    page = phone.page
    page.locator("a.btn.primary.big").click()
    phone.answer("yes", priority=True, remark="Sharps box (yellow) is full")
    phone.answer("no")
    phone.answer("yes")
    phone.goto(f"/plan/{baseline}")
    page.get_by_role("button", name="Add to the plan").first.click()
    page.locator("#toast").filter(has_text="Added").wait_for()
    phone.goto(f"/plan/{baseline}/item/new")
    page.get_by_label("What will be done").fill("Order gloves (size M) from KEMSA")
    page.get_by_label("Responsible").fill("Sister Achieng (ward 3)")
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_url(f"**/#/plan/{baseline}")
    phone.goto(f"/round/new?previous={baseline}")
    page.get_by_label("Title").fill("Follow-up (March)")
    page.get_by_role("button", name="Start the round").click()
    page.wait_for_url("**/#/round/*/join")
    aid = phone.route().split("/")[2]
    rid = phone.join_round("Head nurse (Sister: Achieng)")
    page.locator("a.btn.primary.big").click()
    phone.answer("yes", remark="Sharps box (yellow) is full")
    phone.answer("na")
    phone.wait_synced()
    item = next(r for r in phone.records("action_item") if r["fields"]["checkpoint_id"])
    return phone, aid, rid, item


def screens(aid, rid, item):
    return [
        ("home", "/", ".section"),
        ("new round", "/round/new", "form"),
        ("round", f"/round/{aid}", "#round-status"),
        ("participant", f"/round/{aid}/join", "form"),
        ("module list", f"/walk/{rid}", ".mod-num"),
        ("checkpoint", f"/walk/{rid}/HZ-02", ".walk-nav"),
        ("group", f"/group/{aid}", ".filters"),
        ("action", f"/plan/{item['fields']['assessment_id']}/item/{item['id']}", "form"),
        ("settings", "/settings", ".langs"),
        ("sync", "/sync", "#discuss"),
    ]


@pytest.mark.parametrize("language", ["Français", "العربية"])
def test_a_follow_up_round_shows_no_english_but_user_text(follow_up, language):
    phone, aid, rid, item = follow_up
    code = CODES[language]
    patterns = english_sentences(code)
    choose(phone, language, code)
    phone.page.locator("#toast").wait_for(state="hidden")  # "Added to the plan." before the switch
    found = {}
    for name, route, ready in screens(aid, rid, item):
        show(phone, route, ready)
        phone.page.evaluate(OPEN_DETAILS)
        found[name] = english_on(phone, patterns)
    assert {k: v for k, v in found.items() if v} == {}
    phone.assert_no_errors()


@pytest.mark.parametrize("language", ["Français", "العربية"])
def test_the_follow_up_plan_shows_no_english_but_user_text(follow_up, language):
    phone, aid, *_ = follow_up
    code = CODES[language]
    patterns = english_sentences(code)
    choose(phone, language, code)
    phone.page.locator("#toast").wait_for(state="hidden")
    show(phone, f"/plan/{aid}", ".section")
    phone.page.wait_for_timeout(1500)  # a fresher ranking from the server re-renders it
    phone.page.locator("main .view .section").first.wait_for()
    phone.page.evaluate(OPEN_DETAILS)
    assert english_on(phone, patterns) == []


def test_arabic_percentages_all_read_the_same_way(follow_up):
    """In Arabic every "n%" of the plan's modules is drawn alike: the sign left of its number."""
    from .test_rtl_small_screens import CHAR_BOXES

    phone, aid, *_ = follow_up
    choose(phone, "العربية", "ar")
    show(phone, f"/plan/{aid}", ".card.bars")
    phone.page.wait_for_timeout(1500)  # a fresher ranking from the server re-renders it
    boxes = phone.page.locator(".card.bars").evaluate(CHAR_BOXES)
    signs = [(boxes[i - 1], box) for i, box in enumerate(boxes)
             if box[0] == "%" and boxes[i - 1][0].isdigit()]
    assert len(signs) >= 2  # "need action" and "before" of the module answered in both rounds
    assert all(sign[1] < digit[1] for digit, sign in signs), signs
