"""Benchmark a workshop on a laptop: 100 phones join with one code and each syncs a
complete response, against ``healthwise serve`` (gunicorn, then waitress).

Each server gets a fresh instance folder (SQLite, the default rate limits on), a
trainer, a workshop and one join code for 100 phones, made with the ``healthwise``
command. Then the phones, each a thread with its own keep-alive connection, as a
phone on plain http does (no service worker, so it loads the shell from the server):

1. the trainer starts the workshop's round (``healthwise workshop start-round``): in a
   workshop participants join the trainer's round and never start their own;
2. the 100 phones, released at once, each: load the app shell (``/``, ``/sw.js`` and the
   files it lists), redeem the code (``POST /api/v1/enrol``), read the limits and the
   checklist, pull (which brings the round), then push their own complete response
   (the response record and one answer per checkpoint, about 70) in batches of at
   most ``changes_per_request`` (and 200, as static/js/sync.js does), and pull again.

Printed: the time until all 100 are done (the quality bar: within 60 s), p50/p95 per
kind of request, and errors (any non-2xx or a change not ``applied``; must be 0).

Run: .venv/bin/python benchmarks/bench_workshop_load.py [phones]   (never fails)
"""

import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.live import cli, environment, healthwise_serve  # noqa: E402

PHONES = 100
BATCH = 200  # static/js/sync.js
PASSWORD = "a long enough password"


class Phone:
    """One phone: its connection, token, device id, and the timings of its requests."""

    def __init__(self, url: str, number: int, timings: dict, errors: list):
        self.url, self.number = url, number
        self.session = requests.Session()
        self.device_id = str(uuid.uuid4())
        self.timings, self.errors = timings, errors
        self.token = self.scope = None
        self.cursor = None

    def call(self, kind: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            reply = self.session.request(method, self.url + path, timeout=60, **kwargs)
        except requests.RequestException as error:
            self.errors.append(f"phone {self.number} {kind}: {error}")
            return None
        self.timings[kind].append(time.perf_counter() - started)
        if not reply.ok:
            self.errors.append(f"phone {self.number} {kind}: {reply.status_code} "
                               f"{reply.text[:200]}")
            return None
        return reply

    def load_app(self) -> None:
        self.call("shell", "GET", "/")
        worker = self.call("shell", "GET", "/sw.js")
        files = re.findall(r'"(/static/[^"]+)"', worker.text) if worker else []
        for path in files:
            self.call("shell", "GET", path)

    def join(self, code: str) -> bool:
        reply = self.call("enrol", "POST", "/api/v1/enrol",
                          json={"code": code, "device_name": f"Phone {self.number}"})
        if reply is None:
            return False
        body = reply.json()
        self.token, self.scope = body["token"], body["scope"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        self.limits = self.call("limits", "GET", "/api/v1/limits").json()
        checklist = self.call("checklist", "GET", "/api/v1/checklists/healthwise?lang=en")
        self.checklist = checklist.json()
        return True

    def sync(self, changes: list[dict]) -> dict | None:
        """Push ``changes`` in batches as the phone does; pull until nothing more comes."""
        most = min(BATCH, self.limits["changes_per_request"])
        pulled, start = [], 0
        while True:
            batch = changes[start:start + most]
            start += len(batch)
            reply = self.call("sync", "POST", "/api/v1/sync", json={
                "device_id": self.device_id, "cursor": self.cursor, "changes": batch})
            if reply is None:
                return None
            body = reply.json()
            for result in body["results"]:
                if result["status"] != "applied":
                    self.errors.append(f"phone {self.number}: {result}")
            pulled += body["changes"]
            self.cursor = body["cursor"]
            if start >= len(changes) and not body["more"]:
                return {"changes": pulled}

    def respond(self) -> bool:
        """Pull the trainer's round, then push a complete response."""
        pulled = self.sync([])
        rounds = [c["id"] for c in (pulled or {"changes": []})["changes"]
                  if c["type"] == "assessment"]
        if not rounds:
            self.errors.append(f"phone {self.number}: the round did not come with the pull")
            return False
        return self.sync(response_changes(rounds[0], self.checklist, self.number)) is not None


def change(type_: str, record_id: str, fields: dict) -> dict:
    return {"change_id": str(uuid.uuid4()), "type": type_, "id": record_id, "base_rev": None,
            "fields": fields}


def response_changes(round_id: str, checklist: dict, number: int) -> list[dict]:
    """One participant's complete response: the response and an answer per checkpoint."""
    response_id = str(uuid.uuid4())
    changes = [change("response", response_id, {"assessment_id": round_id,
                                                "participant": f"Participant {number}",
                                                "role": "clinical", "completed": True})]
    checkpoints = [cp["id"] for module in checklist["modules"] for cp in module["checkpoints"]]
    for index, checkpoint_id in enumerate(checkpoints):
        changes.append(change("answer", str(uuid.uuid4()), {
            "response_id": response_id, "checkpoint_id": checkpoint_id,
            "action": ("yes", "no", "na")[(index + number) % 3],
            "priority": (index + number) % 5 == 0, "remark": ""}))
    return changes


def workshop(url: str, code: str, phones: int = PHONES) -> dict:
    """Run the workshop's phones against ``url``; return the figures.

    :param code: the one join code every phone redeems.
    :param phones: how many phones, released at once.
    """
    timings, errors = defaultdict(list), []
    gate = threading.Barrier(phones)
    started, cpu = time.perf_counter(), time.process_time()

    def one(number: int) -> Phone:
        phone = Phone(url, number, timings, errors)
        gate.wait()
        phone.load_app()
        if phone.join(code):
            phone.respond()
        return phone

    with ThreadPoolExecutor(phones) as pool:
        done = list(pool.map(one, range(1, phones + 1)))
    joined = next((p for p in done if p.token), None)
    return {"phones": phones, "seconds": time.perf_counter() - started,
            "client_cpu_seconds": time.process_time() - cpu, "errors": errors,
            "requests": {kind: summary(values) for kind, values in timings.items()},
            "checkpoints": sum(len(m["checkpoints"]) for m in joined.checklist["modules"])
            if joined else 0}


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"count": len(values), "p50_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000}


def prepare(env: dict, phones: int) -> str:
    """Make a trainer, a workshop, its round and one join code for ``phones``; return the code."""
    cli(env, "user", "create", "--email", "trainer@example.org", "--role", "trainer")
    made = cli(env, "workshop", "create", "--trainer", "trainer@example.org",
               "--name", "Workshop load test")
    workshop_id = re.search(r"Created workshop (\d+)", made).group(1)
    facility_id = re.search(r"practice facility (\d+)", made).group(1)
    cli(env, "workshop", "start-round", "--workshop", workshop_id, "--title", "Ward walk")
    return cli(env, "code", "create", "--facility", facility_id, "--uses", str(phones)).strip()


def setting_up(folder: Path, phones: int) -> tuple[dict, str]:
    """Return the environment of a fresh instance (default rate limits on) and its code."""
    env = environment(f"sqlite:///{folder / 'healthwise.db'}", folder / "instance")
    env.update({"HEALTHWISE_RATELIMIT_ENABLED": "1", "HEALTHWISE_PASSWORD": PASSWORD})
    cli(env, "init")
    return env, prepare(env, phones)


def print_figures(server: str, figures: dict) -> None:
    print(f"{server}: {figures['phones']} phones joined and synced a complete response "
          f"({figures['checkpoints']} answers) in {figures['seconds']:.1f} s; "
          f"errors: {len(figures['errors'])}; the load generator itself used "
          f"{figures['client_cpu_seconds']:.1f} s of CPU on the same machine")
    for kind, row in figures["requests"].items():
        print(f"  {kind:<9} {row['count']:>5} requests  p50 {row['p50_ms']:7.1f} ms  "
              f"p95 {row['p95_ms']:7.1f} ms")
    for error in figures["errors"][:5]:
        print(f"  error: {error}")


def main(phones: int = PHONES) -> None:
    for server in ("gunicorn", "waitress"):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            env, code = setting_up(folder, phones)
            with healthwise_serve(env, "--server", server, log=folder / "serve.log") as running:
                print_figures(f"healthwise serve --server {server}",
                              workshop(running.url, code, phones))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else PHONES)
