"""How ``healthwise serve`` serves: gunicorn on Linux and macOS, waitress on Windows.

Both are production WSGI servers (never Flask's debug server) with the same settings
where they have them: trust in ``X-Forwarded-Proto`` from a proxy on the same machine
only, an access log on standard output. gunicorn forks workers and so runs only on
POSIX; waitress is pure Python, one process with threads, and runs everywhere.
"""

import importlib.util
import ipaddress
import logging
import os
import secrets
import socket
import sys
import time
from pathlib import Path

SERVERS = ("gunicorn", "waitress")
#: The proxy whose ``X-Forwarded-Proto`` is believed (a Caddy or nginx on the laptop).
TRUSTED_PROXY = "127.0.0.1"
#: Waitress keeps this many connections open at once; its default (100) is a room of
#: phones with one connection each, and phones reconnect while old ones linger.
WAITRESS_CONNECTION_LIMIT = 1000
#: Destinations used only to ask the kernel which interface would route to them: a UDP
#: socket's ``connect`` sends nothing, so this works with no internet and no DNS.
_PROBES = ("10.254.254.254", "172.31.254.254", "192.168.254.254", "8.8.8.8")

log = logging.getLogger("healthwise.access")


def choose_server(requested: str | None = None, os_name: str = os.name,
                  gunicorn_found: bool | None = None) -> str:
    """Return the server to use: the one requested, else gunicorn where it runs, else waitress.

    :param requested: ``gunicorn``, ``waitress`` or None to choose.
    :param os_name: ``os.name`` (``posix``, ``nt``).
    :param gunicorn_found: whether gunicorn can be imported (looked up if None).
    :raises ValueError: if gunicorn is requested where it cannot run.
    """
    if gunicorn_found is None:
        gunicorn_found = importlib.util.find_spec("gunicorn") is not None
    runs = os_name == "posix" and gunicorn_found
    if requested == "gunicorn" and not runs:
        raise ValueError("gunicorn runs only on Linux and macOS (and must be installed); "
                         "use --server waitress")
    if requested:
        return requested
    return "gunicorn" if runs else "waitress"


def gunicorn_command(host: str, port: int, workers: int, threads: int,
                     certfile: str | None = None, keyfile: str | None = None) -> list[str]:
    """Return the command line that serves the app with gunicorn."""
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--bind", f"{host}:{port}", "--timeout", "60", "--graceful-timeout", "20",
            "--access-logfile", "-", "--forwarded-allow-ips", TRUSTED_PROXY]
    if certfile:
        args += ["--certfile", certfile, "--keyfile", keyfile]
    # The factory, not wsgi.py: an installed package has no wsgi.py beside it.
    return [*args, "healthwise:create_app()"]


def waitress_settings(host: str, port: int, threads: int) -> dict:
    """Return waitress' settings, matching gunicorn's where they have a counterpart."""
    return {"host": host, "port": port, "threads": threads,
            "trusted_proxy": TRUSTED_PROXY, "trusted_proxy_headers": {"x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
            "connection_limit": WAITRESS_CONNECTION_LIMIT, "channel_timeout": 60,
            "ident": "HealthWISE"}


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    """Serve ``app`` with waitress in this process until interrupted."""
    from waitress import serve

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for logger in (log, logging.getLogger("waitress")):
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    serve(AccessLog(app), **waitress_settings(host, port, threads))


class AccessLog:
    """WSGI middleware writing one line per request, as gunicorn's access log does.

    Waitress has no access log of its own.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        seen = {"status": "500", "length": "-"}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["length"] = next((value for name, value in headers
                                   if name.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        def done():
            log.info(access_line(environ, seen["status"], seen["length"],
                                 time.perf_counter() - started))

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            done()
            raise
        return _Logged(body, done)


class _Logged:
    """A response body that writes its log line when the server closes it (sent or not)."""

    def __init__(self, body, done):
        self.body, self.done = body, done

    def __iter__(self):
        return iter(self.body)

    def close(self):
        # The app's own close() ends its request (Flask's teardown): always call it.
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


def access_line(environ: dict, status: str, length: str, seconds: float) -> str:
    """Return one access-log line: address, time, request line, status, bytes, duration."""
    path = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    return (f'{environ.get("REMOTE_ADDR", "-")} - - [{when}] "{environ.get("REQUEST_METHOD")} '
            f'{path} {environ.get("SERVER_PROTOCOL")}" {status} {length} '
            f'{seconds * 1000:.0f}ms')


def lan_addresses() -> list[str]:
    """Return this machine's IPv4 addresses that other devices on its networks can reach.

    Asks the kernel which interface would route to a few private (and one public)
    destinations, and what the host name resolves to; no packet is sent, so it works
    on a workshop Wi-Fi with no internet. Loopback and link-local addresses are left out.
    """
    found = set()
    for probe in _PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
                found.add(sock.getsockname()[0])
            except OSError:
                continue  # no route there (no network at all, or none of that kind)
    try:
        found.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None,
                                                               socket.AF_INET))
    except OSError:
        pass
    usable = [ip for ip in found
              if not (ipaddress.ip_address(ip).is_loopback
                      or ipaddress.ip_address(ip).is_link_local
                      or ipaddress.ip_address(ip).is_unspecified)]
    return sorted(usable, key=ipaddress.ip_address)


def phone_addresses(host: str, port: int, scheme: str = "http",
                    lan: list[str] | None = None) -> list[str]:
    """Return the addresses to give the phones: each LAN address when serving on all of them.

    :param host: the address served on (``0.0.0.0`` means every interface).
    :param lan: the machine's LAN addresses (looked up if None and needed).
    """
    if host in ("0.0.0.0", "", "::"):
        ips = lan if lan is not None else lan_addresses()
    else:
        ips = [host]
    return [f"{scheme}://{f'[{ip}]' if ':' in ip else ip}:{port}/" for ip in ips]


def ensure_secret_key(instance_dir: Path) -> bool:
    """Make ``instance_dir/secret_key`` (48 random bytes, owner-only) unless it exists.

    Return True if it was made. On Windows the owner-only mode is not applied (the
    file inherits the folder's permissions), which is why it lives in the instance
    folder and not beside the code.
    """
    path = instance_dir / "secret_key"
    if path.exists():
        return False
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another command made it a moment ago
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return True
