"""Phone app budgets: shell and checklist sizes, load times on a Slow 4G phone.

Prints:

- the gzipped size of the app shell (every file the service worker precaches,
  which is what the first screen needs) against 100 KiB;
- the gzipped size of each localised checklist as the API sends it (zopfli, an
  ordinary gzip stream) against 30 KiB, with zlib's gzip -6 of the same JSON beside it;
- with Chromium's Slow 4G emulation through CDP (150 ms latency, 1.6 Mbit/s down,
  750 kbit/s up, CPU 4x slower): time to the first usable checkpoint on a first
  load (empty caches, no service worker yet; target <= 3 s), and on a repeat load
  offline (from the service worker; target <= 1 s). Medians of a few runs.

It never fails: a missing browser or an error is printed, and it exits 0.

Example:
    .venv/bin/python benchmarks/bench_pwa.py [--runs 3]
"""

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHELL_BUDGET = 100 * 1024
CHECKLIST_BUDGET = 30 * 1024
FIRST_LOAD_TARGET = 3.0
REPEAT_TARGET = 1.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,
    "uploadThroughput": 750e3 / 8,
}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def make_app(tmp: Path):
    """The real app on a fresh SQLite database, migrated, with one facility and a code."""
    from flask_migrate import upgrade

    from healthwise import create_app
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db
    from healthwise.facilities.models import District, Facility

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "DEMO_DATA": False,
        }
    )
    with app.app_context():
        upgrade()
        facility = Facility(name="Bench Health Centre", district=District(name="Bench District"))
        db.session.add(facility)
        db.session.commit()
        _, code = create_enrolment_code(facility.id, uses=100, ttl=timedelta(hours=1))
        db.session.commit()
    return app, code


def sizes(app) -> None:
    from healthwise.pwa.views import build

    client = app.test_client()
    files = build(app.config["STATIC_DIR"])["files"]
    print("App shell (the service worker's precache list), gzip -6:")
    total = raw_total = 0
    for url in files:
        body = client.get(url).data
        total += gz(body)
        raw_total += len(body)
        print(f"  {url:40s} {len(body):8,d} B  {gz(body):7,d} B gz")
    verdict = "OK" if total <= SHELL_BUDGET else "OVER BUDGET"
    print(
        f"  {'total':40s} {raw_total:8,d} B  {total:7,d} B gz = {total / 1024:.1f} KiB "
        f"(budget {SHELL_BUDGET // 1024} KiB: {verdict})"
    )
    print(
        "Localised checklists: the gzip GET /api/v1/checklists/<id>?lang=.. sends "
        "(Accept-Encoding: gzip, what a phone downloads), and zlib gzip -6 of the same JSON:"
    )
    for item in client.get("/api/v1/checklists").get_json()["checklists"]:
        for lang in app.config["LANGUAGES"]:
            url = f"/api/v1/checklists/{item['id']}?lang={lang}"
            body = client.get(url).data
            sent = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert sent.headers.get("Content-Encoding") == "gzip"
            served = len(sent.data)
            verdict = "OK" if served <= CHECKLIST_BUDGET else "OVER BUDGET"
            print(
                f"  {item['id']}:{lang:3s} {len(body):8,d} B  {served:7,d} B gz = "
                f"{served / 1024:.1f} KiB (budget {CHECKLIST_BUDGET // 1024} KiB: {verdict}; "
                f"gzip -6: {gz(body) / 1024:.1f} KiB)"
            )


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


USABLE = ".choices.answer input[value=yes]"


def timings(browser, base: str, code: str, runs: int) -> None:
    first, repeat = [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 360, "height": 640})
        page = context.new_page()
        # Join and open a round at full speed: that is not what is measured.
        page.goto(f"{base}/#/join")
        page.fill("input[name=code]", code)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Assessment rounds")
        page.goto(f"{base}/#/round/new")
        page.fill("input[name=title]", "Bench round")
        page.click("button[type=submit]")
        page.wait_for_url("**/join")
        page.click("button[type=submit]")
        page.wait_for_url("**/#/walk/*")
        walk = page.evaluate("location.hash") + "/HZ-01"
        # Now forget the shell, the service worker and the checklist: a first load.
        page.evaluate("""async () => {
          for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
          for (const k of await caches.keys()) await caches.delete(k);
          await new Promise((ok) => { const r = indexedDB.open("healthwise"); r.onsuccess = () => {
            const t = r.result.transaction("checklists", "readwrite");
            t.objectStore("checklists").clear();
            t.oncomplete = () => { r.result.close(); ok(); }; }; });
        }""")
        page.close()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto(f"{base}/{walk}", wait_until="commit")
        page.wait_for_selector(USABLE, timeout=60000)
        first.append(page.evaluate("performance.now()") / 1000)
        # The service worker installs during the first visit; then offline, again.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60000)
        cdp.send("Network.emulateNetworkConditions", {**SLOW_4G, "offline": True})
        context.set_offline(True)
        page.goto(f"{base}/{walk}", wait_until="commit")
        page.reload(wait_until="commit")
        page.wait_for_selector(USABLE, timeout=60000)
        repeat.append(page.evaluate("performance.now()") / 1000)
        context.close()

    def show(name, values, target):
        median = statistics.median(values)
        verdict = "OK" if median <= target else "OVER TARGET"
        print(
            f"  {name:44s} median {median:.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)}; "
            f"target <= {target:.0f} s: {verdict})"
        )

    print("Slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up) and CPU 4x slower, 360x640:")
    show("first load to a usable checkpoint", first, FIRST_LOAD_TARGET)
    show("repeat load offline to a usable checkpoint", repeat, REPEAT_TARGET)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pwa-"))
    try:
        app, code = make_app(tmp)
        sizes(app)
        if not Path(CHROMIUM).exists():
            print(f"Timings skipped: {CHROMIUM} is not installed.")
            return 0
        from playwright.sync_api import sync_playwright

        server, base = serve(app)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                timings(browser, base, code, args.runs)
                browser.close()
        finally:
            server.shutdown()
    except Exception:  # noqa: BLE001 - a benchmark reports, it does not fail the build
        traceback.print_exc()
        print("bench_pwa: error (see above); figures may be incomplete.")
    finally:
        time.sleep(0.1)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
