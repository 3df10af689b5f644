"""Limits that must hold for the whole server, whatever its number of workers: enrolment
code uses, rate limits, request bodies. Checked against real gunicorn."""

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from marshmallow import ValidationError

from healthwise.ratelimit import SQLiteStorage, path_of
from tests.live import cli, served

PASSWORD = "a long enough password"


def live(database_url: str, instance: Path, workers: int = 3, **settings: str):
    """Serve the app under gunicorn with HEALTHWISE_ settings; yield (server, env)."""
    extra = {f"HEALTHWISE_{name}": value for name, value in settings.items()}
    return served(database_url, instance, workers, {**extra, "HEALTHWISE_PASSWORD": PASSWORD})


def at_once(count: int, call) -> list:
    """Run ``call(number)`` from ``count`` threads released together; return the results."""
    start = threading.Barrier(count)

    def run(number):
        start.wait()
        return call(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


# Enrolment codes ----------------------------------------------------------------------------


def test_a_code_is_never_redeemed_past_its_uses_by_concurrent_phones(tmp_path, live_database_url):
    with live(live_database_url, tmp_path / "instance") as (server, env):
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


def test_the_sign_in_limit_holds_for_the_whole_server_across_workers(tmp_path, live_database_url):
    with live(live_database_url, tmp_path / "instance", RATELIMIT_ENABLED="1",
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


def test_a_chunked_body_over_the_limit_gets_413_from_gunicorn(tmp_path, live_database_url):
    with live(live_database_url, tmp_path / "instance", workers=1,
              MAX_CONTENT_LENGTH="100000") as (server, _env):
        assert _chunked_post(server.url, "/api/v1/enrol", 200_000) == 413
        assert _chunked_post(server.url, "/api/v1/enrol", 1000) == 422  # under: read as usual


# Bad input: a clear 4xx, never a 500, nothing stored -----------------------------------------

BAD_NAMES = ["", "   ", "\u200b\u200d", "\u3164", "Ward\x00B", "Ward\nB", "\u202eB draW",
             "Ward \u2066B\u2069", "phone \ud800"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused_everywhere(name):
    from healthwise.validation import name_problem

    assert name_problem(name) is not None
    assert name_problem("Salle d’attente – Ward B (مدير)") is None


@pytest.mark.parametrize("name", BAD_NAMES[2:])
def test_an_enrolment_with_a_bad_device_name_is_refused(app, client, make_facility, name):
    from healthwise.devices import service
    from healthwise.devices.models import DeviceToken
    from healthwise.extensions import db
    from tests.conftest import count

    facility = make_facility()
    with app.app_context():
        _, raw = service.create_enrolment_code(facility.id, uses=5)
        db.session.commit()
    body = json.dumps({"code": raw, "device_name": name})  # a lone surrogate as \ud800
    reply = client.post("/api/v1/enrol", data=body, content_type="application/json")
    assert reply.status_code == 422, reply.get_data(as_text=True)
    assert "device_name" in reply.get_json()["error"]["details"]
    assert count(app, DeviceToken) == 0


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_workshop_with_a_bad_name_is_refused(app, make_user, name):
    from datetime import date

    from healthwise.workshops.service import WorkshopError, create_workshop

    trainer = make_user("trainer")
    with app.app_context(), pytest.raises(WorkshopError):
        create_workshop(trainer, name, date(2026, 12, 1))


@pytest.mark.parametrize("name", ["Lakeside\x00", "\u202eCinilc", "\u200b"])
def test_the_cli_refuses_a_bad_facility_name(runner, name):
    from healthwise.cli import main

    result = runner.invoke(main, ["facility", "create", "--district", "North", "--name", name])
    assert result.exit_code != 0 and "name" in result.output


def test_a_token_form_with_a_bad_name_is_refused(client, make_user):
    from tests.conftest import csrf_token, sign_in

    sign_in(client, make_user("manager"))
    reply = client.post("/manage/tokens", data={"csrf_token": csrf_token(client),
                                                "name": "script\x00"})
    assert reply.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/enrol", "/api/v1/sync"])
def test_deeply_nested_json_gets_400(client, phone, path):
    body = "[" * 100_000 + "]" * 100_000
    reply = client.post(path, data=body, content_type="application/json",
                        headers={"Authorization": f"Bearer {phone.token}"})
    assert reply.status_code == 400
    assert "nested too deeply" in reply.get_json()["error"]["message"]


@pytest.mark.parametrize("target", ["/manage/\r\nSet-Cookie: x=1", "/manage/\nx", "/manage/\x00"])
def test_a_next_with_control_characters_is_not_followed(client, make_user, target):
    from tests.conftest import DEFAULT_PASSWORD, csrf_token

    user = make_user("admin")
    reply = client.post("/manage/sign-in", data={
        "csrf_token": csrf_token(client), "email": user.email, "password": DEFAULT_PASSWORD,
        "next": target})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/manage/")
    page = client.get("/manage/sign-in?next=" + target.replace("\r", "%0D").replace("\n", "%0A"))
    assert page.status_code == 200


@pytest.mark.parametrize("value", ["true", 1, "yes", None, 0])
def test_checklist_booleans_are_strict(value):
    from healthwise.validation import StrictBoolean

    with pytest.raises(ValidationError):
        StrictBoolean().deserialize(value)
    assert StrictBoolean().deserialize(True) is True
