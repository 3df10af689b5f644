"""The sync endpoint: push the phone's changes, pull what changed on the server."""

from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify

from healthwise.assessments import service
from healthwise.assessments.schemas import MAX_DEVICES_PER_TOKEN, SyncRequestSchema, limits
from healthwise.auth.decorators import token_required
from healthwise.checklists.views import registry
from healthwise.errors import APIError
from healthwise.extensions import db, limiter
from healthwise.requests import json_body
from healthwise.timeutil import iso, utcnow

bp = Blueprint("assessments", __name__, url_prefix="/api/v1")
LAST_SEEN_STEP = timedelta(minutes=1)


def _token_key() -> str:
    return f"token:{g.token.id}" if getattr(g, "token", None) else "anonymous"


@bp.post("/sync")
@token_required
@limiter.limit(lambda: current_app.config["RATELIMIT_SYNC"], key_func=_token_key)
def sync():
    """Push changes and pull what changed since the cursor.
    ---
    post:
      tags: [sync]
      summary: Push the phone's changes and pull the server's (sync protocol)
      description: >-
        Each change gets a result: applied, duplicate, merged, conflict or rejected.
        Then the records of the token's scope changed after `cursor` come back, a
        page at a time (`more`), with every record the phone's picture may be behind
        on (a duplicate after a lost reply, a change not made on the latest revision).
        A cursor this server never issued is refused with 422 `bad_cursor`: pull
        again from `null`.
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: SyncRequestSchema
      responses:
        200:
          content:
            application/json:
              schema: SyncResponseSchema
        400: {content: {application/json: {schema: ErrorSchema}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403: {content: {application/json: {schema: ErrorSchema}}}
        413: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
        429: {content: {application/json: {schema: ErrorSchema}}}
    """
    body = json_body()
    limit = current_app.config["SYNC_MAX_CHANGES"]
    if isinstance(body.get("changes"), list) and len(body["changes"]) > limit:
        raise APIError("too_many_changes", f"Send at most {limit} changes per request.", 422,
                       {"limit": limit})
    data = SyncRequestSchema().load(body)
    raw_changes = body.get("changes") or []
    device_id = str(data["device_id"])
    if not service.bind_device(g.token, device_id):
        raise APIError("too_many_devices", f"This token has already synced from "
                       f"{MAX_DEVICES_PER_TOKEN} phones; join again to get a token for "
                       "this phone.", 403)
    try:
        # Checked before anything is written; the clock only grows after that.
        cursor = service.parse_cursor(data["cursor"], service.read_clock())
    except service.BadCursor:
        raise APIError("bad_cursor", "This server never issued that cursor (it may have been "
                       "restored from a backup): sync again from the start, with cursor "
                       "null.", 422) from None
    actor = service.Actor(g.token.id, g.token.name, device_id)
    pushed = service.push(g.scope, actor, raw_changes, registry())
    now = utcnow()
    if g.token.last_seen_at is None or now - g.token.last_seen_at > LAST_SEEN_STEP:
        # A minute is precise enough for "last seen", and a phone that only pulls
        # then writes nothing at all.
        g.token.last_seen_at = now
    # Commit before pulling: the writer lock is held only while writing, and the pull
    # reads up to ``clock`` only, all of which has committed.
    db.session.commit()
    page = service.pull(g.scope, cursor, pushed, current_app.config["SYNC_PAGE_SIZE"],
                        data["cursor"])
    db.session.commit()
    return jsonify({"results": pushed.results, **page, "server_time": iso(utcnow())})


@bp.get("/limits")
def sync_limits():
    """The limits of what a phone may send, defined once here and read by the phone.
    ---
    get:
      tags: [sync]
      summary: Longest text per record field, action items per round, changes per request
      description: >-
        The phone keeps these to size its inputs and check an edit before saving it,
        so that nothing a user types is refused later by the server.
      responses:
        200:
          content:
            application/json:
              schema: LimitsSchema
    """
    response = jsonify(limits(current_app.config["SYNC_MAX_CHANGES"]))
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
