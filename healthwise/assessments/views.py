"""The sync endpoint (push the phone's changes, pull what changed on the server), the
limits a phone keeps, and the page where a person brings back a phone's exported file.

Bringing back a file is for the phone that can no longer sync (revoked, broken, joined
elsewhere): its unsent changes go through the same push as a sync, so a file brought
back twice, or a phone that later syncs the same changes itself, stores each change once.
"""

import uuid
from datetime import timedelta

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _

from healthwise.access import service as access
from healthwise.access.service import Scope
from healthwise.assessments.files import FileError, read_phone_file
from healthwise.assessments.pull import BadCursor, parse_cursor, pull
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor, bind_device
from healthwise.assessments.schemas import MAX_DEVICES_PER_TOKEN, UUID, SyncRequestSchema, limits
from healthwise.assessments.store import read_clock
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import token_required
from healthwise.errors import APIError
from healthwise.extensions import db, limiter
from healthwise.facilities.models import Facility
from healthwise.timeutil import iso, utcnow
from healthwise.web.pages import not_in_your_districts, page_blueprint
from healthwise.web.requests import json_body

api = Blueprint("assessments_api", __name__, url_prefix="/api/v1")
bp = page_blueprint("assessments", __name__, "/manage", not_in_your_districts)
LAST_SEEN_STEP = timedelta(minutes=1)


def _token_key() -> str:
    return f"token:{g.token.id}" if getattr(g, "token", None) else "anonymous"


@api.post("/sync")
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
    if not bind_device(g.token, device_id):
        raise APIError("too_many_devices", f"This token has already synced from "
                       f"{MAX_DEVICES_PER_TOKEN} phones; join again to get a token for "
                       "this phone.", 403)
    try:
        # Checked before anything is written; the clock only grows after that.
        cursor = parse_cursor(data["cursor"], read_clock())
    except BadCursor:
        raise APIError("bad_cursor", "This server never issued that cursor (it may have been "
                       "restored from a backup): sync again from the start, with cursor "
                       "null.", 422) from None
    actor = Actor(g.token.id, g.token.name, device_id)
    pushed = push(g.scope, actor, raw_changes, registry())
    now = utcnow()
    if g.token.last_seen_at is None or now - g.token.last_seen_at > LAST_SEEN_STEP:
        # A minute is precise enough for "last seen", and a phone that only pulls
        # then writes nothing at all.
        g.token.last_seen_at = now
    # Commit before pulling: the writer lock is held only while writing, and the pull
    # reads up to ``clock`` only, all of which has committed.
    db.session.commit()
    page = pull(g.scope, cursor, pushed, current_app.config["SYNC_PAGE_SIZE"],
                        data["cursor"])
    db.session.commit()
    return jsonify({"results": pushed.results, **page, "server_time": iso(utcnow())})


@api.get("/limits")
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


# Pages --------------------------------------------------------------------------------------


def _facility_or_404(facility_id: int) -> Facility:
    if not access.valid_id(facility_id) or not access.manages_phones_of(g.user, facility_id):
        abort(404)
    return db.session.get(Facility, facility_id) or abort(404)


def _file_error(code: str) -> str:
    return {
        "no_file": _("Choose the file that the phone exported."),
        "other_facility": _("This file comes from a phone of another facility."),
        "not_json": _("This file is not a HealthWISE export: it cannot be read."),
    }.get(code, _("This file is not a HealthWISE export."))


@bp.route("/facilities/<int:facility_id>/phone-file", methods=["GET", "POST"])
@user_required()
def phone_file(facility_id: int):
    """Bring back a phone's exported file: sync the changes it had not sent."""
    facility = _facility_or_404(facility_id)
    workshop = access.workshop_of(facility.id)
    if request.method == "GET":
        return render_template("assessments/phone_file.html", facility=facility, workshop=workshop)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise FileError("no_file")
        found = read_phone_file(upload.read())
        if found.facility_id is not None and found.facility_id != facility.id:
            raise FileError("other_facility")
    except FileError as exc:
        return render_template("assessments/phone_file.html", facility=facility, workshop=workshop,
                               error=_file_error(exc.code)), 422
    device_id = found.device_id if found.device_id and UUID.regex.match(found.device_id) \
        else str(uuid.uuid4())
    actor = Actor(None, f"file via {g.user.email}"[:100], device_id.lower())
    results = []
    limit = current_app.config["SYNC_MAX_CHANGES"]  # the batches of a phone's sync
    for start in range(0, len(found.changes), limit):
        batch = found.changes[start:start + limit]
        results += push(Scope(frozenset({facility.id})), actor, batch,
                                registry()).results
        db.session.commit()
    counts = {status: sum(1 for r in results if r["status"] == status)
              for status in ("applied", "merged", "conflict", "duplicate", "rejected")}
    rejected = [r for r in results if r["status"] == "rejected"][:20]
    return render_template("assessments/phone_file.html", facility=facility, workshop=workshop,
                           counts=counts, total=len(results), rejected=rejected,
                           exported=found.exported)
