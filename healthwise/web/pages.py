"""What every page under ``/manage`` shares: its templates folder, no caching, HTML error
pages.

Each feature makes its page blueprint with :func:`page_blueprint`. Every template gets
the page's language and direction from :mod:`healthwise.languages.views`, and the
signed-in person from :mod:`healthwise.auth.views`.
"""

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from healthwise.errors import UnsupportedLanguage


def _no_store(response):
    # Pages show enrolment codes and tokens: never keep them in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(status: int, message: str):
    """Return the HTML error page with a translated message."""
    return render_template("web/error.html", status=status, message=message), status


def _csrf_error(exc):
    return error_page(400, _("This form has expired or was not sent by this site. "
                             "Go back, reload the page and try again."))


def _unsupported_language(exc):
    # The same refusal as the API's (400 unsupported_language), as a page.
    return error_page(400, _("This language is not available. Choose English, French, "
                             "Spanish, Portuguese or Arabic."))


def _forbidden(exc):
    return error_page(403, _("Your account cannot open this page."))


def _too_many(exc):
    return error_page(429, _("Too many attempts. Wait a few minutes and try again."))


def page_blueprint(name: str, import_name: str, url_prefix: str, not_found) -> Blueprint:
    """Return a blueprint for pages under ``/manage``: its own ``templates/`` folder, never
    cached, and HTML error pages.

    :param not_found: a callable returning the (translated) message of its 404 page.
    """
    pages = Blueprint(name, import_name, url_prefix=url_prefix, template_folder="templates")
    pages.after_request(_no_store)
    pages.register_error_handler(CSRFError, _csrf_error)
    pages.register_error_handler(UnsupportedLanguage, _unsupported_language)
    pages.register_error_handler(403, _forbidden)
    pages.register_error_handler(404, lambda exc: error_page(404, not_found()))
    pages.register_error_handler(429, _too_many)
    return pages


def not_in_your_districts() -> str:
    """Return the 404 message of the district pages."""
    return _("There is no such page, or it is not in your districts.")
