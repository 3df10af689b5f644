"""Benchmark the sync endpoint: one response against the floor, and a workshop burst.

1. One complete response (the response record and one answer per checkpoint) through
   the whole HTTP stack (gunicorn, one worker, keep-alive), as a ratio to the floor:
   parse the same JSON and insert the same rows with SQLAlchemy Core in one
   transaction, on the same database settings, measured in the same run. "The same
   rows" are the rows sync stores, with the same values: each record (with its merge
   clock), and each change in the append-only history (with its digest), which is
   what makes a resend harmless. A lighter floor (empty clocks and digests, as this
   script measured before 2026-12-01) is printed beside it.
2. A burst: 100 concurrent clients each syncing a complete response to gunicorn
   (as `healthwise serve` runs it); time until all are acknowledged.

Run: .venv/bin/python benchmarks/bench_sync.py   (prints figures; never fails)
"""

import hashlib
import itertools
import json
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from healthwise.assessments.models import Answer, Change, Response  # noqa: E402
from healthwise.auth import models as _auth  # noqa: E402, F401 (for create_all)
from healthwise.extensions import db  # noqa: E402
from healthwise.facilities import models as _facilities  # noqa: E402, F401 (for create_all)
from tests.live import Server, cli, environment  # noqa: E402
from tests.test_live_server import response_batch  # noqa: E402

RUNS = 40
WORKERS = int(sys.argv[1]) if len(sys.argv) > 1 else 3  # as `healthwise serve` runs
SEQ = itertools.count(10**9)


def floor_once(engine, body: bytes, facility_id: int, content: bool = True) -> float:
    """Parse the JSON and insert the same rows with Core in one transaction.

    With ``content`` the same rows down to their values: each record with the merge
    clock sync keeps for it (``{field: {"o": 1, "w": {device: [seq, value, change_id,
    at]}}}``), each change with its digest. Without, the lighter rows earlier runs of
    this benchmark used (empty clocks and digests), printed beside it for comparison.
    """
    start = time.perf_counter()
    request = json.loads(body)
    device, changes = request["device_id"], request["changes"]
    now = datetime.now(UTC).replace(tzinfo=None)
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    seqs = {c["change_id"]: next(SEQ) for c in changes}

    def record(c):
        clock = {k: {"o": 1, "w": {device: [seqs[c["change_id"]], v, c["change_id"], at]}}
                 for k, v in c["fields"].items()} if content else {}
        return {"id": c["id"], "facility_id": facility_id, "rev": 1,
                "seq": seqs[c["change_id"]], "clock": clock, "conflicts": [],
                "created_at": now, "updated_at": now, **c["fields"]}

    response, answers = changes[0], changes[1:]
    with engine.begin() as conn:
        conn.execute(insert(Response.__table__), [record(response)])
        conn.execute(insert(Answer.__table__), [
            {**record(a), "assessment_id": response["fields"]["assessment_id"]}
            for a in answers])
        conn.execute(insert(Change.__table__), [{
            "change_id": c["change_id"], "seq": seqs[c["change_id"]], "device_id": device,
            "token_id": 1, "actor": "", "record_type": c["type"], "record_id": c["id"],
            "fields": c["fields"], "status": "applied", "rev": 1, "created_at": now,
            "digest": hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()
            if content else ""}
            for c in changes])
    return time.perf_counter() - start


def sqlite_engine(url: str):
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def worker_peaks(master_pid: int) -> list[float]:
    """Return the peak resident memory (VmHWM, MB) of each gunicorn worker."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return sorted(peaks)


def setup(server, env, phones=1):
    """Create a facility and an assessment; join ``phones`` phones with one code."""
    facility_id = cli(env, "facility", "create", "--district", "D", "--name", "F").strip()
    code = cli(env, "code", "create", "--facility", facility_id, "--uses", str(phones)).strip()
    tokens = [requests.post(f"{server.url}/api/v1/enrol", timeout=60,
                            json={"code": code, "device_name": f"phone {n}"}).json()["token"]
              for n in range(phones)]
    token = tokens[0]
    assessment_id = str(uuid.uuid4())
    requests.post(f"{server.url}/api/v1/sync", headers={"Authorization": f"Bearer {token}"},
                  json={"device_id": str(uuid.uuid4()), "changes": [{
                      "change_id": str(uuid.uuid4()), "type": "assessment", "id": assessment_id,
                      "base_rev": None, "fields": {"facility_id": int(facility_id),
                                                   "checklist_id": "healthwise",
                                                   "checklist_version": 1}}]}).raise_for_status()
    return int(facility_id), tokens, assessment_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        env = environment(url, Path(tmp) / "instance")
        cli(env, "init")

        server = Server(env, workers=1)
        server.start()
        try:
            facility_id, (token,), assessment_id = setup(server, env)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            # The floor writes to a database file of its own (same schema and settings),
            # so that neither side pays for the other's rows in checkpoints and indexes.
            engine = sqlite_engine(f"sqlite:///{tmp}/floor.db")
            db.metadata.create_all(engine)
            http, floor, light = [], [], []
            device_id, cursor = str(uuid.uuid4()), None
            for _ in range(RUNS):
                # A phone that synced before sends its next response with its cursor.
                batch = response_batch(assessment_id)
                body = json.dumps({"device_id": device_id, "cursor": cursor,
                                   "changes": batch}).encode()
                start = time.perf_counter()
                reply = session.post(f"{server.url}/api/v1/sync", data=body,
                                     headers={"Content-Type": "application/json"})
                http.append(time.perf_counter() - start)
                assert reply.ok and reply.json()["results"][-1]["status"] == "applied"
                cursor = reply.json()["cursor"]
                floor_body = json.dumps({"device_id": device_id,
                                         "changes": response_batch(assessment_id)}).encode()
                floor.append(floor_once(engine, floor_body, facility_id))
                light_body = json.dumps({"device_id": device_id,
                                         "changes": response_batch(assessment_id)}).encode()
                light.append(floor_once(engine, light_body, facility_id, content=False))
            engine.dispose()
        finally:
            server.stop()
        n = len(batch)
        h, f = statistics.median(http) * 1000, statistics.median(floor) * 1000
        print(f"one response ({n} changes), median of {RUNS}:")
        print(f"  sync through HTTP (gunicorn, 1 worker): {h:7.2f} ms")
        print(f"  floor (json.loads + Core insert, 1 tx):  {f:7.2f} ms")
        print(f"  ratio: {h / f:.2f}x   (target <= 3x)")
        lf = statistics.median(light) * 1000
        print(f"  lighter floor (empty clocks and digests): {lf:6.2f} ms, ratio {h / lf:.2f}x")

        server = Server(env, workers=WORKERS)
        server.start()
        try:
            facility_id, tokens, assessment_id = setup(server, env, 100)
            batches = [response_batch(assessment_id) for _ in range(100)]

            def client(number):
                reply = requests.post(f"{server.url}/api/v1/sync", timeout=120,
                                      headers={"Authorization": f"Bearer {tokens[number]}"},
                                      json={"device_id": str(uuid.uuid4()),
                                            "changes": batches[number]})
                return reply.status_code, {r["status"] for r in reply.json()["results"]}

            with ThreadPoolExecutor(max_workers=100) as pool:
                start = time.perf_counter()
                outcomes = list(pool.map(client, range(100)))
                elapsed = time.perf_counter() - start
            peaks = worker_peaks(server.process.pid)
        finally:
            server.stop()
        ok = sum(1 for code, statuses in outcomes if code == 200 and statuses == {"applied"})
        print(f"burst: 100 clients x {n} changes, all acknowledged in {elapsed:.2f} s "
              f"({ok}/100 fully applied; gunicorn {WORKERS} workers x 8 threads)   (target <= 5 s)")
        print(f"  peak resident memory per worker: {', '.join(f'{m:.0f}' for m in peaks)} MB"
              "   (target < 150 MB)")
    print("command: .venv/bin/python benchmarks/bench_sync.py")


if __name__ == "__main__":
    main()
