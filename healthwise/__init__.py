"""HealthWISE Mobile: the application factory."""

from flask import Flask

from healthwise import config as config_module
from healthwise.extensions import api, babel, compress, csrf, db, limiter, migrate


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
        template_folder=str(config_module.PACKAGE_DIR / "web" / "templates"),
    )
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    _check_secret(app)
    from healthwise.web.cookies import SessionInterface

    # SESSION_COOKIE_SECURE None: Secure when the request came over https (web/cookies.py).
    app.session_interface = SessionInterface()

    from healthwise.database import init_database
    from healthwise.languages.service import select_locale

    init_database(app)
    migrate.init_app(app, db, directory=str(config_module.PACKAGE_DIR / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)
    _register_blueprints(app)

    from healthwise.errors import register_error_handlers
    from healthwise.web.headers import security_headers
    from healthwise.web.requests import refuse_oversize_streams

    app.before_request(refuse_oversize_streams)
    register_error_handlers(app)
    app.after_request(security_headers)
    return app


def _register_blueprints(app: Flask) -> None:
    """Register every feature's API and pages.

    Flask-WTF checks the CSRF token of every state-changing request; the API
    blueprints are exempt, because they authenticate with bearer tokens only, which a
    browser never sends on its own.
    """
    from healthwise.assessments import views as assessments
    from healthwise.auth import views as auth
    from healthwise.checklists import views as checklists
    from healthwise.devices import views as devices
    from healthwise.districts import views as districts
    from healthwise.exports import views as exports
    from healthwise.facilities import views as facilities
    from healthwise.languages import views as languages
    from healthwise.photos import views as photos
    from healthwise.plans import views as plans
    from healthwise.pwa import views as pwa
    from healthwise.workshops import views as workshops

    api.init_app(app)  # also serves the OpenAPI document, /api/v1/openapi.json
    for blueprint in (checklists.bp, languages.bp, devices.api, assessments.api, plans.bp,
                      districts.api, exports.api, photos.api, workshops.api):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    for blueprint in (auth.bp, districts.bp, facilities.bp, exports.bp, devices.bp,
                      assessments.bp, workshops.bp, pwa.bp, languages.pages, photos.bp):
        app.register_blueprint(blueprint)


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
