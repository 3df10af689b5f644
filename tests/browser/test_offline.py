"""The phone loses nothing: offline walk-through, reload, close and reopen, then sync."""

from healthwise.assessments.models import Answer, Assessment, Response

from .conftest import server_rows


def test_full_walkthrough_offline(phones, enrolment):
    phone = phones()
    phone.join("Ana's phone")
    phone.wait_sw()
    phone.wait_checklist()  # it must be on the phone before the network goes
    phone.set_offline(True)
    phone.page.reload()
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    phone.page.locator("#pill").filter(has_text="Offline").wait_for()

    aid = phone.start_round("Baseline, ward 2")
    rid = phone.join_round("Ana", "clinical")
    phone.page.get_by_role("link", name="Start").click()
    expected = {}
    plan = [
        ("yes", True, "Sharps boxes are full"),
        ("no", False, None),
        ("na", False, None),
        ("yes", False, "Only on day shift"),
        ("no", False, ""),
    ]
    for action, priority, remark in plan:
        cp = phone.answer(action, priority, remark)
        expected[cp] = (action, priority, remark or "")
    where = phone.route()

    # Close the tab while offline and open the app again: it resumes where it was.
    phone.reopen()
    phone.page.wait_for_function("where => location.hash === '#' + where", arg=where)
    phone.page.locator(".cp-action").wait_for()
    for action, priority, remark in [("yes", False, None), ("yes", True, "Broken since May")]:
        cp = phone.answer(action, priority, remark)
        expected[cp] = (action, priority, remark or "")
    # The answers are kept on the phone and shown again.
    first = next(iter(expected))
    phone.goto(f"/walk/{rid}/{first}")
    phone.page.locator(".cp-head .mono", has_text=first).wait_for()
    assert phone.page.locator("input[value=yes]").is_checked()
    assert phone.page.locator("input[name=priority]").is_checked()
    assert phone.page.get_by_label("Remark (optional)").input_value() == "Sharps boxes are full"
    assert phone.idb("outbox", "count") > len(expected)
    assert server_rows(Answer) == []

    phone.set_offline(False)
    phone.wait_synced()

    assert [a.id for a in server_rows(Assessment)] == [aid]
    (response,) = server_rows(Response)
    assert (response.id, response.participant, response.role) == (rid, "Ana", "clinical")
    got = {
        a.checkpoint_id: (a.action, a.priority, a.remark)
        for a in server_rows(Answer, response_id=rid)
    }
    assert got == expected
    phone.assert_no_errors()


def test_answer_typed_then_tab_closed_is_kept(phones):
    """A remark typed just before the tab closes is saved (no blur, no Next)."""
    phone = phones()
    phone.join()
    phone.start_round()
    rid = phone.join_round("Bea")
    phone.page.get_by_role("link", name="Start").click()
    phone.set_offline(True)
    phone.page.locator(".choice:has(input[value=yes])").click()
    phone.page.get_by_label("Remark (optional)").fill("Typed, then the phone died")
    phone.page.close(run_before_unload=True)
    phone.page = phone.open_page()
    phone.page.goto(f"{phone.base}/")
    phone.page.locator(".cp-action").wait_for()
    assert (
        phone.page.get_by_label("Remark (optional)").input_value() == "Typed, then the phone died"
    )
    answers = [r for r in phone.records("answer") if r["fields"]["response_id"] == rid]
    assert [a["fields"]["remark"] for a in answers] == ["Typed, then the phone died"]
    phone.assert_no_errors()
