"""On a workshop laptop: `healthwise serve` with gunicorn or waitress, the file locks both
need (POSIX and, through a stand-in, Windows), the addresses it prints, https, the
package a plain `pip install .` makes, and a room of phones joining with one code."""

import errno
import fcntl
import logging
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client

from benchmarks import bench_workshop_load as load
from healthwise import filelock, serving
from healthwise.languages import catalogues
from tests.live import ROOT, environment, healthwise_serve

# Choosing the server --------------------------------------------------------------------


@pytest.mark.parametrize(("requested", "os_name", "found", "chosen"), [
    (None, "posix", True, "gunicorn"),
    (None, "posix", False, "waitress"),
    (None, "nt", True, "waitress"),  # gunicorn installs on Windows but cannot fork there
    ("waitress", "posix", True, "waitress"),
    ("gunicorn", "posix", True, "gunicorn"),
])
def test_the_server_is_chosen_at_start_up(requested, os_name, found, chosen):
    assert serving.choose_server(requested, os_name, found) == chosen


@pytest.mark.parametrize(("os_name", "found"), [("nt", True), ("posix", False)])
def test_gunicorn_is_refused_where_it_cannot_run(os_name, found):
    with pytest.raises(ValueError, match="use --server waitress"):
        serving.choose_server("gunicorn", os_name, found)


def test_both_servers_trust_only_a_proxy_on_this_machine_and_log_every_request():
    command = serving.gunicorn_command("0.0.0.0", 8000, 3, 8)
    assert command[command.index("--forwarded-allow-ips") + 1] == "127.0.0.1"
    assert command[command.index("--access-logfile") + 1] == "-"
    assert command[-1] == "healthwise:create_app()"  # no wsgi.py in an installed package
    assert "--certfile" not in command
    https = serving.gunicorn_command("0.0.0.0", 8000, 3, 8, "c.pem", "k.pem")
    assert https[https.index("--certfile") + 1] == "c.pem"
    assert https[https.index("--keyfile") + 1] == "k.pem"
    settings = serving.waitress_settings("0.0.0.0", 8000, 16)
    assert settings["trusted_proxy"] == "127.0.0.1"
    assert settings["trusted_proxy_headers"] == {"x-forwarded-proto"}
    assert settings["clear_untrusted_proxy_headers"] is True
    assert settings["threads"] == 16 and settings["connection_limit"] >= 200
    from waitress.adjustments import Adjustments

    Adjustments(**settings)  # waitress accepts every one of them


def test_the_access_log_writes_a_line_once_the_server_closes_the_body(caplog):
    closed = []

    def wsgi(environ, start_response):
        start_response("201 CREATED", [("Content-Length", "2")])

        class Body(list):
            def close(self):
                closed.append(True)

        return Body([b"ok"])

    client = Client(serving.AccessLog(wsgi))
    with caplog.at_level(logging.INFO, logger="healthwise.access"):
        reply = client.post("/api/v1/enrol?x=1", environ_base={"REMOTE_ADDR": "10.0.0.7"})
        assert reply.status_code == 201
        reply.close()
    assert closed == [True]  # Flask's teardown runs in its body's close()
    line = caplog.records[-1].getMessage()
    assert re.match(r'10\.0\.0\.7 - - \[.+\] "POST /api/v1/enrol\?x=1 HTTP/1\.1" 201 2 \d+ms$',
                    line), line


# Addresses for the phones ---------------------------------------------------------------


def test_phones_get_each_lan_address_when_serving_on_all_of_them():
    lan = ["192.168.1.20", "10.0.0.5"]
    assert serving.phone_addresses("0.0.0.0", 5000, lan=lan) == [
        "http://192.168.1.20:5000/", "http://10.0.0.5:5000/"]
    assert serving.phone_addresses("192.168.1.20", 8443, "https") == ["https://192.168.1.20:8443/"]
    assert serving.phone_addresses("0.0.0.0", 5000, lan=[]) == []


@pytest.mark.parametrize(("setting", "warned"), [(None, False), ("0", False), ("1", True)])
def test_serve_warns_only_when_cookies_are_forced_secure_over_plain_http(
        monkeypatch, capsys, setting, warned):
    from healthwise import cli

    monkeypatch.setattr(cli, "phone_addresses", lambda *a: ["http://192.168.1.20:5000/"])
    if setting is None:
        monkeypatch.delenv("HEALTHWISE_SECURE_COOKIES", raising=False)
    else:
        monkeypatch.setenv("HEALTHWISE_SECURE_COOKIES", setting)
    cli._echo_addresses("0.0.0.0", 5000, "http")
    printed = capsys.readouterr().out
    assert "http://192.168.1.20:5000/manage/workshops" in printed
    assert ("HEALTHWISE_SECURE_COOKIES=1" in printed) is warned
    assert "HEALTHWISE_SECURE_COOKIES=0" not in printed  # no longer needed to sign in


def test_lan_addresses_are_found_without_internet_and_leave_out_loopback(monkeypatch):
    found = serving.lan_addresses()
    assert all(not ip.startswith(("127.", "169.254.")) for ip in found)
    for ip in found:
        socket.inet_aton(ip)

    def no_network(*_args, **_kwargs):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert serving.lan_addresses() == []  # no Wi-Fi at all: nothing, and no crash


# Secret key and catalogues --------------------------------------------------------------


def test_the_secret_key_is_made_once_for_the_owner_only(tmp_path):
    instance = tmp_path / "instance"
    assert serving.ensure_secret_key(instance) is True
    key = (instance / "secret_key").read_text().strip()
    assert len(key) >= 60
    if os.name == "posix":
        assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    assert serving.ensure_secret_key(instance) is False
    assert (instance / "secret_key").read_text().strip() == key


def test_missing_catalogues_are_compiled_at_start_up(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", copy)
    monkeypatch.setattr(catalogues, "TRANSLATIONS_DIR", copy)
    compiled = sorted(copy.glob("*/LC_MESSAGES/*.mo"))
    assert compiled and catalogues.compile_if_needed() is False
    compiled[0].unlink()
    assert catalogues.compile_if_needed() is True
    assert compiled[0].exists()


# File locks ------------------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from healthwise import filelock
fd = filelock.open_lock_file(Path(sys.argv[1]))
filelock.lock(fd)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
filelock.unlock(fd)
print("released", flush=True)
time.sleep(30)
"""


@contextmanager
def holder(path: Path, seconds: float):
    """Yield a process that holds the lock of ``path`` for ``seconds``, then releases it."""
    with subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout.readline().strip() == "held"
            yield process
        finally:
            process.kill()


def test_a_lock_held_by_another_process_excludes_this_one(tmp_path):
    path = tmp_path / "gate.lock"
    fd = filelock.open_lock_file(path)
    try:
        with holder(path, 0.6) as other:
            assert filelock.lock(fd, blocking=False) is False  # held elsewhere: give up
            started = time.monotonic()
            assert filelock.lock(fd) is True  # blocking: waits for the other's release
            assert time.monotonic() - started > 0.3
            assert other.stdout.readline().strip() == "released"
            filelock.unlock(fd)
    finally:
        os.close(fd)


def test_a_killed_holder_leaves_the_lock_free(tmp_path):
    path = tmp_path / "gate.lock"
    fd = filelock.open_lock_file(path)
    try:
        with holder(path, 60) as other:
            assert filelock.lock(fd, blocking=False) is False
            other.kill()  # kill -9
            other.wait()
            assert filelock.lock(fd, blocking=False) is True
    finally:
        os.close(fd)


class StandInMsvcrt:
    """``msvcrt.locking`` as Windows documents it, over ``flock`` so that it really locks:
    LK_NBLCK raises OSError when another descriptor holds the bytes, LK_UNLCK releases
    them; both act from the file's current position, which the helper must set."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self):
        self.calls = []

    def locking(self, fd, mode, nbytes):
        self.calls.append((mode, os.lseek(fd, 0, os.SEEK_CUR), nbytes))
        if mode == self.LK_NBLCK:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PermissionError(errno.EACCES, "Permission denied") from None
        elif mode == self.LK_UNLCK:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            raise AssertionError("LK_LOCK retries once a second only: not used")


@pytest.fixture
def windows(monkeypatch):
    stand_in = StandInMsvcrt()
    monkeypatch.setattr(filelock, "WINDOWS", True)
    monkeypatch.setattr(filelock, "msvcrt", stand_in, raising=False)
    return stand_in


def test_on_windows_the_lock_takes_the_first_byte_and_waits_by_retrying(tmp_path, windows):
    path = tmp_path / "slot.lock"
    first, second = filelock.open_lock_file(path), filelock.open_lock_file(path)
    try:
        os.write(first, b"moved")  # the position is not 0: the helper must seek back
        assert filelock.lock(first) is True
        assert filelock.lock(second, blocking=False) is False
        threading.Timer(0.2, filelock.unlock, [first]).start()
        started = time.monotonic()
        assert filelock.lock(second) is True  # retried until the first let go
        assert time.monotonic() - started >= 0.15
        filelock.unlock(second)
    finally:
        os.close(first)
        os.close(second)
    assert {(mode, position, n) for mode, position, n in windows.calls} == {
        (StandInMsvcrt.LK_NBLCK, 0, 1), (StandInMsvcrt.LK_UNLCK, 0, 1)}


def test_on_windows_the_writer_gate_and_the_render_slots_use_the_same_lock(tmp_path,
                                                                          windows):
    from healthwise.database import WriterGate
    from healthwise.errors import Busy
    from healthwise.plans.slots import render_slot

    gate = WriterGate(tmp_path / "db.writer-lock")
    gate.acquire()
    other = filelock.open_lock_file(tmp_path / "db.writer-lock")
    assert filelock.lock(other, blocking=False) is False
    gate.release()
    assert filelock.lock(other, blocking=False) is True
    filelock.unlock(other)
    os.close(other)
    with render_slot(tmp_path, 1, 0.1), pytest.raises(Busy):
        with render_slot(tmp_path, 1, 0.1):
            pass
    with render_slot(tmp_path, 1, 0.1):
        pass


# Serving for real -------------------------------------------------------------------------


def _environment(tmp_path: Path) -> dict:
    env = environment(f"sqlite:///{tmp_path / 'serve.db'}", tmp_path / "instance")
    del env["SECRET_KEY"]  # as on a trainer's laptop: serve makes one
    env["HEALTHWISE_RATELIMIT_ENABLED"] = "1"  # the real limits, for a room of phones
    env["HEALTHWISE_PASSWORD"] = load.PASSWORD
    return env


def test_waitress_serves_a_room_of_phones_joining_with_one_code(tmp_path):
    env = _environment(tmp_path)
    with healthwise_serve(env, "--server", "waitress", "--threads", "4",
                          log=tmp_path / "serve.log") as server:
        code = load.prepare({**env, "SECRET_KEY": (tmp_path / "instance" / "secret_key")
                             .read_text().strip()}, 10)
        figures = load.workshop(server.url, code, phones=10)
        output = server.output()
    assert figures["errors"] == []
    assert figures["requests"]["enrol"]["count"] == 10
    assert figures["requests"]["sync"]["count"] >= 20  # a pull and a push each, at least
    assert "Made a secret key in" in output
    assert "with waitress (8 threads)" in output
    assert f"http://127.0.0.1:{server.port}/manage/workshops" in output
    assert re.search(r'127\.0\.0\.1 - - \[.+\] "POST /api/v1/enrol HTTP/1\.1" 201 ', output)


def test_serving_on_every_interface_prints_each_lan_address(tmp_path):
    env = _environment(tmp_path)
    with healthwise_serve(env, "--server", "waitress", host="0.0.0.0",
                          log=tmp_path / "serve.log") as server:
        output = server.output()
        lan = serving.lan_addresses()
        for ip in lan:  # each printed address reaches the server
            assert f"  http://{ip}:{server.port}/\n" in output
            assert requests.get(f"http://{ip}:{server.port}/", timeout=10).ok
    if lan:
        assert f"projector pages: http://{lan[0]}:{server.port}/manage/workshops" in output
        assert "cannot reload the app offline" in output
    else:
        assert "No network address found" in output


def test_https_is_for_gunicorn_and_waitress_says_how_instead(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    env = _environment(tmp_path)
    refused = subprocess.run([sys.executable, "-m", "healthwise.cli", "serve", "--server",
                              "waitress", "--certfile", str(cert), "--keyfile", str(key)],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "waitress does not serve https" in refused.stderr
    alone = subprocess.run([sys.executable, "-m", "healthwise.cli", "serve", "--certfile",
                            str(cert)], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert alone.returncode == 2 and "--certfile and --keyfile go together" in alone.stderr
    with healthwise_serve(env, "--server", "gunicorn", "--workers", "1", "--certfile",
                          str(cert), "--keyfile", str(key), log=tmp_path / "serve.log",
                          scheme="https", verify=str(cert)) as server:
        reply = requests.get(f"https://127.0.0.1:{server.port}/", verify=str(cert), timeout=10)
        assert reply.ok and "Strict-Transport-Security" in reply.headers
        assert f"https://127.0.0.1:{server.port}/" in server.output()


# The package a plain `pip install .` makes --------------------------------------------------


def test_the_wheel_carries_everything_the_server_reads(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("healthwise-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    files = "healthwise/files/"
    for lang in ("fr", "es", "pt", "ar"):
        for domain in ("messages", "checklists"):
            assert f"{files}translations/{lang}/LC_MESSAGES/{domain}.mo" in names
    tracked = subprocess.run(["git", "ls-files", "checklists", "static", "translations",
                              "healthwise/migrations", "healthwise/plans/fonts"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    for path in tracked:
        packaged = path if path.startswith("healthwise/") else files + path
        assert packaged in names, path
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "healthwise").glob("*/templates/*/*")}
    assert templates and templates <= names
    assert "healthwise/languages/babel-messages.cfg" in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    metadata = zipfile.ZipFile(wheel).read("healthwise-0.1.0.dist-info/METADATA").decode()
    assert "Requires-Dist: waitress" in metadata
    assert "gunicorn>=22; sys_platform != \"win32\"" in metadata


def test_an_installed_package_finds_its_files_inside_itself(tmp_path):
    """What healthwise.config decides once the files are in the package (a wheel)."""
    package = tmp_path / "site-packages" / "healthwise"
    shutil.copytree(ROOT / "healthwise", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "files").mkdir()
    probe = ("import healthwise.cli; from healthwise import config as c; print(c.__file__, "
             "c.INSTALLED, c.ROOT, c.STATIC_DIR, c.INSTANCE_DIR, sep='|')")
    env = {k: v for k, v in os.environ.items() if k != "HEALTHWISE_INSTANCE_DIR"}
    env["PYTHONPATH"] = str(package.parent)
    shown = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    where, installed, root, static, instance = shown.split("|")
    assert where == str(package / "config.py")
    assert installed == "True" and root == str(package / "files")
    assert static == str(package / "files" / "static")
    assert instance == str(Path(sys.prefix).resolve() / "var" / "healthwise-instance")
