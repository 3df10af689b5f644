"""The one argument layer of the API, and its OpenAPI document, with flask-smorest.

A view declares what it reads (``@bp.arguments(Schema)`` for the JSON body,
``location="query"`` for the query string) and what it sends
(``@bp.response(200, Schema)``): arguments arrive loaded or the client gets 422 in the
API's error shape, and responses are dumped through the schema, so the OpenAPI document
at ``/api/v1/openapi.json`` is built from the very schemas that load and dump.
"""

import flask_smorest
from webargs.flaskparser import FlaskParser

from healthwise.errors import ErrorSchema
from healthwise.web.requests import json_body


class Parser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies the one way the API does (see
    :func:`healthwise.web.requests.json_body`): a body that is not a JSON object is a 400,
    whatever its Content-Type."""

    def load_json(self, req, schema):
        return json_body()


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint: flask-smorest's, with :class:`Parser`."""

    ARGUMENTS_PARSER = Parser()


class Api(flask_smorest.Api):
    """flask-smorest's API object, documenting the API's own error shape.

    Errors are rendered by :func:`healthwise.errors.register_error_handlers` for the
    whole app, pages included, so this does not install handlers of its own.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


#: Documented on every view that needs a token.
BEARER = {"security": [{"bearer": []}]}
