"""A phone on a workshop laptop's Wi-Fi: `healthwise serve --server waitress --host 0.0.0.0`
reached over plain http at the laptop's own address, where Chromium refuses service
workers. The app loads, joins, keeps its answers offline and syncs them."""

import sqlite3

from healthwise.serving import lan_addresses
from tests.browser.conftest import LAN_HOST, PhoneApp
from tests.live import cli, environment, healthwise_serve


def test_the_app_works_over_plain_http_from_the_laptops_address(browser, tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'laptop.db'}", tmp_path / "instance")
    env["HEALTHWISE_RATELIMIT_ENABLED"] = "1"
    with healthwise_serve(env, "--server", "waitress", host="0.0.0.0",
                          log=tmp_path / "serve.log") as server:
        facility = cli(env, "facility", "create", "--district", "D", "--name", "F").strip()
        code = cli(env, "code", "create", "--facility", facility).strip()
        # The machine's own Wi-Fi address if it has one (what phones type), else a name
        # Chromium maps to this machine: either way plain http that is not 127.0.0.1.
        found = lan_addresses()
        base = f"http://{found[0] if found else LAN_HOST}:{server.port}"
        phone = PhoneApp(browser, base, code)
        try:
            phone.join()
            assert phone.page.evaluate(
                "[window.isSecureContext, 'serviceWorker' in navigator]") == [False, False]
            phone.page.get_by_text("Offline reload is not available on this connection") \
                .wait_for()
            phone.wait_checklist()
            phone.set_offline(True)
            phone.start_round("Workshop practice")
            response_id = phone.join_round("Eve", "worker_rep")
            phone.page.get_by_role("link", name="Start").click()
            answered = {phone.answer(action) for action in ("yes", "no", "na")}
            phone.set_offline(False)
            phone.reopen()  # online again: the page loads from the laptop, no worker
            phone.page.locator(".cp-action").wait_for()
            phone.wait_synced()
            phone.assert_no_errors()
        finally:
            phone.close()
        output = server.output()
    with sqlite3.connect(tmp_path / "laptop.db") as db:
        stored = {row[0] for row in db.execute(
            "SELECT checkpoint_id FROM answers WHERE response_id = ?", (response_id,))}
    assert stored == answered
    assert f"{base}/" in output or not found


def test_a_trainer_signs_in_over_plain_http_at_the_laptops_address(browser, tmp_path):
    """Production settings, HEALTHWISE_SECURE_COOKIES unset: the session cookie is not
    Secure over http, so Chromium keeps it at the Wi-Fi address and the QR carries it."""
    env = environment(f"sqlite:///{tmp_path / 'laptop.db'}", tmp_path / "instance")
    env.pop("HEALTHWISE_SECURE_COOKIES", None)
    with healthwise_serve(env, "--server", "waitress", host="0.0.0.0",
                          log=tmp_path / "serve.log") as server:
        cli({**env, "HEALTHWISE_PASSWORD": "correct horse battery"}, "user", "create",
            "--email", "tom@example.org", "--role", "trainer")
        cli(env, "workshop", "create", "--trainer", "tom@example.org", "--name", "Mombasa")
        found = lan_addresses()
        base = f"http://{found[0] if found else LAN_HOST}:{server.port}"
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.goto(f"{base}/manage/sign-in")
            page.fill("input[name=email]", "tom@example.org")
            page.fill("input[name=password]", "correct horse battery")
            page.click("button[type=submit]")
            page.get_by_role("heading", name="Workshops").wait_for()
            (cookie,) = [c for c in context.cookies() if c["name"] == "healthwise_session"]
            assert cookie["secure"] is False and cookie["httpOnly"] is True
            page.get_by_role("link", name="Mombasa").click()
            page.goto(page.url + "/projector")
            page.get_by_role("button").filter(has_text="code").first.click()
            assert base.split("//")[1] in page.locator(".projector-link").inner_text()
        finally:
            context.close()
