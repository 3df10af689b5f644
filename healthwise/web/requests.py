"""Reading request bodies the same way everywhere."""

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from healthwise.errors import BadRequest


def json_body() -> dict:
    """Return the request's JSON object, or raise a 400 a person can read."""
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # the json module recurses once per level of nesting
        raise BadRequest("The request body is nested too deeply to be read.",
                         "bad_json") from None
    if body is None:
        raise BadRequest("The request body must be JSON.", "bad_json")
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.", "bad_shape")
    return body


def refuse_oversize_streams() -> None:
    """Refuse with 413 a chunked body (no Content-Length) longer than ``MAX_CONTENT_LENGTH``.

    Werkzeug refuses an oversize Content-Length at once, but silently cuts a chunked body
    at the limit, so it reached the parsers truncated (a 400 "not JSON", or a form with
    fields missing). Reading it here, at most the limit, caches it for every parser.

    :raises RequestEntityTooLarge: a 413, in the API's error shape under ``/api/``.
    """
    limit = request.max_content_length
    if (limit is None or request.content_length is not None
            or "chunked" not in request.headers.get("Transfer-Encoding", "").lower()):
        return
    # Werkzeug stops reading at the limit: a body that reaches it has more behind it
    # (or is exactly that long, which is refused too, as the limit's edge).
    if len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()
