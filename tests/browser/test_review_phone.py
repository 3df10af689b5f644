"""A district manager's review reaches the committee's phone: the plan screen shows the
comment and who reviewed it, read-only; the phone never queues a change to it."""

from datetime import date

from healthwise.districts.review import save_review
from healthwise.extensions import db

EDIT = """async (id) => {
  try {
    await (await import('/static/js/outbox.js')).edit('review', id, {comment: 'mine'});
    return 'queued';
  } catch (e) { return e.message; }
}"""
BRING_BACK = """async (id) => (await import('/static/js/outbox.js')).bringBack([{
  change_id: crypto.randomUUID(), type: 'review', id, base_rev: 1, fields: {comment: 'file'}}])"""
SET_LANG = """async (code) => (await import('/static/js/i18n.js')).setLang(code)"""


def test_the_plan_screen_shows_the_manager_s_review_read_only(app, phones, enrolment):
    phone = phones()
    phone.join()
    aid = phone.start_round("Baseline")
    phone.wait_synced()
    with app.app_context():
        save_review(enrolment[0], aid, "dm@example.org",
                    "Good plan.\nStart with the sharps boxes.", True, None, date(2026, 12, 2))
        db.session.commit()
    phone.sync_now()
    (review,) = phone.records("review")
    assert review["parent"] == aid and review["fields"]["reviewed"] is True
    phone.goto(f"/plan/{aid}")
    card = phone.page.locator(".card.review")
    card.get_by_text("Start with the sharps boxes.").wait_for()
    text = card.inner_text()
    assert "Reviewed by" in text and "dm@example.org" in text and "2026" in text
    assert "Good plan.\nStart with the sharps boxes." in text  # the line break is kept
    assert card.locator("input, textarea, select, button").count() == 0
    # Nothing on the phone can queue a change to it.
    assert "cannot be changed" in phone.page.evaluate(EDIT, review["id"])
    assert phone.page.evaluate(BRING_BACK, review["id"]) == 0  # nor a phone's file
    assert phone.idb("outbox", "count") == 0
    # In Arabic: the screen's words change, the comment stays as written.
    phone.page.evaluate(SET_LANG, "ar")
    phone.page.wait_for_function(
        "() => document.querySelector('.card.review h2')?.textContent === 'مراجعة المنطقة'")
    assert "راجعه dm@example.org" in card.inner_text()
    assert "Start with the sharps boxes." in card.inner_text()
    phone.assert_no_errors()
