"""Trainers' pages: their workshops, a workshop's join codes (with QR) and its phones.

Trainers see and manage their own workshops, admins every workshop; managers none
(403). Ending a join code and revoking a participant's phone use the routes every
manager page uses (``devices.end_code``, ``devices.revoke_device``).
"""

from datetime import date

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from healthwise.access import service as access
from healthwise.access.service import TRAINERS, Role
from healthwise.auth.decorators import user_required
from healthwise.devices.panel import issue_code, panel
from healthwise.extensions import db
from healthwise.web.pages import page_blueprint
from healthwise.workshops import service
from healthwise.workshops.schemas import WorkshopFormSchema

bp = page_blueprint("workshops", __name__, "/manage/workshops", lambda: _(
    "There is no such page, or it is not one of your workshops."))


def _list_page(form=None, error=None, status=200):
    workshops = list(db.session.scalars(access.workshops_query(g.user)))
    return render_template("workshops/workshops.html", workshops=workshops, form=form or {},
                           error=error, today=date.today().isoformat()), status


@bp.get("/")
@user_required(*TRAINERS)
def index():
    """The signed-in trainer's workshops (an admin's: every workshop)."""
    return _list_page()


@bp.post("/")
@user_required(Role.TRAINER)
def create():
    """Create a workshop run by the signed-in trainer, with its practice facility."""
    try:
        data = WorkshopFormSchema().load(request.form)
        workshop = service.create_workshop(g.user, data["name"], data["starts_on"],
                                           data["ends_on"])
    except (ValidationError, service.WorkshopError):
        return _list_page(form=request.form, status=422, error=_(
            "Give the workshop a name and a first day; its last day cannot be before the "
            "first, nor more than a year later."))
    db.session.commit()
    return redirect(url_for(".workshop", workshop_id=workshop.id), 303)


def _workshop_or_404(workshop_id: int):
    return access.reachable_workshop(g.user, workshop_id) or abort(404)


@bp.get("/<int:workshop_id>")
@user_required(*TRAINERS)
def workshop(workshop_id: int):
    """A workshop: its join codes and its participants' phones."""
    found = _workshop_or_404(workshop_id)
    return render_template("workshops/workshop.html", workshop=found, **panel(found.facility_id))


@bp.post("/<int:workshop_id>/codes")
@user_required(*TRAINERS)
def create_code(workshop_id: int):
    """Create a join code (an enrolment code of the practice facility); show it once."""
    found = _workshop_or_404(workshop_id)
    context, status = issue_code(found.facility_id, request.form, request.host_url)
    db.session.commit()
    return render_template("workshops/workshop.html", workshop=found, **context), status
