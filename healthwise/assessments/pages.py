"""Pages: a manager or trainer brings back a phone's exported file and syncs it.

For the phone that can no longer sync (revoked, broken, joined elsewhere): its
unsent changes go through the same push as a sync, so a file brought back twice, or
a phone that later syncs the same changes itself, stores each change once.
"""

import uuid

from flask import abort, current_app, g, render_template, request
from flask_babel import gettext as _

from healthwise.assessments import service
from healthwise.assessments.files import FileError, read_phone_file
from healthwise.assessments.schemas import UUID
from healthwise.auth import service as access
from healthwise.auth.decorators import user_required
from healthwise.auth.views import page_blueprint
from healthwise.checklists.views import registry
from healthwise.districts.models import Facility
from healthwise.extensions import db

bp = page_blueprint("phone_files", __name__, "/manage", lambda: _(
    "There is no such page, or it is not in your districts."))


def _facility_or_404(facility_id: int) -> Facility:
    if not 0 < facility_id <= access.MAX_ID or not access.manages_phones_of(g.user,
                                                                              facility_id):
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
        return render_template("manage/phone_file.html", facility=facility, workshop=workshop)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise FileError("no_file")
        found = read_phone_file(upload.read())
        if found.facility_id is not None and found.facility_id != facility.id:
            raise FileError("other_facility")
    except FileError as exc:
        return render_template("manage/phone_file.html", facility=facility, workshop=workshop,
                               error=_file_error(exc.code)), 422
    device_id = found.device_id if found.device_id and UUID.regex.match(found.device_id) \
        else str(uuid.uuid4())
    actor = service.Actor(None, f"file via {g.user.email}"[:100], device_id.lower())
    results = []
    limit = current_app.config["SYNC_MAX_CHANGES"]  # the batches of a phone's sync
    for start in range(0, len(found.changes), limit):
        batch = found.changes[start:start + limit]
        results += service.push(service.Scope(frozenset({facility.id})), actor, batch,
                                registry()).results
        db.session.commit()
    counts = {status: sum(1 for r in results if r["status"] == status)
              for status in ("applied", "merged", "conflict", "duplicate", "rejected")}
    rejected = [r for r in results if r["status"] == "rejected"][:20]
    return render_template("manage/phone_file.html", facility=facility, workshop=workshop,
                           counts=counts, total=len(results), rejected=rejected,
                           exported=found.exported)
