"""One JSON error shape for the API: ``{"error": {"code", "message", "details"}}``."""

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException


class APIError(Exception):
    """An error a client can read: raised anywhere, rendered by the handler below."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details if details is not None else {}
        if status is not None:
            self.status = status


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


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every error into the API's shape."""

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError):
        return error_response(
            422, "invalid", "The request does not match the expected fields.", exc.messages
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = exc.description or exc.name
        if status == 413:
            message = (
                f"The request body is larger than the limit of "
                f"{app.config['MAX_CONTENT_LENGTH']} bytes."
            )
        if status == 429:
            message = f"Too many requests: {exc.description}. Please wait and try again."
        response, status = error_response(status, code, message)
        if hasattr(exc, "get_headers"):
            for name, value in exc.get_headers():
                if name.lower() in {"retry-after", "allow", "www-authenticate"}:
                    response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):  # pragma: no cover - a bug, logged
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on the server.")
