"""The sync endpoint (push the phone's changes, pull what changed on the server), the
limits a phone keeps, and the page where a person brings back a phone's exported file.

Bringing back a file is for the phone that can no longer sync (revoked, broken, joined
elsewhere): its unsent changes go through the same push as a sync, so a file brought
back twice, or a phone that later syncs the same changes itself, stores each change once.
"""

import uuid
from datetime import timedelta

from flask import abort, current_app, g, render_template, request
from flask_babel import gettext as _

from healthwise.access import service as access
from healthwise.access.service import Scope
from healthwise.assessments.files import FileError, read_phone_file
from healthwise.assessments.pull import parse_cursor, pull
from healthwise.assessments.push import push
from healthwise.assessments.rules import Actor, bind_device
from healthwise.assessments.schemas import (
    MAX_DEVICES_PER_TOKEN,
    LimitsSchema,
    SyncRequestSchema,
    SyncResponseSchema,
    limits,
)
from healthwise.assessments.store import read_clock
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import token_key, token_required
from healthwise.errors import Forbidden
from healthwise.extensions import db, limiter
from healthwise.facilities.models import Facility
from healthwise.timeutil import utcnow
from healthwise.validation import UUID_PATTERN
from healthwise.web.api import BEARER
from healthwise.web.api import Blueprint as ApiBlueprint
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = ApiBlueprint("assessments_api", __name__, url_prefix="/api/v1",
                   description="Offline sync: push the phone's changes, pull the server's.")
bp = page_blueprint("assessments", __name__, "/manage", not_in_your_districts)
LAST_SEEN_STEP = timedelta(minutes=1)


@api.post("/sync")
@token_required
@limiter.limit(lambda: current_app.config["RATELIMIT_SYNC"], key_func=token_key)
@api.doc(**BEARER)
@api.arguments(SyncRequestSchema)
@api.response(200, SyncResponseSchema)
@api.alt_response(400, response="BAD_REQUEST")
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description="A manager's token, or a token that "
                  "synced from too many phones (too_many_devices)")
@api.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@api.alt_response(429, response="TOO_MANY_REQUESTS")
def sync(data: dict):
    """Push the phone's changes and pull the server's (sync protocol).

    Each change gets a result: applied, duplicate, merged, conflict or rejected. Then the
    records of the token's scope changed after `cursor` come back, a page at a time
    (`more`), with every record the phone's picture may be behind on (a duplicate after
    a lost reply, a change not made on the latest revision, a change rejected for a
    `base_rev` above the record's revision). A cursor this server never issued is refused
    with 422 `bad_cursor` (after a restore from a backup): send again the changes it had
    acknowledged, then pull from `null`.
    """
    device_id = data["device_id"]
    if not bind_device(g.token, device_id):
        raise Forbidden(f"This token has already synced from {MAX_DEVICES_PER_TOKEN} phones; "
                        "join again to get a token for this phone.", "too_many_devices")
    # Checked before anything is written; the clock only grows after that.
    cursor = parse_cursor(data["cursor"], read_clock())
    actor = Actor(g.token.id, g.token.name, device_id, participant=_creates_round(data)
                  and access.workshop_of(g.token.facility_id) is not None)
    pushed = push(g.scope, actor, data["changes"], registry())
    now = utcnow()
    if g.token.last_seen_at is None or now - g.token.last_seen_at > LAST_SEEN_STEP:
        # A minute is precise enough for "last seen", and a phone that only pulls
        # then writes nothing at all.
        g.token.last_seen_at = now
    # Commit before pulling: the writer lock is held only while writing, and the pull
    # reads up to ``clock`` only, all of which has committed.
    db.session.commit()
    page = pull(g.scope, cursor, pushed, current_app.config["SYNC_PAGE_SIZE"], data["cursor"])
    db.session.commit()
    return {"results": pushed.results, **page, "server_time": utcnow()}


def _creates_round(data: dict) -> bool:
    """Tell whether a batch may create an assessment (only then is the workshop looked up)."""
    return any(isinstance(c, dict) and c.get("type") == "assessment" and c.get("base_rev") is None
               for c in data["changes"])


@api.get("/limits")
@api.response(200, LimitsSchema)
def sync_limits():
    """Longest text per record field, action items per round, changes per request.

    The limits of what a phone may send, defined once and read by the phone: it sizes
    its inputs and checks an edit before saving it, so that nothing a user types is
    refused later by the server.
    """
    return limits(), 200, {"Cache-Control": "public, max-age=3600"}


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
    device_id = found.device_id if found.device_id and UUID_PATTERN.match(found.device_id) \
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
