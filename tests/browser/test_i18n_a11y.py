"""Arabic reads right to left everywhere; no serious accessibility problem on any screen."""

import pytest

from .conftest import AXE


def choose_language(phone, name):
    phone.goto("/settings")
    # click, not check: the screen re-renders in the new language at once
    phone.page.get_by_role("radio", name=name, exact=True).click()


def test_arabic_renders_right_to_left(phones):
    phone = phones()
    phone.join()
    # The test steps find buttons by their English names: set up first, then switch.
    aid = phone.start_round("جولة")
    rid = phone.join_round("سلمى")
    choose_language(phone, "العربية")
    phone.page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert phone.page.evaluate("document.documentElement.lang") == "ar"
    phone.goto(f"/walk/{rid}")
    phone.page.reload()  # the choice is kept on the phone
    phone.page.locator(".mod-num").first.wait_for()
    assert phone.page.evaluate("document.documentElement.lang") == "ar"
    assert phone.page.evaluate(
        "[document.documentElement.dir, getComputedStyle(document.querySelector('main')).direction]"
    ) == ["rtl", "rtl"]
    phone.page.locator("a.btn.primary.big").click()
    phone.page.locator(".cp-action").wait_for()
    box = {
        v: phone.page.locator(f".choice:has(input[value={v}])").bounding_box()
        for v in ("yes", "no")
    }
    assert box["yes"]["x"] > box["no"]["x"], "Yes comes first, on the right"
    back, title = (
        phone.page.locator("#back").bounding_box(),
        phone.page.locator("#title").bounding_box(),
    )
    assert back["x"] > title["x"], "the back link sits on the right in Arabic"
    prev, nxt = (phone.page.locator(".walk-nav .btn").nth(i).bounding_box() for i in (0, 1))
    assert prev["x"] > nxt["x"], "Previous is on the right, Next on the left"
    phone.goto(f"/group/{aid}")
    phone.page.wait_for_function("() => location.hash.startsWith('#/group/')")
    assert phone.page.evaluate("document.documentElement.dir") == "rtl"

    choose_language(phone, "English")
    phone.page.wait_for_function("() => document.documentElement.dir === 'ltr'")
    phone.assert_no_errors()


SCREENS = [
    ("join", None),
    ("home", "/"),
    ("start a round", "/round/new"),
    ("round", "/round/{aid}"),
    ("join the round", "/round/{aid}/join"),
    ("modules", "/walk/{rid}"),
    ("checkpoint", "/walk/{rid}/HZ-01"),
    ("group view", "/group/{aid}"),
    ("action plan", "/plan/{aid}"),
    ("new action", "/plan/{aid}/item/new"),
    ("action", "/plan/{aid}/item/{iid}"),
    ("sync", "/sync"),
    ("settings", "/settings"),
]


OPEN_DETAILS = "() => document.querySelectorAll('main details').forEach((d) => { d.open = true; })"


def axe_problems(page):
    """Serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["English", "العربية"])
def test_no_serious_accessibility_violation_on_any_screen(phones, language):
    phone = phones(bypass_csp=True)  # axe is injected as a script: tests only
    phone.goto("/join")
    phone.page.get_by_label("Enrolment code").wait_for()
    found = {"join": axe_problems(phone.page)}
    phone.join()
    phone.wait_checklist()
    aid = phone.start_round("Baseline")
    rid = phone.join_round("Ana")
    phone.page.locator("a.btn.primary.big").click()
    phone.answer("yes", priority=True, remark="Needs a second box")
    phone.goto(f"/plan/{aid}")
    phone.page.get_by_role("button", name="Add to the plan").first.click()
    phone.page.locator("#toast").filter(has_text="Added").wait_for()
    iid = phone.records("action_item")[0]["id"]
    if language != "English":  # the steps above use English names; then switch
        choose_language(phone, language)
        phone.page.wait_for_function("() => document.documentElement.dir === 'rtl'")

    for name, route in SCREENS[1:]:
        phone.goto(route.format(aid=aid, rid=rid, iid=iid))
        phone.page.wait_for_function(
            "() => document.querySelector('main').getAttribute('aria-busy') === 'false'"
        )
        phone.page.locator("main .view").first.wait_for()
        phone.page.evaluate(OPEN_DETAILS)
        found[name] = axe_problems(phone.page)
    assert {k: v for k, v in found.items() if v} == {}
    phone.assert_no_errors()
