"""The app under gunicorn with several workers: concurrency and crash safety."""

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from healthwise.assessments.models import Answer, Change
from tests.conftest import checklist_ids
from tests.live import ROOT, cli, environment, free_port, served

CLIENTS = 100


def response_batch(assessment_id: str) -> list[dict]:
    """One participant's complete response: the response record and every answer."""
    response_id = str(uuid.uuid4())
    batch = [{"change_id": str(uuid.uuid4()), "type": "response", "id": response_id,
              "base_rev": None, "fields": {"assessment_id": assessment_id, "role": "nurse"}}]
    for number, checkpoint_id in enumerate(checklist_ids()):
        batch.append({"change_id": str(uuid.uuid4()), "type": "answer", "id": str(uuid.uuid4()),
                      "base_rev": None, "fields": {
                          "response_id": response_id, "checkpoint_id": checkpoint_id,
                          "action": ("yes", "no", "na")[number % 3],
                          "priority": number % 4 == 0, "remark": ""}})
    return batch


def setup_facility(server, env, phones: int = 1) -> tuple[list[str], str]:
    """Create a facility, an assessment and a token for each phone, joining as phones do
    (one enrolment code for all); return (tokens, assessment_id)."""
    facility_id = cli(env, "facility", "create", "--district", "D", "--name", "F").strip()
    code = cli(env, "code", "create", "--facility", facility_id, "--uses", str(phones)).strip()
    with ThreadPoolExecutor(max_workers=10) as pool:
        tokens = list(pool.map(lambda n: requests.post(
            f"{server.url}/api/v1/enrol", json={"code": code, "device_name": f"phone {n}"},
            timeout=60).json()["token"], range(phones)))
    token = tokens[0]
    assessment_id = str(uuid.uuid4())
    body = {"device_id": str(uuid.uuid4()), "changes": [{
        "change_id": str(uuid.uuid4()), "type": "assessment", "id": assessment_id,
        "base_rev": None, "fields": {"facility_id": int(facility_id),
                                     "checklist_id": "healthwise", "checklist_version": 1}}]}
    reply = requests.post(f"{server.url}/api/v1/sync", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    assert reply.json()["results"][0]["status"] == "applied"
    return tokens, assessment_id


def count(database_url: str, model) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        value = conn.scalar(select(func.count()).select_from(model.__table__))
    engine.dispose()
    return value


def send(url: str, token: str, device_id: str, batch: list[dict]) -> requests.Response:
    return requests.post(f"{url}/api/v1/sync", timeout=120,
                         json={"device_id": device_id, "changes": batch},
                         headers={"Authorization": f"Bearer {token}"})


def test_hundred_clients_resending_ten_times_store_each_change_once(tmp_path, live_database_url):
    with served(live_database_url, tmp_path / "instance", workers=2) as (server, env):
        tokens, assessment_id = setup_facility(server, env, CLIENTS)
        batches = [response_batch(assessment_id) for _ in range(CLIENTS)]
        device_ids = [str(uuid.uuid4()) for _ in range(CLIENTS)]
        statuses, codes = [], []
        lock = threading.Lock()

        def client(number: int) -> None:
            for _ in range(10):
                reply = send(server.url, tokens[number], device_ids[number], batches[number])
                with lock:
                    codes.append(reply.status_code)
                    if reply.status_code == 200:
                        statuses.extend(r["status"] for r in reply.json()["results"])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))

    assert not [c for c in codes if c >= 500]
    assert set(codes) == {200}
    per_batch = len(batches[0])
    assert set(statuses) == {"applied", "duplicate"}
    assert statuses.count("applied") == CLIENTS * per_batch
    assert count(live_database_url, Change) == CLIENTS * per_batch + 1
    assert count(live_database_url, Answer) == CLIENTS * (per_batch - 1)


def test_kill_9_mid_burst_loses_no_acknowledged_change(tmp_path, live_database_url):
    with served(live_database_url, tmp_path / "instance", workers=2) as (server, env):
        tokens, assessment_id = setup_facility(server, env, 40)
        batches = [response_batch(assessment_id) for _ in range(40)]
        device_ids = [str(uuid.uuid4()) for _ in range(40)]
        acknowledged: set[str] = set()
        lock = threading.Lock()

        def client(number: int) -> None:
            try:
                reply = send(server.url, tokens[number], device_ids[number], batches[number])
            except requests.RequestException:
                return
            if reply.status_code == 200:
                with lock:
                    acknowledged.update(r["change_id"] for r in reply.json()["results"]
                                        if r["status"] in ("applied", "duplicate"))

        killer = threading.Timer(0.4, server.kill)
        killer.start()
        with ThreadPoolExecutor(max_workers=40) as pool:
            list(pool.map(client, range(40)))
        killer.join()

        server.start()  # same database, after an unclean stop
        retried = 0
        for number in range(40):
            if not {c["change_id"] for c in batches[number]} <= acknowledged:
                reply = send(server.url, tokens[number], device_ids[number], batches[number])
                assert reply.status_code == 200
                retried += 1
                acknowledged.update(r["change_id"] for r in reply.json()["results"])

    engine = create_engine(live_database_url)
    with engine.connect() as conn:
        stored = set(conn.scalars(select(Change.change_id)))
        answers = conn.scalar(select(func.count()).select_from(Answer.__table__))
    engine.dispose()
    every = {c["change_id"] for batch in batches for c in batch}
    assert acknowledged <= stored and every <= stored
    assert answers == 40 * (len(batches[0]) - 1)  # no half batch, nothing twice
    if live_database_url.startswith("sqlite"):
        path = live_database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"acknowledged before the kill: {len(acknowledged)} changes; batches retried: {retried}")


def test_no_sqlite_leftovers_after_restart(tmp_path, live_database_url):
    """A restarted server on the same file keeps WAL mode and full sync."""
    if not live_database_url.startswith("sqlite"):
        pytest.skip("SQLite pragmas only")
    with served(live_database_url, tmp_path / "instance", workers=1):
        pass
    engine = create_engine(live_database_url)
    with engine.connect() as conn:
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
    engine.dispose()


def test_serve_migrates_loads_the_demo_prepares_checklists_and_serves(tmp_path):
    """`healthwise serve` (what `make run` calls) sets everything up before the workers."""
    env = environment(f"sqlite:///{tmp_path / 'serve.db'}", tmp_path / "instance")
    env["HEALTHWISE_DEMO_DATA"] = "1"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "healthwise.cli", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--workers", "1"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, reply = time.monotonic() + 90, None
        while time.monotonic() < deadline and reply is None:
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/api/v1/checklists/healthwise",
                                     params={"lang": "fr"}, timeout=5,
                                     headers={"Accept-Encoding": "gzip"}, stream=True)
            except requests.RequestException:
                time.sleep(0.2)
        assert reply is not None and reply.status_code == 200
        sent = reply.raw.read(decode_content=False)
        kept = list((tmp_path / "instance" / "cache").glob("checklist-*.gz"))
        assert len(kept) == 5  # every language, made before the worker started
        assert sent in [p.read_bytes() for p in kept]
        assert gzip.decompress(sent).startswith(b'{"id":"healthwise"')
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "Demo data loaded" in output and "Enrolment code for" in output
    assert "Prepared 5 compressed checklists" in output
    assert "gunicorn" in output.lower()
