"""What the phone keeps and forgets: the languages from the server, the one 'forget this
facility', and a service worker that caches the shell only."""

#: The first statement of the scripts below: open the phone's database as ``db``.
OPEN_DB = """
  const db = await new Promise((ok) => {
    const request = indexedDB.open("healthwise");
    request.onsuccess = () => ok(request.result);
  });"""


def test_languages_come_from_the_server_and_hold_offline(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    phone.wait_until(lambda: phone.idb("meta", "locales"), what="locales kept")
    codes = [x["code"] for x in phone.idb("meta", "locales")["locales"]]
    assert codes == ["en", "fr", "es", "pt", "ar"], codes
    phone.set_offline(True)
    phone.page.reload()
    phone.goto("/settings")
    radios = phone.page.locator("input[name=lang]")
    radios.first.wait_for()
    assert radios.count() == 5
    phone.page.locator(".choice:has(input[value=ar])").click()
    phone.page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    phone.assert_no_errors()


def test_upgraded_phone_without_locales_keeps_its_language_offline(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    phone.goto("/settings")
    phone.page.locator(".choice:has(input[value=ar])").click()
    phone.wait_until(lambda: phone.idb("meta", "i18n:ar"), what="arabic catalogue")
    phone.page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    # As a phone of the previous version: no list of languages kept.
    phone.page.evaluate("async () => {" + OPEN_DB + """
      const t = db.transaction("meta", "readwrite"); t.objectStore("meta").delete("locales");
      await new Promise((ok) => { t.oncomplete = ok; }); db.close();
    }""")
    phone.set_offline(True)
    phone.page.reload()
    phone.page.wait_for_function(
        "() => document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar'")
    phone.goto("/settings")
    phone.page.locator("input[name=lang]").first.wait_for()
    codes = phone.page.eval_on_selector_all("input[name=lang]",
                                            "els => els.map((e) => e.value)")
    assert set(codes) == {"en", "ar"}, codes
    phone.assert_no_errors()


def test_sign_out_forgets_plans_positions_and_old_api_cache(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    phone.wait_checklist()
    aid = phone.start_round("Forget me")
    rid = phone.join_round("Ana")
    phone.page.get_by_role("link", name="Start").click()
    phone.answer("yes")
    phone.wait_synced()
    phone.goto(f"/plan/{aid}")
    phone.wait_until(lambda: phone.idb("meta", f"plan:{aid}:en"), what="plan kept")
    assert phone.idb("meta", f"pos:{rid}")
    # What a service worker of the previous version left.
    phone.page.evaluate(
        "caches.open('api-v1').then((c) => c.put('/api/v1/me', new Response('{}')))")
    phone.goto("/settings")
    phone.page.get_by_role("button", name="Sign out").click()
    phone.page.get_by_role("dialog").get_by_role("button", name="Sign out").click()
    phone.page.get_by_label("Enrolment code").wait_for()
    keys = phone.page.evaluate("async () => {" + OPEN_DB + """
      const q = db.transaction("meta").objectStore("meta").getAllKeys();
      const keys = await new Promise((ok) => { q.onsuccess = () => ok(q.result); });
      db.close();
      return keys;
    }""")
    assert not [k for k in keys if k.startswith(("plan:", "pos:"))], keys
    assert "device_id" in keys and "token" not in keys
    names = phone.page.evaluate("caches.keys()")
    assert all(n.startswith("shell-") for n in names), names
    phone.assert_no_errors()


def test_api_is_not_cached_by_the_service_worker(phones):
    phone = phones()
    phone.join()
    phone.wait_sw()
    phone.wait_checklist()
    phone.page.reload()
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    names = phone.page.evaluate("caches.keys()")
    assert len(names) == 1 and names[0].startswith("shell-"), names
    phone.assert_no_errors()
