"""The district overview and a facility's plans in Chromium (issue 12): at 360 px and
1280 px, in English and Arabic, with no serious axe-core violation and nothing wider
than the screen but the table, which scrolls inside its card."""

import pytest

from healthwise.facilities.models import District
from tests.browser.test_i18n_a11y import OPEN_DETAILS, axe_problems
from tests.conftest import DEFAULT_PASSWORD, Phone, checklist_ids, loaded, new_id

WIDTHS = (360, 1280)


@pytest.fixture
def district(app, make_facility, make_token, make_user):
    """A district with an assessed facility that has a plan, and one never assessed."""
    facility = make_facility("Riverside Health Centre", District(name="Lakeside"))
    with loaded(app) as session:
        from healthwise.facilities.models import Facility

        session.add(Facility(name="Hilltop Dispensary",
                             district=session.merge(facility.district)))
        session.commit()
    phone = Phone(app.test_client(), facility, make_token(facility))
    assessment_id, response_id = new_id(), new_id()
    changes = [phone.change("assessment", assessment_id, {
        "facility_id": facility.id, "checklist_id": "healthwise", "checklist_version": 2,
        "title": "Baseline", "kind": "baseline", "status": "agreed",
        "started_on": "2026-01-15"}),
        phone.change("response", response_id, {"assessment_id": assessment_id,
                                              "participant": "A", "role": "nurse"})]
    changes += [phone.change("answer", new_id(), {
        "response_id": response_id, "checkpoint_id": c, "action": "yes" if i % 3 else "no",
        "priority": False, "remark": ""}) for i, c in enumerate(checklist_ids())]
    changes.append(phone.change("action_item", new_id(), {
        "assessment_id": assessment_id, "checkpoint_id": "HZ-01", "action": "Clear the exits",
        "responsible": "", "due_on": "2026-03-01", "cost": "low", "status": "planned",
        "rank": 1}))
    phone.sync(changes)
    manager = make_user("manager", [facility.district], email="dm@example.org")
    return {"facility": facility, "manager": manager}


def _signed_in(browser, live_server, width, lang):
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    page.goto(f"{live_server}/manage/sign-in")
    page.fill("input[name=email]", "dm@example.org")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/language/{lang}")
    return context, page


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_and_the_facility_page_are_accessible_and_fit(
        browser, live_server, district, width, lang):
    context, page = _signed_in(browser, live_server, width, lang)
    try:
        facility = district["facility"]
        pages = {"overview": f"/manage/districts/{facility.district_id}",
                 "facility": f"/manage/facilities/{facility.id}/plans"}
        for name, path in pages.items():
            page.goto(live_server + path)
            assert page.locator("html").get_attribute("dir") == (
                "rtl" if lang == "ar" else "ltr")
            page.evaluate(OPEN_DETAILS)
            assert axe_problems(page) == [], (name, width, lang)
            wider = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wider <= 0, f"{name} at {width} px is {wider} px wider than the screen"
        page.goto(live_server + pages["overview"])
        assert page.locator("svg[role=img]").count() == 2
        assert page.locator("tr.attention").count() == 2  # overdue action; never assessed
        link = page.get_by_role("link", name="Riverside Health Centre")
        link.click()
        page.wait_for_url("**/plans")
        assert "Clear the exits" in page.content()
    finally:
        context.close()
