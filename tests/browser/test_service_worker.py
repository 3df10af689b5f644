"""Installable and offline: the service worker's precache, offline reload, updates,
and the path with no service worker (plain http on a workshop LAN)."""

import json
import re

from healthwise.assessments.models import Answer
from healthwise.pwa import views as pwa_views

CACHE_PATHS = """async (name) => {
  const names = name ? [name] : await caches.keys();
  const keys = (await Promise.all(names.map(async (n) => (await caches.open(n)).keys()))).flat();
  return keys.map((r) => new URL(r.url).pathname + new URL(r.url).search);
}"""


def built(phone):
    """The BUILD line the server put into /sw.js: {"version", "files"}."""
    source = phone.page.evaluate("fetch('/sw.js').then((r) => r.text())")
    return json.loads(re.search(r"^const BUILD = (.*);$", source, re.MULTILINE).group(1))


def test_service_worker_precaches_the_shell_and_serves_it_offline(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    build = built(phone)
    assert "/" in build["files"] and "/static/js/app.js" in build["files"]
    assert sorted(phone.page.evaluate(CACHE_PATHS, f"shell-{build['version']}")) == sorted(
        build["files"]
    )
    manifest = phone.page.evaluate("fetch('/manifest.webmanifest').then((r) => r.json())")
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])

    phone.set_offline(True)
    served = []
    phone.page.on("response", lambda r: served.append((r.url, r.from_service_worker)))
    phone.page.reload()
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    shell = [(url, sw) for url, sw in served if "/api/" not in url]
    assert shell and all(sw for _, sw in shell), shell
    # Writes are never cached.
    assert not [p for p in phone.page.evaluate(CACHE_PATHS, None) if p.startswith("/api/v1/sync")]
    phone.assert_no_errors()


def test_new_version_takes_over_without_losing_data(phones, monkeypatch, server_rows):
    phone = phones()
    phone.join()
    phone.wait_sw()
    old = built(phone)["version"]
    aid = phone.start_round("Kept across updates")
    phone.set_offline(True)
    rid = phone.join_round("Dee")
    phone.page.get_by_role("link", name="Start").click()
    phone.answer("yes")
    phone.set_offline(False)

    original = pwa_views.build
    monkeypatch.setattr(
        pwa_views, "build", lambda d: {**original(d), "version": original(d)["version"] + "x"}
    )
    phone.page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    # Installing the new version fetches the whole shell: slow on a loaded machine.
    phone.page.locator("#toast").filter(has_text="A new version of the app is ready").wait_for(
        timeout=60000)
    phone.page.get_by_role("button", name="Reload").click()
    phone.page.locator(".cp-head .mono", has_text="HZ-02").wait_for()  # back where it was
    names = phone.page.evaluate("caches.keys()")
    assert f"shell-{old}x" in names and f"shell-{old}" not in names
    assert [r["id"] for r in phone.records("assessment")] == [aid]
    assert [r["fields"]["action"] for r in phone.records("answer")] == ["yes"]
    phone.wait_synced()
    assert [a.response_id for a in server_rows(Answer)] == [rid]
    phone.assert_no_errors()


def test_without_service_worker_data_is_kept_and_synced(phones, server_rows):
    phone = phones(lan=True)
    phone.join()
    assert phone.page.evaluate("[window.isSecureContext, 'serviceWorker' in navigator]") == [
        False,
        False,
    ]
    phone.page.get_by_text("Offline reload is not available on this connection").wait_for()
    phone.wait_checklist()
    phone.set_offline(True)
    phone.start_round("Workshop round")
    rid = phone.join_round("Eve", "worker_rep")
    phone.page.get_by_role("link", name="Start").click()
    expected = {phone.answer(a, remark=f"note {i}"): a for i, a in enumerate(["yes", "no", "na"])}
    phone.page.close()
    assert server_rows(Answer) == []

    phone.set_offline(False)
    phone.page = phone.open_page()
    phone.page.goto(f"{phone.base}/")
    phone.page.locator(".cp-action").wait_for()  # resumes the walk-through
    phone.wait_synced()
    got = {a.checkpoint_id: a.action for a in server_rows(Answer, response_id=rid)}
    assert got == expected
    phone.assert_no_errors()
