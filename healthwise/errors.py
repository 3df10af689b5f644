"""One domain error base, mapped to HTTP statuses here at the edge, and the one JSON error
shape of the API: ``{"error": {"code", "message", "details"}}``.

Services raise a :class:`DomainError` subclass that says what kind of failure it is
(not found, gone, invalid...); they never choose an HTTP status. The handlers below
turn every error, ours, marshmallow's, webargs' and werkzeug's, into that one shape.
"""

from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Something a person or a client asked for that cannot be done.

    :param message: a sentence a person can read.
    :param code: a stable machine-readable word (default: the class's), e.g.
        ``code_expired``.
    :param details: anything that helps fix the request (field errors, limits...).
    """

    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.details = details if details is not None else {}


class BadRequest(DomainError):
    """The request cannot be read at all (not JSON, nested too deeply...)."""


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Gone(DomainError):
    code = "gone"


class Invalid(DomainError):
    """Readable but refused: a value out of range, a rule broken, an unknown language."""

    code = "invalid"


class TooLarge(DomainError):
    """A body over the limit of what this route takes (a photo past its cap)."""

    code = "too_large"


class UnsupportedType(DomainError):
    """A body of a kind this route does not take (a photo that is not JPEG or WebP)."""

    code = "unsupported_media_type"


class UnsupportedLanguage(BadRequest):
    """A ``lang`` the server does not offer; ``details["supported"]`` lists those it does."""

    code = "unsupported_language"


class Busy(DomainError):
    """The server cannot do it now; the client may try again in ``retry_after`` seconds."""

    code = "busy"

    def __init__(self, message: str, retry_after: int, code: str | None = None):
        super().__init__(message, code)
        self.retry_after = retry_after


#: The HTTP status of each kind of domain error: decided here, at the edge, only.
STATUS = {BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
          Gone: 410, TooLarge: 413, UnsupportedType: 415, Invalid: 422, Busy: 503}


def status_of(error: DomainError) -> int:
    """Return the HTTP status of a domain error (its nearest kind in :data:`STATUS`)."""
    return next(STATUS[kind] for kind in type(error).__mro__ if kind in STATUS)


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable word, e.g. "
                                                                 "invalid_token"})
    message = fields.String(required=True, metadata={"description": "A sentence to show"})
    details = fields.Dict(metadata={"description": "Field errors, limits, choices..."})


class ErrorSchema(Schema):
    """Every error the API sends."""

    error = fields.Nested(ErrorBodySchema, required=True)


def error_response(status: int, code: str, message: str, details=None):
    """Return a Flask response in the API's error shape.

    :param status: HTTP status code.
    :param code: a stable machine-readable word, e.g. ``invalid_token``.
    :param message: a sentence a person can read.
    :param details: anything that helps fix the request (field errors...).
    """
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "busy",
}
INVALID_MESSAGE = "The request does not match the expected fields."


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _field_errors(messages):
    """Return webargs' messages without their location level when there is one location
    (``{"json": {"cursor": [...]}}`` becomes ``{"cursor": [...]}``), as a schema gives them."""
    if isinstance(messages, dict) and len(messages) == 1:
        (location, inner), = messages.items()
        if location in {"json", "query", "view_args", "form", "files", "headers"}:
            return inner
    return messages


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every error into the API's shape."""

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        response, status = error_response(status_of(exc), exc.code, exc.message, exc.details)
        if isinstance(exc, Busy):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, status

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError):
        return error_response(422, "invalid", INVALID_MESSAGE, exc.messages)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = exc.description or exc.name
        details = None
        data = getattr(exc, "data", None) or {}
        if status == 422 and "messages" in data:  # webargs: the arguments did not load
            message, details = INVALID_MESSAGE, _field_errors(data["messages"])
        if status == 413:
            message = (
                f"The request body is larger than the limit of "
                f"{app.config['MAX_CONTENT_LENGTH']} bytes."
            )
        if status == 429:
            message = f"Too many requests: {exc.description}. Please wait and try again."
        response, status = error_response(status, code, message, details)
        if hasattr(exc, "get_headers"):
            for name, value in exc.get_headers():
                if name.lower() in {"retry-after", "allow", "www-authenticate"}:
                    response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):  # pragma: no cover - a bug, logged
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on the server.")
