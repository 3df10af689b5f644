"""Serve the phone app: ``/``, ``/sw.js`` and ``/manifest.webmanifest``.

The service worker's cache version and precache list are computed here from the
files of the shell, so any change to the shell makes browsers install a new
version (a service worker is updated when its bytes change).
"""

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory

bp = Blueprint("pwa", __name__)

#: Files of the app shell, relative to the static folder, precached by the service worker.
SHELL_PATTERNS = (
    "index.html",
    "manifest.webmanifest",
    "css/app.css",
    "js/*.js",
    "js/views/*.js",
    "icons/favicon.png",
    "icons/icon-192.png",
)
_BUILD_LINE = re.compile(r"^const BUILD = .*;$", re.MULTILINE)
_cache: dict = {}


def shell_files(static_dir: str | Path) -> list[Path]:
    """Return the files of the app shell, in a stable order.

    :param static_dir: absolute path of the static folder.
    """
    root = Path(static_dir)
    found: list[Path] = []
    for pattern in SHELL_PATTERNS:
        found.extend(sorted(p for p in root.glob(pattern) if p.is_file()))
    return found


def url_for_file(static_dir: str | Path, path: Path) -> str:
    """Return the URL a shell file is served at."""
    rel = path.relative_to(static_dir).as_posix()
    if rel == "index.html":
        return "/"
    if rel == "manifest.webmanifest":
        return "/manifest.webmanifest"
    return f"/static/{rel}"


def build(static_dir: str | Path) -> dict:
    """Return ``{"version", "files"}``: a hash of the shell and the URLs to precache.

    The result is kept until a shell file (or ``sw.js``) changes on disk.

    :param static_dir: absolute path of the static folder.
    """
    root = Path(static_dir)
    files = shell_files(root)
    sw = root / "sw.js"
    stamp = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in [*files, sw] if p.exists()
    )
    hit = _cache.get(str(root))
    if hit and hit[0] == stamp:
        return hit[1]
    digest = hashlib.sha256()
    for p in [*files, sw]:
        if p.exists():
            digest.update(p.relative_to(root).as_posix().encode() + b"\0")
            digest.update(p.read_bytes() + b"\0")
    result = {"version": digest.hexdigest()[:16], "files": [url_for_file(root, p) for p in files]}
    _cache[str(root)] = (stamp, result)
    return result


def _static_dir() -> str:
    return current_app.config["STATIC_DIR"]


@bp.get("/")
def index():
    """The app shell, with a ``modulepreload`` link for each of its modules.

    Without them a browser finds each module only once the module that imports it
    has arrived: one round trip per level of imports on a first load.
    """
    root = Path(_static_dir())
    links = "".join(
        f'<link rel="modulepreload" href="{url}">\n'
        for url in build(root)["files"] if url.endswith(".js")
    )
    html = (root / "index.html").read_text(encoding="utf-8")
    html = html.replace("</head>", links + "</head>", 1)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sw.js")
def service_worker():
    """The service worker, with its cache version and precache list filled in."""
    root = Path(_static_dir())
    source = (root / "sw.js").read_text(encoding="utf-8")
    info = build(root)
    line = f"const BUILD = {json.dumps(info)};"
    response = Response(
        _BUILD_LINE.sub(lambda _: line, source, count=1), mimetype="text/javascript"
    )
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest."""
    response = send_from_directory(
        _static_dir(), "manifest.webmanifest", mimetype="application/manifest+json", max_age=0
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
