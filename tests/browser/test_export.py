"""Unsent work is never deleted without asking: joining another facility asks and offers
the export; an exported file is brought back on a phone and synced (issue 9, case 8)."""

import json

from healthwise.assessments.files import read_phone_file
from healthwise.assessments.models import Assessment, Response

WIRE_KEYS = {"change_id", "type", "id", "base_rev", "fields"}


def make_unsent_work(phone, revoke_every_token):
    """A round and a participant made offline; then the server signs the phone out."""
    phone.join()
    phone.wait_checklist()
    phone.set_offline(True)
    aid = phone.start_round("Made offline")
    rid = phone.join_round("Ana")
    revoke_every_token()
    phone.set_offline(False)
    phone.goto("/")
    phone.page.get_by_role("heading", name="This phone was signed out").wait_for()
    return aid, rid


def enter_code(phone, code):
    phone.goto("/join")
    phone.page.get_by_label("Enrolment code").fill(code)
    phone.page.get_by_role("button", name="Join", exact=True).click()


def test_joining_another_facility_asks_before_unsent_work_is_deleted(
    phones, enrolment, other_enrolment, revoke_every_token
):
    phone = phones()
    aid, rid = make_unsent_work(phone, revoke_every_token)
    before = phone.idb("outbox")
    assert len(before) == 2

    enter_code(phone, other_enrolment[1])
    question = "Join Hilltop Clinic and delete the changes not sent from this phone?"
    dialog = phone.page.get_by_role("dialog", name=question)
    assert "2 changes are not sent yet and will be lost" in dialog.inner_text()
    with phone.page.expect_download() as download:
        dialog.get_by_role("button", name="Save unsent changes as a file").click()
    raw = download.value.path().read_bytes()
    saved = json.loads(raw)
    assert saved["format"] == "healthwise-phone-export" and saved["version"] == 1
    assert saved["facility_id"] == enrolment[0]
    assert saved["changes"] == [{k: c[k] for k in WIRE_KEYS} for c in before]
    # The manager's upload in /manage reads the same changes and facility from it.
    found = read_phone_file(raw)
    assert (found.changes, found.facility_id) == (saved["changes"], enrolment[0])
    dialog.get_by_role("button", name="Cancel").click()
    phone.page.get_by_text("Nothing was deleted: the changes not sent stay").wait_for()
    assert phone.idb("outbox") == before
    assert phone.idb("meta", "scope")["facility"]["id"] == enrolment[0]

    # Confirmed: the phone works for the other facility, without the old work.
    enter_code(phone, other_enrolment[1])
    phone.page.get_by_role("dialog").get_by_role("button", name="Delete them and join").click()
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    assert phone.idb("outbox") == [] and phone.records("assessment") == []
    assert phone.idb("meta", "scope")["facility"]["id"] == other_enrolment[0]
    phone.assert_no_errors()


def test_an_exported_file_is_brought_back_and_synced(phones, enrolment, other_enrolment, tmp_path,
                                                     server_rows, revoke_every_token):
    phone = phones()
    aid, rid = make_unsent_work(phone, revoke_every_token)
    phone.goto("/join")
    with phone.page.expect_download() as download:
        phone.page.get_by_role("button", name="Save unsent changes as a file").click()
    path = tmp_path / "unsent.json"
    download.value.save_as(path)

    # A phone of another facility cannot send it: it says so and keeps nothing.
    other = phones()
    other.join(code=other_enrolment[1])
    other.goto("/settings")
    with other.page.expect_file_chooser() as chooser:
        other.page.get_by_role("button", name="Bring back changes from a file").click()
    chooser.value.set_files(path)
    other.page.locator("#toast").filter(has_text="This file is from another facility").wait_for()
    assert other.idb("outbox") == []

    # A phone of the same facility brings it back: shown at once, then sent.
    again = phones()
    again.join()
    again.goto("/settings")
    with again.page.expect_file_chooser() as chooser:
        again.page.get_by_role("button", name="Bring back changes from a file").click()
    chooser.value.set_files(path)
    again.page.locator("#toast").filter(has_text="2 changes brought back").wait_for()
    again.goto(f"/round/{aid}")
    again.page.get_by_role("link", name="Continue my checklist").wait_for()  # the round's screen
    again.page.locator(".list .item .name", has_text="Ana").wait_for()
    again.wait_synced()
    assert [a.id for a in server_rows(Assessment)] == [aid]
    assert [(r.id, r.participant) for r in server_rows(Response)] == [(rid, "Ana")]

    # Bringing the same file back twice stores nothing twice.
    again.goto("/settings")
    with again.page.expect_file_chooser() as chooser:
        again.page.get_by_role("button", name="Bring back changes from a file").click()
    chooser.value.set_files(path)
    again.wait_synced()
    assert len(server_rows(Assessment)) == 1 and len(server_rows(Response)) == 1
    for p in (phone, other, again):
        p.assert_no_errors()
