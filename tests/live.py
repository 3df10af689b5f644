"""Run the real app under gunicorn for tests that need processes, sockets and kill -9."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str, instance: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "HEALTHWISE_DATABASE_URL": database_url,
        "HEALTHWISE_INSTANCE_DIR": str(instance),
        "HEALTHWISE_DEMO_DATA": "0",
        "HEALTHWISE_RATELIMIT_ENABLED": "0",
        "SECRET_KEY": "live-test-secret-key-that-is-long-enough-to-pass",
    })
    return env


def reset_database(database_url: str) -> None:
    """Give an external (PostgreSQL) database an empty public schema."""
    if database_url.startswith("sqlite"):
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def cli(env: dict, *args: str) -> str:
    """Run the healthwise command; return its output."""
    done = subprocess.run([sys.executable, "-m", "healthwise.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout


class Server:
    """A gunicorn process group serving the app."""

    def __init__(self, env: dict, workers: int = 2):
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", "8", "--bind",
             f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"],
            env=self.env, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/checklists", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        """kill -9 the master and every worker at once: no clean shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def served(database_url: str, instance: Path, workers: int = 2, env_extra: dict | None = None):
    """Migrate once, then serve under gunicorn; yield (server, env).

    :param env_extra: more environment variables for the server (settings, a password).
    """
    reset_database(database_url)
    env = {**environment(database_url, instance), **(env_extra or {})}
    cli(env, "init")
    server = Server(env, workers)
    server.start()
    try:
        yield server, env
    finally:
        server.stop()


class Serve(Server):
    """``healthwise serve`` itself in a process group, its output in a file."""

    def __init__(self, env: dict, *args: str, log: Path, host: str = "127.0.0.1"):
        super().__init__(env)
        self.args, self.log, self.host = args, log, host

    def start(self, timeout: float = 90, scheme: str = "http", **get) -> None:
        """Start the command; return once it answers (over ``scheme``, with ``get``'s
        arguments to requests)."""
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "healthwise.cli", "serve", "--host", self.host,
                 "--port", str(self.port), *self.args],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
                start_new_session=True)
        url = self.url.replace("http", scheme, 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"healthwise serve ended:\n{self.output()}")
            try:
                if requests.get(f"{url}/api/v1/limits", timeout=2, **get).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"healthwise serve did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


@contextmanager
def healthwise_serve(env: dict, *args: str, log: Path, host: str = "127.0.0.1", **start):
    """Run ``healthwise serve`` with ``args`` on ``host``; yield the running :class:`Serve`."""
    server = Serve(env, *args, log=log, host=host)
    server.start(**start)
    try:
        yield server
    finally:
        server.stop()
