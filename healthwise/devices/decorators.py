"""API guards: a bearer token, a phone's for the phones' API, a person's for the managers'.

API routes read only the ``Authorization`` header, so a browser's cookie cannot be used
to call them (no CSRF on the API); pages read only the session cookie.
"""

from datetime import date
from functools import wraps

from flask import g, request

from healthwise.access.service import scope_of, workshop_of
from healthwise.devices.service import find_token
from healthwise.errors import Forbidden, Unauthorized

#: The kinds of bearer token: a phone's (a committee phone or a workshop participant's,
#: scoped to one facility) and a person's (a manager's or an admin's, for the managers' API).
PHONE, PERSON = "phone", "person"


def kind_of(token) -> str:
    """Return the kind of a device token: :data:`PHONE` or :data:`PERSON`."""
    return PHONE if token.facility_id is not None else PERSON


def bearer_required(*kinds: str):
    """Require ``Authorization: Bearer <token>`` of one of ``kinds``; set ``g.token`` and
    ``g.scope``.

    A missing, unknown or revoked token gets 401, and so does a participant's token of a
    workshop that is over (closed, or past its last day: ``workshop_closed``); a valid
    token of another kind 403, with an error code that says which token this route takes.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise Unauthorized("This request needs a device token "
                                   "(Authorization: Bearer ...).")
            token = find_token(secret.strip())
            if token is None:
                raise Unauthorized("This device token is not valid or was revoked. Join the "
                                   "facility again.", "invalid_token")
            if kind_of(token) not in kinds:
                raise _wrong_kind(kinds)
            if token.facility_id is not None:
                _refuse_over_workshop(token.facility_id)
            g.token = token
            g.scope = scope_of(token)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _refuse_over_workshop(facility_id: int) -> None:
    workshop = workshop_of(facility_id)
    if workshop is not None and workshop.over(date.today()):
        raise Unauthorized("This workshop has ended: its phones can no longer sync. What "
                           "they recorded stays with the trainer.", "workshop_closed")


def _wrong_kind(kinds) -> Forbidden:
    if PHONE in kinds:
        return Forbidden("This route serves the phones of a facility or a workshop only. A "
                         "manager's or an admin's API token reads summaries through the "
                         "managers' API (GET /api/v1/districts).", "phone_token_required")
    return Forbidden("This route is the managers' API: it needs a manager's or an admin's "
                     "API token (from /manage/tokens), not a phone's.",
                     "manager_token_required")


#: The phones' API (sync, plans): a committee phone's or a workshop participant's token.
#: Managers' and admins' tokens get 403: above facility level nothing reads raw records.
token_required = bearer_required(PHONE)
#: The managers' API: a manager's or an admin's token, reaching summaries only.
manager_token_required = bearer_required(PERSON)


def token_key() -> str:
    """Return the rate-limit key of a request: its device token (set by the guards)."""
    return f"token:{g.token.id}" if getattr(g, "token", None) else "anonymous"
