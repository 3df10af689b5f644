"""Request guards: a valid bearer device token."""

from functools import wraps

from flask import g, request

from healthwise.auth.service import find_token, scope_of
from healthwise.errors import APIError


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
