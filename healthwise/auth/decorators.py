"""Request guards: a bearer device token for the API, a signed-in person for the pages.

The two never mix: API routes read only the ``Authorization`` header, so a
browser's cookie cannot be used to call them (no CSRF on the API); pages read
only the session cookie.
"""

from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from healthwise.auth.service import find_session, find_token, scope_of
from healthwise.errors import APIError

#: The key of the session id in Flask's (signed) session cookie.
SESSION_KEY = "sid"


def token_required(view):
    """Require ``Authorization: Bearer <device token>``; set ``g.token`` and ``g.scope``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise APIError("unauthorized", "This request needs a device token "
                                           "(Authorization: Bearer ...).", 401)
        token = find_token(secret.strip())
        if token is None:
            raise APIError("invalid_token", "This device token is not valid or was revoked. "
                                            "Join the facility again.", 401)
        g.token = token
        g.scope = scope_of(token)
        return view(*args, **kwargs)

    return wrapped


def current_user():
    """Return the signed-in user of this request, or None; sets ``g.user_session``.

    The session row is looked up once per request (keyed by the request itself,
    since tests reuse one app context, and so one ``g``, for many requests).
    """
    current = request._get_current_object()
    if g.get("user_session_of") is not current:
        g.user_session_of = current
        g.user_session = find_session(session.get(SESSION_KEY))
    return g.user_session.user if g.user_session is not None else None


def user_required(*roles: str):
    """Require a signed-in person, with one of ``roles`` when given; set ``g.user``.

    Anonymous visitors are sent to the sign-in page (and back afterwards); a
    signed-in person without the role gets 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("manage.sign_in", next=target))
            if roles and user.role not in roles:
                abort(403)
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def protect_forms() -> None:
    """Check the CSRF token of every state-changing request outside the API.

    Installed by the factory for the whole app, so a form added to any page later
    is protected without anyone remembering to ask for it. ``/api/`` routes are
    left out: they authenticate with bearer tokens only, which a browser never
    sends on its own.

    :raises flask_wtf.csrf.CSRFError: (400) when the token is missing or wrong.
    """
    from flask import current_app

    from healthwise.extensions import csrf

    if current_app.config["WTF_CSRF_ENABLED"] and not request.path.startswith("/api/"):
        csrf.protect(apply_exemptions=True)
