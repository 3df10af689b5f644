"""Fixtures for the phone app in real Chromium (Debian's ``chromium``, driven by Playwright).

The real app runs in a thread (werkzeug ``make_server``) on 127.0.0.1 and a free
port: localhost is a secure context, so service workers work; a context created
with ``service_workers="block"`` stands in for a workshop laptop on plain http.
"""

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

LAN_HOST = "workshop-laptop.test"
CHROMIUM = os.environ.get("HEALTHWISE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A name that is not localhost, for the workshop-LAN case: plain http to it is
    # not a secure context, so the browser refuses service workers (and randomUUID).
    f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TIMEOUT_MS = 20000

# Messages Chromium prints for every failed request (expected offline, and for 404s
# the app handles), and for the server's COOP header on plain http (a workshop LAN).
# Anything else in the console (a CSP violation, an exception) fails the test.
EXPECTED_CONSOLE = (
    "Failed to load resource",
    "net::ERR_INTERNET_DISCONNECTED",
    "Cross-Origin-Opener-Policy header has been ignored",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs the phone app in real Chromium")


# Flask-Compress (1.25) streams static files through a generator and never closes
# the file it read them from, so each compressed static response leaves an unclosed
# file for the garbage collector (a ResourceWarning in the server thread). It is
# the app's setting, not the phone's behaviour: ignore exactly that warning here.
UNCLOSED_STATIC = (
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*static[/\\]"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.filterwarnings(UNCLOSED_STATIC))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _buffered(app):
    """Read each response whole and close it at once.

    Werkzeug's development server skips ``close()`` when a client resets the
    connection (Chromium does on reload), which leaks open static files; with
    warnings as errors that would fail an unrelated test.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app):
    """The real app served on 127.0.0.1 and a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def enrolment(app, make_facility):
    """A facility and an enrolment code for it: ``(facility_id, code)``."""
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db

    facility = make_facility()
    with app.app_context():
        _, code = create_enrolment_code(facility.id, uses=20, ttl=timedelta(hours=1))
        db.session.commit()
    return facility.id, code


@pytest.fixture
def other_enrolment(app, make_facility):
    """A second facility and a code for it: ``(facility_id, code)``."""
    from healthwise.devices.service import create_enrolment_code
    from healthwise.extensions import db

    facility = make_facility("Hilltop Clinic")
    with app.app_context():
        _, code = create_enrolment_code(facility.id, uses=20, ttl=timedelta(hours=1))
        db.session.commit()
    return facility.id, code


@pytest.fixture
def phones(browser, live_server, enrolment):
    """Return a callable that opens a new phone (a browser context) on the app."""
    opened = []

    def make(lan=False, **kwargs):
        """``lan=True``: reach the app as a workshop laptop on plain http (no service worker)."""
        base = live_server.replace("127.0.0.1", LAN_HOST) if lan else live_server
        phone = PhoneApp(browser, base, enrolment[1], **kwargs)
        opened.append(phone)
        return phone

    yield make
    for phone in opened:
        phone.close()


@pytest.fixture
def server_rows(app):
    """Return a callable: the rows of a model as the server has them now, read in a context
    of their own (detached, their columns loaded)."""
    from sqlalchemy import select

    from healthwise.extensions import db

    def rows(model, **filters):
        with app.app_context():
            return list(db.session.scalars(select(model).filter_by(**filters)))

    return rows


@pytest.fixture
def revoke_every_token(app):
    """Return a callable that revokes every device token, as a manager would."""
    from sqlalchemy import select

    from healthwise.devices.models import DeviceToken
    from healthwise.devices.service import revoke
    from healthwise.extensions import db

    def revoke_all():
        with app.app_context():
            for token in db.session.scalars(select(DeviceToken)):
                revoke(token)
            db.session.commit()

    return revoke_all


# JavaScript run in the page: read IndexedDB directly (the app has no test hooks).
IDB_READ = """async ([store, op]) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("healthwise");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  try {
    if (!db.objectStoreNames.contains(store)) return op === "count" ? 0 : null;
    const s = db.transaction(store).objectStore(store);
    const q = op === "count" ? s.count() : op === "all" ? s.getAll() : s.get(op);
    return await new Promise((ok, ko) => {
      q.onsuccess = () => ok(q.result);
      q.onerror = () => ko(q.error);
    });
  } finally { db.close(); }
}"""


# Put one value into an out-of-line store (meta) as another version of the app would.
IDB_PUT = """async ([store, key, value]) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("healthwise");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  try {
    const t = db.transaction(store, "readwrite");
    t.objectStore(store).put(value, key);
    await new Promise((ok, ko) => { t.oncomplete = ok; t.onerror = () => ko(t.error); });
  } finally { db.close(); }
}"""


class PhoneApp:
    """One phone: a browser context with the app open, and the steps a person takes."""

    def __init__(
        self,
        browser,
        base,
        code,
        *,
        service_workers="allow",
        width=360,
        height=640,
        bypass_csp=False,
    ):
        self.base = base
        self.code = code
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": width, "height": height},
            service_workers=service_workers,
            bypass_csp=bypass_csp,
            locale="en-GB",
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.open_page()

    def open_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", self._console)
        return page

    def _console(self, msg):
        if msg.type == "error" and not any(x in msg.text for x in EXPECTED_CONSOLE):
            self.errors.append(f"console: {msg.text}")

    def close(self):
        self.context.close()

    # --- navigation ---------------------------------------------------------

    def goto(self, route="/"):
        self.page.goto(f"{self.base}/#{route}")

    def route(self) -> str:
        return self.page.evaluate("location.hash.slice(1)")

    def reopen(self):
        """Close the tab and open the app again from its start URL, as from the home screen."""
        self.page.close()
        self.page = self.open_page()
        self.page.goto(f"{self.base}/")

    def set_offline(self, offline: bool):
        self.context.set_offline(offline)

    # --- storage and sync -----------------------------------------------------

    def idb(self, store, op="all"):
        return self.page.evaluate(IDB_READ, [store, op])

    def idb_put(self, store, key, value):
        self.page.evaluate(IDB_PUT, [store, key, value])

    def records(self, type_):
        return [r for r in self.idb("records") or [] if r["type"] == type_]

    def wait_sw(self):
        """Wait until a service worker controls the page."""
        self.page.wait_for_function(
            "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
        )

    def wait_until(self, predicate, timeout=TIMEOUT_MS, what="condition"):
        """Poll ``predicate()`` (which reads IndexedDB, an async API) until it is true."""
        deadline = time.monotonic() + timeout / 1000
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(150)

    def wait_synced(self, timeout=TIMEOUT_MS):
        """Wait until the outbox is empty: only an acknowledged sync empties it."""
        self.wait_until(
            lambda: self.idb("outbox", "count") == 0 and self.idb("meta", "last_sync"),
            timeout,
            "the outbox to be sent",
        )

    def wait_checklist(self):
        self.wait_until(lambda: self.idb("checklists", "count") > 0, what="the checklist")

    def sync_now(self):
        """Press "Sync now" on the home screen and wait for the result."""
        self.goto("/")
        before = self.idb("meta", "last_sync") or 0
        self.page.get_by_role("button", name="Sync now").click()
        # A toast left from an earlier sync says "up to date" too: wait for this sync's own end.
        self.wait_until(lambda: (self.idb("meta", "last_sync") or 0) > before, what="the sync")
        self.page.locator("#toast").filter(has_text="up to date").wait_for()

    # --- what a person does -----------------------------------------------------

    def join(self, device_name="Test phone", code=None):
        self.goto("/join")
        self.page.get_by_label("Enrolment code").fill(code or self.code)
        self.page.get_by_label("Name of this phone (optional)").fill(device_name)
        self.page.get_by_role("button", name="Join", exact=True).click()
        self.page.get_by_role("heading", name="Assessment rounds").wait_for()

    def start_round(self, title="Baseline"):
        """Start a round from the home screen; return its id."""
        self.goto("/")
        self.page.get_by_role("link", name="Start a round").first.click()
        self.page.get_by_label("Title").fill(title)
        self.page.get_by_role("button", name="Start the round").click()
        self.page.wait_for_url("**/#/round/*/join")
        return self.route().split("/")[2]

    def join_round(self, participant="", role="clinical"):
        """On the "Join this round" screen: return the new response's id."""
        self.page.get_by_label("Your name (optional)").fill(participant)
        self.page.get_by_label("Your role").select_option(role)
        self.page.get_by_role("button", name="Start my checklist").click()
        self.page.wait_for_url("**/#/walk/*")
        self.page.locator(".mod-num").first.wait_for()
        return self.route().split("/")[2]

    def answer(self, action, priority=False, remark=None):
        """Answer the checkpoint on screen, then go to the next one; return its id."""
        page = self.page
        cp = page.locator(".cp-head .mono").inner_text()
        page.locator(f".choice:has(input[value={action}])").click()
        if priority:
            page.locator(".toggle").click()
        if remark is not None:
            page.get_by_label("Remark (optional)").fill(remark)
        page.locator(".saved").filter(has_text="Saved").wait_for()
        page.locator(".walk-nav .btn.primary").click()
        page.wait_for_function(
            "id => [...document.querySelectorAll('.cp-head .mono')].some((e) => e.innerText != id)",
            arg=cp,
        )
        return cp

    def assert_no_errors(self):
        assert not self.errors, self.errors
