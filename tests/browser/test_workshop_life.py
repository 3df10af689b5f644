"""A workshop's life in Chromium (issue 13): a phone joining by the workshop's QR link is
asked a name first, a closed workshop tells its phones so, and the trainer's projector
page is readable from the back of a room (1280 px) and fits a phone (360 px), in
English and Arabic, with no serious axe-core violation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from healthwise.devices.models import DeviceToken
from tests.browser.test_i18n_a11y import axe_problems
from tests.conftest import DEFAULT_PASSWORD, loaded

from .conftest import PhoneApp


def _workshop_code(app, workshop):
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db

    with app.app_context():
        _, code = create_enrolment_code(workshop.facility_id, uses=100, ttl=timedelta(hours=2))
        db.session.commit()
    return code


def test_a_workshop_link_asks_the_participants_name_before_joining(
        app, browser, live_server, make_workshop):
    workshop = make_workshop("Mombasa training")
    code = _workshop_code(app, workshop)
    phone = PhoneApp(browser, live_server, code)
    try:
        # What the projector's QR code holds.
        phone.goto(f"/join?code={code}&workshop=1")
        name = phone.page.get_by_label("Your name")
        name.wait_for()
        assert phone.page.get_by_label("Enrolment code").input_value() == code
        # Focused, waiting: nobody joins as "Phone" any more.
        phone.page.wait_for_function("document.activeElement?.name === 'device_name'")
        assert name.get_attribute("required") is not None
        phone.page.wait_for_timeout(500)
        assert phone.route().startswith("/join")
        phone.page.get_by_role("button", name="Join", exact=True).click()
        phone.page.get_by_role("alert").filter(has_text="Type your name").wait_for()
        assert phone.page.evaluate("document.activeElement.name") == "device_name"
        with loaded(app) as session:
            assert session.scalar(select(DeviceToken)) is None
        name.fill("Wanjiru Kamau")
        phone.page.get_by_role("button", name="Join", exact=True).click()
        phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
        phone.page.get_by_text("Mombasa training").first.wait_for()
        with loaded(app) as session:
            assert session.scalars(select(DeviceToken.name)).all() == ["Wanjiru Kamau"]
        # The trainer's list names the phone as typed.
        from tests.conftest import sign_in

        client = app.test_client()
        sign_in(client, workshop.trainer)
        assert "Wanjiru Kamau" in client.get(f"/manage/workshops/{workshop.id}").get_data(
            as_text=True)

        # Closed: the phone's next sync says the workshop has ended, and keeps its data.
        from healthwise.extensions import db
        from healthwise.facilities.models import Workshop
        from healthwise.workshops.service import close_workshop

        with app.app_context():
            close_workshop(db.session.get(Workshop, workshop.id))
            db.session.commit()
        phone.goto("/")
        phone.page.get_by_role("button", name="Sync now").click()
        phone.page.get_by_role("heading", name="This workshop has ended").wait_for()
        assert phone.idb("meta", "all") is not None
        phone.assert_no_errors()
    finally:
        phone.close()


def test_a_committee_link_keeps_the_name_optional(app, browser, live_server, enrolment):
    _facility_id, code = enrolment
    phone = PhoneApp(browser, live_server, code)
    try:
        phone.goto(f"/join?code={code}")
        name = phone.page.get_by_label("Name of this phone (optional)")
        name.wait_for()
        phone.page.wait_for_function("document.activeElement?.name === 'device_name'")
        phone.page.get_by_role("button", name="Join", exact=True).click()
        phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
        phone.assert_no_errors()
    finally:
        phone.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_projector_page_is_readable_and_accessible(app, browser, live_server,
                                                       make_user, make_workshop, width, lang):
    trainer = make_user("trainer", email="tom@example.org")
    workshop = make_workshop("Mombasa training", trainer=trainer)
    code = _workshop_code(app, workshop)
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    try:
        page.goto(f"{live_server}/manage/sign-in")
        page.fill("input[name=email]", "tom@example.org")
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/manage/workshops/")
        page.goto(f"{live_server}/language/{lang}")
        page.goto(f"{live_server}/manage/workshops/{workshop.id}/projector")
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        shown = page.locator(".projector-code")
        assert shown.inner_text() == code
        box = shown.bounding_box()
        size = float(page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.projector-code')).fontSize)"))
        qr = page.locator(".projector-qr").bounding_box()
        if width == 1280:
            # About 3 cm high capitals on a 2.5 m projected width: legible at 10 m.
            assert size >= 110, size
            assert qr["width"] >= 340
        else:
            assert size >= 40, size
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        wider = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wider <= 0, f"the projector at {width} px is {wider} px wider than the screen"
        assert axe_problems(page) == [], (width, lang)
    finally:
        context.close()
