"""Configuration: defaults, overridden by environment variables.

Every setting can be set with an environment variable of the same name prefixed
``HEALTHWISE_`` (``HEALTHWISE_DATABASE_URL``...), except ``SECRET_KEY``.
"""

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Where checklists/, translations/ and static/ are: beside the package in a checkout
#: (and an editable install), inside it as files/ in an installed wheel (setup.py).
INSTALLED = (PACKAGE_DIR / "files").is_dir()
ROOT = PACKAGE_DIR / "files" if INSTALLED else PACKAGE_DIR.parent
CHECKLISTS_DIR = ROOT / "checklists"
TRANSLATIONS_DIR = ROOT / "translations"
STATIC_DIR = ROOT / "static"
# An installed package keeps its data where Flask puts installed packages' instance
# folders, inside the environment (the venv), whatever folder a command is run from.
INSTANCE_DIR = Path(os.environ.get(
    "HEALTHWISE_INSTANCE_DIR",
    Path(sys.prefix) / "var" / "healthwise-instance" if INSTALLED else ROOT / "instance",
)).resolve()

LANGUAGES = {
    "en": ("English", "ltr"),
    "fr": ("Français", "ltr"),
    "es": ("Español", "ltr"),
    "pt": ("Português", "ltr"),
    "ar": ("العربية", "rtl"),
}

WEAK_SECRETS = {"", "dev", "change-me", "secret", "development"}
MIN_SECRET_LENGTH = 32


def _env(name: str, default=None):
    return os.environ.get(f"HEALTHWISE_{name}", default)


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, else from ``instance/secret_key``.

    ``healthwise serve`` (and ``make run``) writes that file once, so the server and the
    ``healthwise`` command share one key across restarts.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def from_environment() -> dict:
    """Return the configuration read from defaults and environment variables."""
    return {
        "SECRET_KEY": _secret_key(),
        "ENV": _env("ENV", "production"),
        "SQLALCHEMY_DATABASE_URI": _env(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'healthwise.db'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Photos (blobs named by their sha-256): `healthwise backup` takes this folder
        # with the database when it exists, and `healthwise restore` puts it back.
        "PHOTOS_DIR": _env("PHOTOS_DIR", str(INSTANCE_DIR / "photos")),
        # A complete response is ~70 changes of a few hundred bytes; 2 MiB leaves room
        # for large batches from phones that were offline for days.
        "MAX_CONTENT_LENGTH": int(_env("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "SYNC_MAX_CHANGES": int(_env("SYNC_MAX_CHANGES", 1000)),
        "SYNC_PAGE_SIZE": int(_env("SYNC_PAGE_SIZE", 500)),
        # PDFs rendered at once by the whole server, and how long one waits for its turn.
        "PDF_RENDER_SLOTS": int(_env("PDF_RENDER_SLOTS", 2)),
        "PDF_RENDER_WAIT": float(_env("PDF_RENDER_WAIT", 10)),
        "SQLITE_BUSY_TIMEOUT_MS": int(_env("SQLITE_BUSY_TIMEOUT_MS", 30000)),
        "RATELIMIT_ENABLED": _env("RATELIMIT_ENABLED", "1") == "1",
        # Counters every worker shares, in a file beside the database (healthwise.ratelimit);
        # "memory://" would count per worker, making each limit as many times looser.
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI",
                                      f"sqlite:///{INSTANCE_DIR / 'ratelimits.db'}"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_SYNC": _env("RATELIMIT_SYNC", "120 per minute"),
        # Failed enrolments per address: a workshop's phones behind one Wi-Fi (one NAT
        # address) all join within a minute, so successful ones do not count.
        "RATELIMIT_ENROL": _env("RATELIMIT_ENROL", "20 per minute"),
        # Sign-in: every attempt counts per address; only failures count per account, and
        # the window is short, so a guesser cannot lock the owner out for long.
        "RATELIMIT_SIGNIN_ADDRESS": _env("RATELIMIT_SIGNIN_ADDRESS", "10 per minute;100 per hour"),
        "RATELIMIT_SIGNIN_ACCOUNT": _env("RATELIMIT_SIGNIN_ACCOUNT", "10 per 15 minutes"),
        # Cookies: HEALTHWISE_SECURE_COOKIES=1 always Secure (production behind https), =0
        # never; unset (None), Secure when the request came over https (web/cookies.py), so
        # a trainer signs in over plain http at a workshop laptop's Wi-Fi address.
        "SESSION_COOKIE_SECURE": (None if _env("SECURE_COOKIES") is None
                                  else _env("SECURE_COOKIES") == "1"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "healthwise_session",
        # A CSRF token lives as long as the session it belongs to (renewed at sign-in).
        "WTF_CSRF_TIME_LIMIT": None,
        "DEMO_DATA": _env("DEMO_DATA", "1") == "1",
        "CHECKLISTS_DIR": str(CHECKLISTS_DIR),
        "TRANSLATIONS_DIR": str(TRANSLATIONS_DIR),
        "STATIC_DIR": str(STATIC_DIR),
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_DIR),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": LANGUAGES,
        "JSON_SORT_KEYS": False,
        # The OpenAPI document (flask-smorest), at /api/v1/openapi.json.
        "API_TITLE": "HealthWISE Mobile API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Checklists, enrolment, offline sync, plans and the "
                                    "managers' summaries of HealthWISE Mobile. Errors are "
                                    'always {"error": {"code", "message", "details"}}.'},
            "components": {"securitySchemes": {"bearer": {"type": "http",
                                                          "scheme": "bearer"}}},
        },
    }
