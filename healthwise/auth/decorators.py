"""Request guards: a bearer token for the API (a phone's, or a manager's for the managers'
API), a signed-in person for the pages.

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


#: The kinds of bearer token: a phone's (a committee phone or a workshop participant's,
#: scoped to one facility) and a person's (a manager's or an admin's, for the managers' API).
PHONE, PERSON = "phone", "person"


def kind_of(token) -> str:
    """Return the kind of a device token: :data:`PHONE` or :data:`PERSON`."""
    return PHONE if token.facility_id is not None else PERSON


def bearer_required(*kinds: str):
    """Require ``Authorization: Bearer <token>`` of one of ``kinds``; set ``g.token`` and
    ``g.scope``.

    A missing, unknown or revoked token gets 401; a valid token of another kind 403,
    with an error code that says which token this route takes.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise APIError("unauthorized", "This request needs a device token "
                                               "(Authorization: Bearer ...).", 401)
            token = find_token(secret.strip())
            if token is None:
                raise APIError("invalid_token", "This device token is not valid or was "
                                                "revoked. Join the facility again.", 401)
            if kind_of(token) not in kinds:
                raise _wrong_kind(kinds)
            g.token = token
            g.scope = scope_of(token)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _wrong_kind(kinds) -> APIError:
    if PHONE in kinds:
        return APIError("phone_token_required", "This route serves the phones of a facility "
                        "or a workshop only. A manager's or an admin's API token reads "
                        "summaries through the managers' API (GET /api/v1/districts).", 403)
    return APIError("manager_token_required", "This route is the managers' API: it needs a "
                    "manager's or an admin's API token (from /manage/tokens), not a "
                    "phone's.", 403)


#: The phones' API (sync, plans): a committee phone's or a workshop participant's token.
#: Managers' and admins' tokens get 403: above facility level nothing reads raw records.
token_required = bearer_required(PHONE)
#: The managers' API: a manager's or an admin's token, reaching summaries only.
manager_token_required = bearer_required(PERSON)


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
