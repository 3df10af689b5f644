"""The outbox never stalls: a change that keeps failing is set aside, the rest is sent, and
the user can discard it after the export is offered; limits come from the server; the
sync card never says "all sent" while anything waits (issue 9, cases 3 and 9)."""

import json

from playwright.sync_api import expect

from healthwise.assessments.models import ActionItem, Answer, Assessment

LONG = "Repair the sluice room door and fit a lock; " * 30  # about 1,300 characters


def fail_for(record_id):
    """A route handler: the server answers 500 to any sync request carrying that record."""

    def handle(route):
        body = route.request.post_data_json or {}
        if any(c["id"] == record_id for c in body.get("changes", [])):
            route.fulfill(status=500, content_type="text/html", body="Internal Server Error")
        else:
            route.continue_()

    return handle


def card_says(phone, text):
    """The home screen's sync card says exactly this."""
    phone.goto("/")
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    expect(phone.page.get_by_role("region", name="Sync status").locator(".q")).to_have_text(text)


def test_a_change_the_server_fails_on_is_set_aside_and_can_be_discarded(phones, server_rows):
    # No service worker: every request comes from the page, where the route sees it.
    phone = phones(service_workers="block")
    phone.join()
    phone.wait_checklist()
    phone.start_round()
    rid = phone.join_round("Ana")
    phone.wait_synced()
    phone.set_offline(True)
    phone.page.get_by_role("link", name="Start").click()
    checkpoints = [phone.answer(a) for a in ("yes", "no", "na", "yes")]
    bad = next(r["id"] for r in phone.records("answer")
               if r["fields"]["checkpoint_id"] == checkpoints[1])
    phone.context.route("**/api/v1/sync", fail_for(bad))
    phone.set_offline(False)

    # The other answers arrive; the one the server fails on waits aside.
    phone.wait_until(lambda: len(server_rows(Answer, response_id=rid)) == 3, what="3 answers")
    phone.wait_until(lambda: [c["status"] for c in phone.idb("outbox")] == ["failed"],
                     what="the failing change set aside")
    assert {a.checkpoint_id for a in server_rows(Answer)} == set(checkpoints) - {checkpoints[1]}
    card_says(phone, "One change could not be sent")
    expect(phone.page.locator("#pill")).to_have_text("Needs attention")

    # A later edit of another record is not held back by it.
    phone.goto(f"/walk/{rid}/{checkpoints[0]}")
    phone.page.get_by_label("Remark (optional)").fill("Sent although one change fails")
    phone.page.locator(".saved").filter(has_text="Saved").wait_for()
    phone.goto("/")
    phone.wait_until(lambda: any(a.remark for a in server_rows(Answer)), what="the remark")

    phone.goto("/sync")
    card = phone.page.locator(".card.alert")
    assert "The server failed on this change" in card.inner_text()
    card.get_by_role("button", name="Discard").click()
    dialog = phone.page.get_by_role("dialog", name="Discard this change?")
    assert "One change is not sent yet and will be lost" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert phone.idb("outbox", "count") == 1  # kept: not confirmed

    card.get_by_role("button", name="Discard").click()
    with phone.page.expect_download() as download:
        dialog.get_by_role("button", name="Save unsent changes as a file").click()
    saved = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [c["id"] for c in saved["changes"]] == [bad]
    dialog.get_by_role("button", name="Discard").click()
    phone.wait_until(lambda: phone.idb("outbox", "count") == 0, what="the change discarded")
    card_says(phone, "All changes sent")
    phone.assert_no_errors()


def test_changes_wait_behind_a_participant_the_server_fails_on(phones, server_rows):
    """Its answers are not sent (the server would refuse them) until it goes through."""
    phone = phones(service_workers="block")
    phone.join()
    phone.wait_checklist()
    aid = phone.start_round()
    phone.wait_synced()
    phone.set_offline(True)
    phone.goto(f"/round/{aid}/join")
    rid = phone.join_round("Ana")
    phone.page.get_by_role("link", name="Start").click()
    for action in ("yes", "no"):
        phone.answer(action)
    phone.context.route("**/api/v1/sync", fail_for(rid))
    phone.set_offline(False)
    phone.wait_until(lambda: [c["status"] for c in phone.idb("outbox")]
                     == ["failed", "pending", "pending"], what="the participant set aside")
    phone.goto("/")
    phone.page.get_by_role("button", name="Sync now").click()  # does not send the answers
    phone.page.locator("#toast").filter(has_text="Synced. One change still needs you.").wait_for()
    assert server_rows(Answer) == [] and phone.idb("outbox", "count") == 3
    card_says(phone, "2 changes not yet sent")

    phone.goto("/sync")
    phone.page.locator(".card.alert").get_by_role("button", name="Discard").click()
    dialog = phone.page.get_by_role("dialog", name="Discard this change?")
    assert "3 changes are not sent yet and will be lost" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()

    # The server works again: the participant goes first, then its answers.
    phone.context.unroute("**/api/v1/sync")
    phone.sync_now()
    phone.wait_synced()
    assert len(server_rows(Answer, response_id=rid)) == 2
    card_says(phone, "All changes sent")
    phone.assert_no_errors()


def test_limits_come_from_the_server_and_hold_offline(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    phone.wait_until(lambda: phone.idb("meta", "limits"), what="the limits")
    limits = phone.idb("meta", "limits")
    assert limits["fields"]["action_item"]["action"] == 1000
    aid = phone.start_round()
    phone.set_offline(True)
    phone.page.reload()
    phone.goto(f"/plan/{aid}/item/new")
    action = phone.page.get_by_label("What will be done")
    assert action.get_attribute("maxlength") == "1000"
    assert phone.page.get_by_label("Responsible").get_attribute("maxlength") == "200"

    # A text set past the limit (maxlength only stops typing) is refused before saving.
    action.evaluate("(el, text) => { el.value = text; }", LONG)
    phone.page.get_by_role("button", name="Add to the plan").click()
    phone.page.get_by_text("This text is too long: at most 1000 characters.").wait_for()
    assert phone.records("action_item") == []

    # The numbers are the server's, not the app's: other numbers give other limits.
    phone.context.route("**/api/v1/limits", lambda route: route.fulfill(json={
        **limits, "fields": {**limits["fields"], "action_item": {"action": 50}}}))
    phone.set_offline(False)
    phone.page.reload()
    phone.wait_until(lambda: phone.idb("meta", "limits")["fields"]["action_item"] == {"action": 50},
                     what="the new limits")
    phone.goto("/")  # the form open before the limits came is shown again
    phone.goto(f"/plan/{aid}/item/new")
    expect(phone.page.get_by_label("What will be done")).to_have_attribute("maxlength", "50")
    assert phone.page.get_by_label("Responsible").get_attribute("maxlength") is None
    phone.assert_no_errors()


def test_a_rejected_create_takes_the_fix_and_the_card_never_says_all_sent(phones, server_rows):
    """The phone's limits are older than the server's: the server rejects the action."""
    phone = phones()
    phone.context.route("**/api/v1/limits", lambda route: route.fulfill(json={
        "fields": {"action_item": {"action": 2000}}}))
    phone.join()
    aid = phone.start_round()
    phone.wait_synced()
    phone.goto(f"/plan/{aid}/item/new")
    phone.page.get_by_label("What will be done").fill(LONG)
    phone.page.get_by_role("button", name="Add to the plan").click()
    phone.page.wait_for_url(f"**/#/plan/{aid}")
    phone.wait_until(lambda: [c["status"] for c in phone.idb("outbox")] == ["rejected"],
                     what="the create rejected")
    card_says(phone, "One change could not be sent")
    phone.page.get_by_role("link", name="One change to fix").wait_for()
    assert server_rows(ActionItem) == []

    # The user shortens the text: the edit goes into the create, which is sent again.
    (item,) = phone.records("action_item")
    phone.goto(f"/plan/{aid}/item/{item['id']}")
    phone.page.get_by_label("What will be done").fill("Repair the sluice room door")
    phone.page.get_by_label("Responsible").click()  # leaves the field: saved
    phone.page.locator(".saved").filter(has_text="Saved").wait_for()
    short = "Repair the sluice room door"
    # One change: the create, with the fix in it (if not sent already).
    assert all(c["base_rev"] is None and c["fields"]["action"] == short
               for c in phone.idb("outbox"))
    phone.wait_synced()
    (row,) = server_rows(ActionItem)
    assert (row.id, row.action, row.assessment_id) == (item["id"], short, aid)
    card_says(phone, "All changes sent")
    phone.assert_no_errors()


def test_a_cursor_the_server_never_issued_is_dropped(phones, server_rows):
    ana, ben = phones(), phones()
    ana.join()
    ben.join()
    ben.wait_synced()
    ana.start_round("Ana's round")
    ana.wait_synced()
    ben.set_offline(True)
    ben.start_round("Ben's round")
    ben.idb_put("meta", "cursor", "9999999999")  # as after the server was restored
    ben.set_offline(False)
    ben.wait_synced()
    ben.wait_until(lambda: len(ben.records("assessment")) == 2, what="Ana's round pulled")
    assert sorted(a.title for a in server_rows(Assessment)) == ["Ana's round", "Ben's round"]
    assert ben.idb("meta", "cursor") != "9999999999"
    ana.assert_no_errors()
    ben.assert_no_errors()
