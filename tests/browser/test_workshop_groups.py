"""A participant's phone at 360 px knows its group: it shows the group's name and what it
walks, lists its group's round and not the other group's, and walks only its modules
(issue 13)."""

from datetime import date, timedelta

from healthwise.workshops.models import WorkshopGroup

from .conftest import PhoneApp


def test_a_phone_in_a_group_shows_it_and_walks_only_its_group_s_round(
        app, browser, live_server, make_workshop, make_user):
    from healthwise.devices.models import DeviceToken
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db
    from healthwise.workshops import service

    workshop = make_workshop("Mombasa training", starts_on=date.today())
    with app.app_context():
        _, code = create_enrolment_code(workshop.facility_id, uses=100, ttl=timedelta(hours=1))
        db.session.commit()

    phone = PhoneApp(browser, live_server, code, width=360, height=740)
    try:
        phone.join("Amina")
        with app.app_context():
            found = db.session.merge(workshop)
            modules = [m["id"] for m in service.checklist().data["modules"]]
            group_a = service.add_group(found, "Group A")
            group_b = service.add_group(found, "Group B")
            token = db.session.query(DeviceToken).filter_by(
                facility_id=found.facility_id).one()
            service.assign_phones(found, {token.id: group_a.id})
            service.start_round(found, "trainer@example.org", "Maternity ward",
                                [modules[1]], group_a)
            service.start_round(found, "trainer@example.org", "Outpatients",
                                modules[2:4], group_b)
            token_id, group_a_id = token.id, group_a.id
            db.session.commit()
        phone.sync_now()
        page = phone.page
        page.get_by_role("heading", name="Your group: Group A").wait_for()
        assert page.get_by_text("Your group walks: Maternity ward").count() == 1
        rounds = page.locator("ul.list .name").all_inner_texts()
        assert rounds == ["Maternity ward"], rounds
        assert page.get_by_text("Outpatients").count() == 0
        # Nothing spills past the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("link", name="Join this round").click()
        phone.join_round("Amina", "clinical")
        # The walk offers the group's one module only.
        assert page.locator(".mod-num").count() == 1

        # In Arabic, the same card, translated, right to left.
        phone.goto("/settings")
        page.locator(".langs .choice:has(input[value=ar])").click()
        page.wait_for_function("() => document.documentElement.dir === 'rtl'")
        phone.goto("/")
        page.get_by_role("heading", name="مجموعتك: Group A").wait_for()
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # Moved to no group: every round shows again, each with its group's name.
        with app.app_context():
            found = db.session.merge(workshop)
            service.assign_phones(found, {token_id: None})
            db.session.commit()
            assert db.session.get(WorkshopGroup, group_a_id).token_ids == []
        phone.goto("/settings")
        page.locator(".langs .choice:has(input[value=en])").click()
        page.wait_for_function("() => document.documentElement.dir === 'ltr'")
        phone.sync_now()
        page.get_by_text("Outpatients").wait_for()
        assert page.get_by_text("Group: Group B").count() == 1
        assert page.get_by_role("heading", name="Your group: Group A").count() == 0
        phone.assert_no_errors()
    finally:
        phone.close()
