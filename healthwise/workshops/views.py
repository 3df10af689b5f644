"""Trainers' pages: their workshops, a workshop's join codes (with QR) and its phones;
the projector, closing, reuse, reset and certificates.

Trainers see and manage their own workshops, admins every workshop; managers none
(403); another trainer's workshop is 404. Ending a join code and revoking a
participant's phone use the routes every manager page uses (``devices.end_code``,
``devices.revoke_device``). The workshop's export files are the exports room's
(``exports.workshop_sqlite``, ``exports.workshop_zip``).
"""

from datetime import date
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError

from healthwise.access import service as access
from healthwise.access.service import TRAINERS, Role
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.panel import issue_code, join_link, panel, qr_image
from healthwise.extensions import db
from healthwise.languages.service import gettext_for, normalise
from healthwise.plans.download import attachment
from healthwise.plans.service import slug
from healthwise.plans.slots import render_slot
from healthwise.web.pages import error_page, page_blueprint
from healthwise.workshops import certificates, service
from healthwise.workshops.schemas import ConfirmFormSchema, WorkshopFormSchema

bp = page_blueprint("workshops", __name__, "/manage/workshops", lambda: _(
    "There is no such page, or it is not one of your workshops."))


@bp.context_processor
def _today() -> dict:
    # The workshop's status depends on the day the page is seen.
    return {"today_date": date.today}


def _list_page(form=None, error=None, status=200):
    workshops = list(db.session.scalars(access.workshops_query(g.user)))
    today = date.today()
    return render_template("workshops/workshops.html", workshops=workshops, form=form or {},
                           error=error, today=today.isoformat(),
                           statuses={w.id: w.status(today) for w in workshops},
                           phones=service.phone_counts(workshops)), status


@bp.get("/")
@user_required(*TRAINERS)
def index():
    """The signed-in trainer's workshops (an admin's: every workshop), where trainers land.

    ``?from=<id>`` opens the form filled with one of their workshops' set-up.
    """
    previous = request.args.get("from", type=int)
    if previous is not None:
        found = _workshop_or_404(previous)
        return _list_page(form=service.setup_from(found))
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
    context, status = issue_code(found.facility_id, request.form, request.host_url,
                                 workshop=True)
    db.session.commit()
    return render_template("workshops/workshop.html", workshop=found, **context), status


# The workshop's life: projector, closing, reuse, reset, certificates (issue 13) --------------


@bp.get("/<int:workshop_id>/projector")
@user_required(*TRAINERS)
def projector(workshop_id: int):
    """The join code large with its QR, for the room's screen: shown as often as needed."""
    found = _workshop_or_404(workshop_id)
    code = service.current_code(found)
    link = join_link(request.host_url, code.code, workshop=True) if code else None
    return render_template("workshops/projector.html", workshop=found, code=code, link=link,
                           qr=qr_image(link, scale=10) if link else None,
                           status=found.status(date.today()),
                           phones=service.phone_counts([found])[found.id])


@bp.post("/<int:workshop_id>/projector")
@user_required(*TRAINERS)
def projector_code(workshop_id: int):
    """Make a join code for the rest of the workshop if none joins now; show the projector."""
    found = _workshop_or_404(workshop_id)
    try:
        service.projector_code(found)
    except service.WorkshopError:
        flash(_("This workshop is over: its join codes no longer work."))
    db.session.commit()
    return redirect(url_for(".projector", workshop_id=found.id), 303)


def _confirmed(found, action: str):
    """Return None if the form ticked its confirmation box, else the workshop page, 422."""
    try:
        ConfirmFormSchema().load(request.form)
    except ValidationError:
        return render_template("workshops/workshop.html", workshop=found, unconfirmed=action,
                               **panel(found.facility_id)), 422
    return None


@bp.post("/<int:workshop_id>/close")
@user_required(*TRAINERS)
def close(workshop_id: int):
    """Close the workshop: participants' phones and join codes stop; the data stays."""
    found = _workshop_or_404(workshop_id)
    refused = _confirmed(found, "close")
    if refused:
        return refused
    service.close_workshop(found)
    db.session.commit()
    flash(_("The workshop is closed: its phones can no longer sync and its join codes no "
            "longer work. What was recorded stays here."))
    return redirect(url_for(".workshop", workshop_id=found.id), 303)


@bp.post("/<int:workshop_id>/reset")
@user_required(*TRAINERS)
def reset(workshop_id: int):
    """Clear the practice facility for the next group: rounds removed, phones signed out."""
    found = _workshop_or_404(workshop_id)
    refused = _confirmed(found, "reset")
    if refused:
        return refused
    rounds, phones = service.reset_practice(found, g.user.email)
    db.session.commit()
    flash(_("The practice facility is ready for the next group: %(rounds)s rounds removed, "
            "%(phones)s phones signed out.", rounds=rounds, phones=phones))
    return redirect(url_for(".workshop", workshop_id=found.id), 303)


@bp.get("/<int:workshop_id>/certificates.pdf")
@user_required(*TRAINERS)
def certificates_pdf(workshop_id: int):
    """Certificates of participation, one page per participant, in ``?lang=``."""
    found = _workshop_or_404(workshop_id)
    lang = normalise(request.args.get("lang")) if "lang" in request.args else "en"
    if lang is None:
        return error_page(400, _("This language is not available. Choose English, French, "
                                 "Spanish, Portuguese or Arabic."))
    names = service.participant_names(found)
    if not names:
        return error_page(409, _("No participant has joined with a name yet: there is no "
                                 "certificate to print."))
    gettext, _ngettext = gettext_for(lang)
    facts = certificates.Workshop(found.name, found.starts_on, found.ends_on,
                                  found.trainer.email,
                                  _module_titles(service.checkpoints_answered(found), lang))
    with render_slot(Path(current_app.instance_path), current_app.config["PDF_RENDER_SLOTS"],
                     current_app.config["PDF_RENDER_WAIT"]):
        pdf = certificates.render_certificates(facts, names, lang, gettext)
    # Named like a plan's PDF: the workshop's name, what it is, the language.
    filenames = [f"{slug(found.name, ascii_only) or 'workshop'}_certificates_{lang}.pdf"
             for ascii_only in (True, False)]
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(*filenames), "Cache-Control": "no-store"})


def _module_titles(answered: set[str], lang: str) -> tuple[str, ...]:
    """Return the titles of the modules with an answered checkpoint, in checklist order."""
    titles: dict[str, str] = {}
    for checklist in registry():
        for module in checklist.localised(lang)["modules"]:
            if any(checkpoint["id"] in answered for checkpoint in module["checkpoints"]):
                titles.setdefault(module["id"], module["title"])
    return tuple(titles.values())
