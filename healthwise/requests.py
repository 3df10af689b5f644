"""Reading request bodies the same way everywhere."""

from flask import request

from healthwise.errors import APIError


def json_body() -> dict:
    """Return the request's JSON object, or raise a 400 a person can read."""
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise APIError("bad_json", "The request body must be JSON.", 400)
    if not isinstance(body, dict):
        raise APIError("bad_shape", "The request body must be a JSON object.", 400)
    return body
