"""Phones join a facility with an enrolment code and ask who they are."""

from flask import Blueprint, current_app, g, jsonify

from healthwise.auth.decorators import token_required
from healthwise.auth.schemas import EnrolRequestSchema
from healthwise.auth.service import CodeError, redeem_code
from healthwise.errors import APIError
from healthwise.extensions import db, limiter
from healthwise.requests import json_body
from healthwise.timeutil import iso

bp = Blueprint("auth", __name__, url_prefix="/api/v1")


def scope_dict(token) -> dict:
    return {"kind": "facility", "facility": token.facility.to_dict()}


@bp.post("/enrol")
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROL"])
def enrol():
    """Redeem an enrolment code for a device token.
    ---
    post:
      tags: [auth]
      summary: Join a facility with an enrolment code
      requestBody:
        required: true
        content:
          application/json:
            schema: EnrolRequestSchema
      responses:
        201:
          content:
            application/json:
              schema: EnrolResponseSchema
        400: {content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
        410: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
        429: {content: {application/json: {schema: ErrorSchema}}}
    """
    data = EnrolRequestSchema().load(json_body())
    try:
        token, secret = redeem_code(data["code"], data["device_name"])
    except CodeError as exc:
        db.session.commit()  # release the row lock; nothing was changed
        raise APIError(exc.code, exc.message, exc.status) from None
    db.session.commit()
    return jsonify({"token": secret, "scope": scope_dict(token)}), 201


@bp.get("/me")
@token_required
def me():
    """Describe the calling device and its scope.
    ---
    get:
      tags: [auth]
      summary: The calling device and what it may reach
      security: [{bearer: []}]
      responses:
        200:
          content:
            application/json:
              schema: MeSchema
        401: {content: {application/json: {schema: ErrorSchema}}}
    """
    return jsonify({
        "scope": scope_dict(g.token),
        "device": {"name": g.token.name, "created_at": iso(g.token.created_at)},
    })
