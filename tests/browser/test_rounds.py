"""Rounds and participants: a double tap creates one record; a mistaken round is closed
or removed, with a confirmation (issue 9, case 10)."""

from playwright.sync_api import expect

from healthwise.assessments.models import Assessment, Response


def test_double_tap_on_start_the_round_makes_one_round(phones, server_rows):
    phone = phones()
    phone.join()
    phone.goto("/round/new")
    phone.page.get_by_label("Title").fill("Baseline")
    phone.page.get_by_role("button", name="Start the round").dblclick()
    phone.page.wait_for_url("**/#/round/*/join")
    phone.page.get_by_role("button", name="Start my checklist").wait_for()
    assert [r["fields"]["title"] for r in phone.records("assessment")] == ["Baseline"]
    phone.wait_synced()
    assert [a.title for a in server_rows(Assessment)] == ["Baseline"]
    phone.assert_no_errors()


def test_double_tap_on_start_my_checklist_makes_one_participant(phones, server_rows):
    phone = phones()
    phone.join()
    aid = phone.start_round()
    phone.page.get_by_label("Your name (optional)").fill("Ana")
    phone.page.get_by_role("button", name="Start my checklist").dblclick()
    phone.page.wait_for_url("**/#/walk/*")
    phone.page.locator(".mod-num").first.wait_for()
    assert [r["fields"]["participant"] for r in phone.records("response")] == ["Ana"]
    phone.wait_synced()
    assert [r.participant for r in server_rows(Response, assessment_id=aid)] == ["Ana"]

    # Back on the round, the main button continues Ana's checklist: joining again
    # is there for someone else on this phone, not the obvious tap.
    phone.goto(f"/round/{aid}")
    phone.page.get_by_role("link", name="Continue my checklist").wait_for()
    main = phone.page.locator(".actions .btn.primary")
    assert main.all_inner_texts() == ["Continue my checklist"]
    main.click()
    phone.page.wait_for_url(f"**/#/walk/{phone.records('response')[0]['id']}")
    phone.goto(f"/round/{aid}")
    assert phone.page.get_by_role("link", name="Join this round").count() == 0
    phone.page.get_by_role("link", name="Someone else joins on this phone").wait_for()
    phone.assert_no_errors()


def test_closing_and_removing_a_round_ask_first(phones, server_rows):
    phone = phones()
    phone.join()
    aid = phone.start_round("Started by mistake")
    phone.wait_synced()
    phone.goto(f"/round/{aid}")
    status = phone.page.get_by_label("Status", exact=True)

    # Closing asks; "Cancel" leaves the round open.
    status.select_option("closed")
    dialog = phone.page.get_by_role("dialog", name="Close this round?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(status).to_have_value("open")
    assert phone.idb("outbox", "count") == 0
    status.select_option("closed")
    dialog.get_by_role("button", name="Close the round").click()
    phone.page.locator("#toast").filter(has_text="Saved").wait_for()
    phone.wait_synced()
    assert [a.status for a in server_rows(Assessment)] == ["closed"]

    # Removing asks too; once confirmed the round is gone from this phone's lists
    # and the server knows it is removed (every phone then hides it).
    phone.page.get_by_role("button", name="Remove this round").click()
    dialog = phone.page.get_by_role("dialog", name="Remove this round?")
    dialog.get_by_role("button", name="Cancel").click()
    assert phone.idb("outbox", "count") == 0
    phone.page.get_by_role("button", name="Remove this round").click()
    dialog.get_by_role("button", name="Remove").click()
    phone.page.wait_for_url("**/#/")
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    assert phone.page.get_by_role("link", name="Started by mistake").count() == 0
    phone.wait_synced()
    (row,) = server_rows(Assessment)
    assert row.removed is True
    phone.assert_no_errors()


def test_a_round_removed_on_another_phone_is_hidden(phones):
    ana, ben = phones(), phones()
    ana.join()
    ben.join()
    aid = ana.start_round("Started by mistake")
    ana.wait_synced()
    ben.sync_now()
    ben.page.get_by_role("link", name="Started by mistake").wait_for()
    ana.goto(f"/round/{aid}")
    ana.page.get_by_role("button", name="Remove this round").click()
    ana.page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    # The removal is in the outbox once the phone says so; only then can "synced" mean sent.
    ana.page.locator("#toast").filter(has_text="The round was removed.").wait_for()
    ana.wait_synced()
    ben.sync_now()
    expect(ben.page.get_by_role("link", name="Started by mistake")).to_have_count(0)
    ben.goto(f"/round/{aid}")
    ben.page.get_by_text("This round was removed.").wait_for()
    ana.assert_no_errors()
    ben.assert_no_errors()
