"""A workshop in Chromium: the trainer starts the round on the page, a participant's phone
joins it (it cannot start its own) and answers, and the live view on the projector shows
the count change without a reload (issue 13)."""

from datetime import date, timedelta

from healthwise.assessments.models import Answer, Assessment
from tests.conftest import DEFAULT_PASSWORD

from .conftest import PhoneApp


def test_the_trainer_starts_a_round_a_phone_answers_and_the_live_view_follows(
        app, browser, live_server, make_workshop, make_user, server_rows):
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db

    trainer = make_user("trainer", email="tom@example.org")
    workshop = make_workshop("Mombasa training", trainer=trainer, starts_on=date.today())
    practice_id = workshop.facility_id
    with app.app_context():
        _, code = create_enrolment_code(practice_id, uses=100, ttl=timedelta(hours=1))
        db.session.commit()

    # The trainer's page, at projector width: start the practice round for everyone.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    trainer_page = context.new_page()
    errors = []
    trainer_page.on("pageerror", lambda e: errors.append(str(e)))
    trainer_page.goto(f"{live_server}/manage/sign-in")
    trainer_page.fill("input[name=email]", "tom@example.org")
    trainer_page.fill("input[name=password]", DEFAULT_PASSWORD)
    trainer_page.click("button[type=submit]")
    trainer_page.goto(f"{live_server}/manage/workshops/{workshop.id}")
    trainer_page.get_by_label("Title").fill("Practice round")
    trainer_page.get_by_role("button", name="Start the round").click()
    trainer_page.get_by_text("The round has started").wait_for()
    (assessment,) = server_rows(Assessment)
    trainer_page.goto(f"{live_server}/manage/workshops/{workshop.id}/live")
    answers = trainer_page.locator("[data-stat=answered]")
    assert answers.inner_text() == "0"

    phone = PhoneApp(browser, live_server, code)
    try:
        phone.join("Participant 7")
        # The phone shows the trainer's round with "Join this round", and no "Start a round".
        phone.page.get_by_text("Practice round").first.wait_for()
        assert phone.page.get_by_role("link", name="Start a round").count() == 0
        phone.page.get_by_role("link", name="Join this round").click()
        phone.join_round("Wanjiru", "clinical")
        phone.page.get_by_role("link", name="Start").click()
        cp = phone.answer("yes", True, "Practice remark")
        phone.wait_synced()
        (answer,) = server_rows(Answer)
        assert (answer.checkpoint_id, answer.action, answer.assessment_id) == (
            cp, "yes", assessment.id)
        phone.assert_no_errors()
    finally:
        phone.close()

    # Without a reload: the live view polls and puts the new figures in place.
    trainer_page.wait_for_function(
        "() => document.querySelector('[data-stat=answered]').innerText === '1'",
        timeout=15000)
    trainer_page.locator("#live-every summary").click()  # every checkpoint, opened
    row = trainer_page.locator(f"tr[data-checkpoint='{cp}']")
    assert row.locator("[data-count=yes]").inner_text() == "1"
    assert row.locator("[data-count=priority]").inner_text() == "1"
    assert "Wanjiru" in trainer_page.locator("#live-panel").inner_text()
    assert int(trainer_page.locator("#live-panel").get_attribute("data-refreshed")) >= 1
    assert not errors
    context.close()
