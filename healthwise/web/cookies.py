"""When cookies are ``Secure``: as the request came (https or not), unless forced.

``HEALTHWISE_SECURE_COOKIES=1`` (``SESSION_COOKIE_SECURE`` True) marks every cookie
Secure, as a production server behind https must; ``=0`` never does. Unset, a cookie
is Secure exactly when the request arrived over https (``request.is_secure``). Behind
a proxy, that is the ``X-Forwarded-Proto`` the server believes: gunicorn's
``--forwarded-allow-ips`` and waitress' ``trusted_proxy`` (``healthwise.serving``)
set the request's scheme from it, from 127.0.0.1 only. So a trainer signs in over
plain http at the laptop's Wi-Fi address, where browsers drop a Secure cookie, and
the same server reached over https keeps its cookies Secure.
"""

from flask import current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface


def cookie_secure() -> bool:
    """Return whether a cookie set now is marked ``Secure``."""
    forced = current_app.config.get("SESSION_COOKIE_SECURE")
    if forced is not None:
        return bool(forced)
    return has_request_context() and request.is_secure


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, Secure as :func:`cookie_secure` decides."""

    def get_cookie_secure(self, app) -> bool:
        return cookie_secure()
