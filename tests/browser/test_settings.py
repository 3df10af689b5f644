"""Settings: export, sign out (with its warning), and a phone signed out by the server."""

import json


def test_export_and_sign_out_warns_about_unsent_changes(phones):
    phone = phones()
    phone.join()
    phone.set_offline(True)
    aid = phone.start_round("Not sent yet")
    phone.goto("/settings")
    with phone.page.expect_download() as download:
        phone.page.get_by_role("button", name="Export the data on this phone as a file").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert exported["format"] == "healthwise-phone-export"
    assert [r["id"] for r in exported["records"]] == [aid]
    assert [c["id"] for c in exported["changes"]] == [aid]
    assert exported["outbox"] and "token" not in dict(exported["meta"])

    phone.page.get_by_role("button", name="Sign out").click()
    dialog = phone.page.get_by_role("dialog")
    assert "One change is not sent yet and will be lost" in dialog.inner_text()
    dialog.get_by_role("button", name="Sign out").click()
    phone.page.get_by_label("Enrolment code").wait_for()
    assert phone.idb("records") == [] and phone.idb("outbox") == []
    assert phone.idb("meta", "token") is None
    assert phone.idb("meta", "device_id")  # the phone keeps its own id
    phone.assert_no_errors()


def test_phone_signed_out_by_the_server_keeps_unsent_data(phones, revoke_every_token):
    phone = phones()
    phone.join()
    phone.wait_checklist()
    phone.set_offline(True)
    phone.start_round("Made before the token was revoked")
    revoke_every_token()
    phone.set_offline(False)
    phone.goto("/")
    phone.page.get_by_role("heading", name="This phone was signed out").wait_for()
    assert phone.idb("outbox", "count") > 0 and phone.records("assessment")
    phone.page.get_by_role("link", name="Join again").click()
    with phone.page.expect_download() as download:
        phone.page.get_by_role("button", name="Save unsent changes as a file").click()
    saved = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [c["type"] for c in saved["changes"]] == ["assessment"]
    assert "token" not in dict(saved["meta"])
    phone.assert_no_errors()
