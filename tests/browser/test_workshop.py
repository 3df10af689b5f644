"""A workshop participant's phone: the usual join screen, a round on the practice facility."""

from datetime import date, timedelta

from healthwise.assessments.models import Answer, Assessment

from .conftest import PhoneApp


def test_a_participant_joins_a_workshop_and_practises_a_round(app, browser, live_server,
                                                             make_workshop, server_rows):
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db

    workshop = make_workshop("Mombasa training", starts_on=date.today())
    practice_id = workshop.facility_id
    with app.app_context():
        _, code = create_enrolment_code(practice_id, uses=100, ttl=timedelta(hours=1))
        db.session.commit()
    phone = PhoneApp(browser, live_server, code)
    try:
        phone.join("Participant 7")
        phone.page.get_by_text("Mombasa training").first.wait_for()
        aid = phone.start_round("Practice round")
        phone.join_round("Wanjiru", "clinical")
        phone.page.get_by_role("link", name="Start").click()
        cp = phone.answer("yes", True, "Practice remark")
        phone.wait_synced()
        (assessment,) = server_rows(Assessment)
        assert (assessment.id, assessment.facility_id) == (aid, practice_id)
        (answer,) = server_rows(Answer)
        assert (answer.checkpoint_id, answer.action, answer.remark) == (cp, "yes",
                                                                        "Practice remark")
        phone.assert_no_errors()
    finally:
        phone.close()
