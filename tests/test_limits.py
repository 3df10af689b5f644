"""Limits that must hold for the whole server, whatever its number of workers: enrolment
code uses, rate limits, request bodies. Checked against real gunicorn."""

import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from healthwise.ratelimit import SQLiteStorage, path_of
from tests.live import Server, cli, environment, reset_database

PASSWORD = "a long enough password"


@contextmanager
def live(database_url: str, instance: Path, workers: int = 3, **settings: str):
    """Serve the app under gunicorn with HEALTHWISE_ settings; yield (server, env)."""
    reset_database(database_url)
    env = environment(database_url, instance)
    env.update({f"HEALTHWISE_{name}": value for name, value in settings.items()})
    env["HEALTHWISE_PASSWORD"] = PASSWORD
    cli(env, "init")
    server = Server(env, workers)
    server.start()
    try:
        yield server, env
    finally:
        server.stop()


def at_once(count: int, call) -> list:
    """Run ``call(number)`` from ``count`` threads released together; return the results."""
    start = threading.Barrier(count)

    def run(number):
        start.wait()
        return call(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


# Enrolment codes ----------------------------------------------------------------------------


def test_a_code_is_never_redeemed_past_its_uses_by_concurrent_phones(tmp_path, database_url):
    with live(database_url, tmp_path / "instance") as (server, env):
        facility_id = cli(env, "facility", "create", "--district", "D", "--name", "F").strip()
        for uses in (1, 3):
            code = cli(env, "code", "create", "--facility", facility_id, "--uses",
                       str(uses)).strip()

            def redeem(number, code=code):
                return requests.post(f"{server.url}/api/v1/enrol", timeout=60,
                                     headers={"Connection": "close"},
                                     json={"code": code, "device_name": f"phone {number}"})

            replies = at_once(16, redeem)
            statuses = sorted(reply.status_code for reply in replies)
            assert statuses == [201] * uses + [410] * (16 - uses), statuses
            refused = next(reply for reply in replies if reply.status_code == 410)
            assert refused.json()["error"]["code"] == "code_used_up"


# Rate limits --------------------------------------------------------------------------------


def test_the_sign_in_limit_holds_for_the_whole_server_across_workers(tmp_path, database_url):
    with live(database_url, tmp_path / "instance", RATELIMIT_ENABLED="1",
              RATELIMIT_SIGNIN_ADDRESS="10 per minute") as (server, env):
        cli(env, "user", "create", "--email", "boss@example.org", "--role", "admin")
        assert (tmp_path / "instance" / "ratelimits.db").exists() is False  # made on first use
        session = requests.Session()
        page = session.get(f"{server.url}/manage/sign-in", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        cookies = session.cookies.get_dict()

        def guess(number):
            # A new connection each time, so the attempts spread over the workers.
            return requests.post(f"{server.url}/manage/sign-in", timeout=60, cookies=cookies,
                                 headers={"Connection": "close"},
                                 data={"csrf_token": token, "password": f"guess {number}",
                                       "email": f"guess{number}@example.org"})

        replies = at_once(30, guess)
        statuses = sorted(reply.status_code for reply in replies)
        assert statuses == [200] * 10 + [429] * 20, statuses
        refused = next(reply for reply in replies if reply.status_code == 429)
        assert int(refused.headers["Retry-After"]) > 0
        assert (tmp_path / "instance" / "ratelimits.db").exists()


def test_the_sqlite_storage_counts_in_windows_shared_by_every_instance(tmp_path):
    uri = f"sqlite:///{tmp_path / 'limits.db'}"
    one, other = SQLiteStorage(uri), SQLiteStorage(uri)  # as two worker processes would
    assert [one.incr("k", 60), other.incr("k", 60), one.incr("k", 60, amount=2)] == [1, 2, 4]
    assert other.get("k") == 4 and other.get("unknown") == 0
    assert time.time() + 55 < other.get_expiry("k") <= time.time() + 60
    assert one.incr("short", 1) == 1
    time.sleep(1.1)
    assert one.get("short") == 0 and one.incr("short", 1) == 1  # a new window
    other.clear("k")
    assert one.get("k") == 0
    assert one.check() and one.reset() == 1


def test_the_sqlite_storage_counts_exactly_under_threads(tmp_path):
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.db'}")
    values = at_once(20, lambda _: [storage.incr("k", 60) for _ in range(10)])
    assert sorted(v for batch in values for v in batch) == list(range(1, 201))


@pytest.mark.parametrize("uri, path", [
    ("sqlite:////srv/x/limits.db", "/srv/x/limits.db"),
    ("sqlite:///C:/Users/x/limits.db", "C:/Users/x/limits.db"),
    ("sqlite:///C:\\Users\\x\\limits.db", "C:\\Users\\x\\limits.db"),  # f"sqlite:///{path}"
])
def test_the_sqlite_storage_reads_its_file_from_the_uri(uri, path):
    assert path_of(uri) == Path(path)


def test_a_relative_storage_path_is_refused():
    with pytest.raises(ValueError):
        path_of("sqlite:///limits.db")


# Request bodies -----------------------------------------------------------------------------


def _chunked_post(url: str, path: str, size: int) -> int:
    """POST ``size`` bytes of JSON with chunked transfer (no Content-Length); return the status."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                     f"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode())
        body = b'{"code": "' + b"A" * (size - 12) + b'"}'
        try:
            for start in range(0, len(body), 65536):
                chunk = body[start:start + 65536]
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before reading it all
        reply = sock.makefile("rb").readline()
    return int(reply.split()[1])


def test_a_chunked_body_over_the_limit_gets_413_from_gunicorn(tmp_path, database_url):
    with live(database_url, tmp_path / "instance", workers=1,
              MAX_CONTENT_LENGTH="100000") as (server, _env):
        assert _chunked_post(server.url, "/api/v1/enrol", 200_000) == 413
        assert _chunked_post(server.url, "/api/v1/enrol", 1000) == 422  # under: read as usual
