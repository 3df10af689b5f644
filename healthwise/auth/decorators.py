"""Page guards: a signed-in person, with a role where a page asks for one.

Pages read only the session cookie; API routes read only bearer tokens
(:mod:`healthwise.devices.decorators`), so a browser's cookie cannot call the API.
"""

from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from healthwise.auth.service import find_session

#: The key of the session id in Flask's (signed) session cookie.
SESSION_KEY = "sid"


def current_user():
    """Return the signed-in user of this request, or None; sets ``g.user_session``.

    The session row is looked up once per request (``g`` lives as long as the request).
    """
    if "user_session" not in g:
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
                return redirect(url_for("auth.sign_in", next=target))
            if roles and user.role not in roles:
                abort(403)
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator
