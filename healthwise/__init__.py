"""HealthWISE Mobile: the application factory."""

from flask import Flask

from healthwise import config as config_module
from healthwise.extensions import babel, compress, csrf, db, limiter, migrate

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict | None = None) -> Flask:
    """Create the app: configuration, extensions, blueprints, error handlers, CLI.

    :param config: settings that override the environment (tests pass a database URL).
    :raises RuntimeError: in production without a strong ``SECRET_KEY``.
    """
    app = Flask(
        __name__,
        static_folder=str(config_module.STATIC_DIR),
        static_url_path="/static",
        instance_path=str(config_module.INSTANCE_DIR),
    )
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    _check_secret(app)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = not (app.config.get("TESTING")
                                                   or app.config.get("ENV") == "development")

    from healthwise.database import init_database

    init_database(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "healthwise" / "migrations"))
    from healthwise.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)

    from healthwise.assessments.pages import bp as phone_files_bp
    from healthwise.assessments.views import bp as sync_bp
    from healthwise.auth.decorators import protect_forms
    from healthwise.auth.views import bp as auth_bp
    from healthwise.auth.views import manage_bp
    from healthwise.checklists.views import bp as checklists_bp
    from healthwise.districts.views import bp as districts_bp
    from healthwise.errors import register_error_handlers
    from healthwise.languages.views import bp as i18n_bp
    from healthwise.openapi import bp as openapi_bp
    from healthwise.requests import refuse_oversize_streams
    from healthwise.workshops.views import bp as workshops_bp

    for blueprint in (checklists_bp, auth_bp, manage_bp, workshops_bp, sync_bp, phone_files_bp,
                      districts_bp, i18n_bp, openapi_bp):
        app.register_blueprint(blueprint)
    app.before_request(refuse_oversize_streams)
    app.before_request(protect_forms)
    _register_optional_blueprints(app)
    register_error_handlers(app)

    app.after_request(_security_headers)
    return app


def _register_optional_blueprints(app: Flask) -> None:
    """Register the feature blueprints that exist in this tree."""
    import importlib

    for name in ("healthwise.plans.views", "healthwise.pwa.views"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)


def _check_secret(app: Flask) -> None:
    """Refuse to start in production without a strong secret key (fail closed)."""
    secret = app.config.get("SECRET_KEY") or ""
    if app.config.get("TESTING") or app.config.get("ENV") == "development":
        if not secret:
            app.config["SECRET_KEY"] = "insecure-development-key-not-for-production"
        return
    if secret in config_module.WEAK_SECRETS or len(secret) < config_module.MIN_SECRET_LENGTH:
        raise RuntimeError(
            "SECRET_KEY must be set to a random string of at least "
            f"{config_module.MIN_SECRET_LENGTH} characters in production "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )


def _security_headers(response):
    """Add the security headers every response carries."""
    from flask import request

    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    csp = API_CSP if request.path.startswith("/api/") else PAGE_CSP
    headers.setdefault("Content-Security-Policy", csp)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
