"""Trainers' pages: their workshops, a workshop's join codes (with QR) and its phones;
the projector, closing, reuse, reset and certificates.

Trainers see and manage their own workshops, admins every workshop; managers none
(403); another trainer's workshop is 404. Ending a join code and revoking a
participant's phone use the routes every manager page uses (``devices.end_code``,
``devices.revoke_device``). The workshop's export files are the exports room's
(``exports.workshop_sqlite``, ``exports.workshop_zip``).
"""

import uuid
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
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
from healthwise.devices.decorators import token_required
from healthwise.devices.panel import issue_code, join_link, panel, qr_image
from healthwise.errors import Forbidden
from healthwise.extensions import db
from healthwise.languages.service import gettext_for, requested_language, select_locale
from healthwise.plans import service as plan_service
from healthwise.plans.download import attachment, pdf_response
from healthwise.plans.service import slug
from healthwise.plans.slots import render_slot
from healthwise.web.api import BEARER
from healthwise.web.api import Blueprint as ApiBlueprint
from healthwise.web.pages import error_page, page_blueprint
from healthwise.workshops import certificates, service
from healthwise.workshops.schemas import (
    AgreedItemSchema,
    ConfirmFormSchema,
    GroupFormSchema,
    PhoneWorkshopSchema,
    RoundFormSchema,
    WorkshopFormSchema,
)

bp = page_blueprint("workshops", __name__, "/manage/workshops", lambda: _(
    "There is no such page, or it is not one of your workshops."))
api = ApiBlueprint("workshops_api", __name__, url_prefix="/api/v1",
                   description="A workshop participant's phone: its workshop and its group.")


@api.get("/workshop")
@token_required
@api.doc(**BEARER)
@api.response(200, PhoneWorkshopSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN",
                  description="Not a workshop participant's phone (workshop_phone_required)")
def phone_workshop():
    """A participant's phone's workshop and group: the phone shows its group's name and
    walks its group's round (its modules), leaving out the other groups' rounds."""
    found = access.workshop_of(g.token.facility_id)
    if found is None:
        raise Forbidden("This route serves the phones of a workshop's participants only.",
                        "workshop_phone_required")
    return {"workshop": found, **service.phone_group(found, g.token.id)}


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
        return _list_page(form={**service.setup_from(found),
                                "groups": [group.name for group in service.groups(found)]})
    return _list_page()


@bp.post("/")
@user_required(Role.TRAINER)
def create():
    """Create a workshop run by the signed-in trainer, with its practice facility."""
    try:
        data = WorkshopFormSchema().load(request.form)
        previous = None
        if data["from_id"] is not None:
            previous = access.reachable_workshop(g.user, data["from_id"])
            if previous is None:
                raise service.WorkshopError("Not one of your workshops.")
        workshop = service.create_workshop(g.user, data["name"], data["starts_on"],
                                           data["ends_on"])
        if previous is not None:
            service.copy_setup(workshop, previous)
    except (ValidationError, service.WorkshopError):
        db.session.rollback()
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
    return render_template("workshops/workshop.html", workshop=found, **panel(found.facility_id),
                           **_rounds_context(found))


@bp.post("/<int:workshop_id>/codes")
@user_required(*TRAINERS)
def create_code(workshop_id: int):
    """Create a join code (an enrolment code of the practice facility); show it once."""
    found = _workshop_or_404(workshop_id)
    context, status = issue_code(found.facility_id, request.form, request.host_url,
                                 workshop=True)
    db.session.commit()
    return render_template("workshops/workshop.html", workshop=found, **context,
                           **_rounds_context(found)), status


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
                               **panel(found.facility_id), **_rounds_context(found)), 422
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
    lang = requested_language()
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


# Rounds for everyone, groups, the live view and the consensus (issue 13) --------------------


def _rounds_context(found, error=None) -> dict:
    """Return what the workshop page's "Practice rounds" section shows."""
    lang = select_locale()
    return {"rounds": service.rounds(found), "groups": service.groups(found),
            "modules": _titles(lang)[0], "round_error": error, "round_id": uuid.uuid4()}


@lru_cache(maxsize=16)
def _cached_titles(checklist_id: str, version: int, lang: str) -> tuple[list, dict]:
    localised = service.checklist().localised(lang)
    modules = [(m["id"], m["number"], m["title"]) for m in localised["modules"]]
    checkpoints = {cp["id"]: cp["action"] for m in localised["modules"]
                   for cp in m["checkpoints"]}
    return modules, checkpoints


def _titles(lang: str) -> tuple[list, dict]:
    """Return the checklist's modules (id, number, title) and checkpoints' texts in ``lang``."""
    found = service.checklist()
    return _cached_titles(found.id, found.version, lang)


@bp.post("/<int:workshop_id>/rounds")
@user_required(*TRAINERS)
def start_round(workshop_id: int):
    """Start a practice round (optionally for a group) that every participant's phone joins."""
    found = _workshop_or_404(workshop_id)
    form = {"title": request.form.get("title", ""), "modules": request.form.getlist("modules"),
            "group_id": request.form.get("group_id", ""),
            "round_id": request.form.get("round_id", "")}
    try:
        data = RoundFormSchema().load(form)
        group = service.find_group(found, data["group_id"])
        if data["group_id"] and group is None:
            raise service.WorkshopError("No such group.")
        round_id = str(data["round_id"]) if data["round_id"] else None
        service.start_round(found, g.user.email, data["title"], data["modules"], group,
                            assessment_id=round_id)
    except (ValidationError, service.WorkshopError) as exc:
        db.session.rollback()
        why = (_("This workshop is over: no round can start in it.")
               if isinstance(exc, service.WorkshopOver) else
               _("Give the round a title (up to 200 characters) and choose "
                 "modules of the checklist, or none for all of it."))
        return render_template("workshops/workshop.html", workshop=found,
                               **panel(found.facility_id), **_rounds_context(found, why)), 422
    db.session.commit()
    flash(_("The round has started: participants' phones show it after their next sync."))
    return redirect(url_for(".workshop", workshop_id=found.id) + "#rounds", 303)


def _groups_page(found, error=None, status=200):
    return render_template("workshops/groups.html", workshop=found,
                           groups=service.groups(found), phones=service.phones(found),
                           modules={m[0]: m for m in _titles(select_locale())[0]},
                           round_id=uuid.uuid4, error=error), status


@bp.get("/<int:workshop_id>/groups")
@user_required(*TRAINERS)
def groups(workshop_id: int):
    """The workshop's groups and which participant's phone is in which."""
    return _groups_page(_workshop_or_404(workshop_id))


@bp.post("/<int:workshop_id>/groups")
@user_required(*TRAINERS)
def add_group(workshop_id: int):
    """Add a group to the workshop."""
    found = _workshop_or_404(workshop_id)
    try:
        service.add_group(found, GroupFormSchema().load(request.form)["name"])
    except (ValidationError, service.WorkshopError):
        db.session.rollback()
        return _groups_page(found, _("Give each group its own name of 1 to 100 characters "
                                     "(at most 20 groups)."), 422)
    db.session.commit()
    return redirect(url_for(".groups", workshop_id=found.id), 303)


@bp.post("/<int:workshop_id>/groups/phones")
@user_required(*TRAINERS)
def place_phones(workshop_id: int):
    """Put each participant's phone in a group (``phone-<token id>`` = a group id or "")."""
    found = _workshop_or_404(workshop_id)
    placement = {}
    try:
        for key, value in request.form.items():
            if key.startswith("phone-"):
                placement[int(key.removeprefix("phone-"))] = int(value) if value else None
        service.assign_phones(found, placement)
    except (ValueError, service.WorkshopError):
        db.session.rollback()
        return _groups_page(found, _("Choose one of this workshop's groups for each phone."),
                            422)
    db.session.commit()
    flash(_("The groups are saved."))
    return redirect(url_for(".groups", workshop_id=found.id), 303)


def _chosen_round() -> str | None:
    chosen = request.args.get("round")
    return chosen if chosen and len(chosen) <= 36 else None


def _live(workshop_id: int, render):
    """Answer a live view request: 304 when nothing changed since the viewer's copy."""
    found = _workshop_or_404(workshop_id)
    lang = select_locale()
    etag = service.live_etag(found, _chosen_round(), lang, render.__name__)
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = render(found, service.live_state(found, _chosen_round()), lang)
    # The page's script sends the tag back itself (pages are never stored in a cache).
    response.set_etag(etag)
    return response


def _role_names() -> dict:
    """Return the phone's participant roles by code, in the page's language."""
    return {"manager": _("Manager"), "clinical": _("Nurse, midwife or doctor"),
            "support": _("Support staff"), "worker_rep": _("Worker representative"),
            "other": _("Other")}


def _panel(found, state, lang):
    modules, checkpoints = _titles(lang)
    return current_app.make_response(render_template(
        "workshops/_live.html", workshop=found, state=state, checkpoints=checkpoints,
        modules={m[0]: m for m in modules}, roles=_role_names()))


def _json(found, state, lang):
    return jsonify(state)


@bp.get("/<int:workshop_id>/live")
@user_required(*TRAINERS)
def live(workshop_id: int):
    """The live view for the projector: it refreshes itself as answers arrive."""
    found = _workshop_or_404(workshop_id)
    state = service.live_state(found, _chosen_round())
    modules, checkpoints = _titles(select_locale())
    return render_template("workshops/live.html", workshop=found, state=state,
                           checkpoints=checkpoints, modules={m[0]: m for m in modules},
                           roles=_role_names())


@bp.get("/<int:workshop_id>/live/panel")
@user_required(*TRAINERS)
def live_panel(workshop_id: int):
    """The live view's figures as an HTML fragment (304 when nothing changed)."""
    return _live(workshop_id, _panel)


@bp.get("/<int:workshop_id>/live.json")
@user_required(*TRAINERS)
def live_json(workshop_id: int):
    """The live view's figures as JSON (304 when nothing changed)."""
    return _live(workshop_id, _json)


def _round_or_404(found, assessment_id):
    return service.find_round(found, str(assessment_id)) or abort(404)


def _agree_page(found, assessment, error=None, status=200):
    state = service.live_state(found, assessment.id, top=len(service.checklist().checkpoints))
    modules, checkpoints = _titles(select_locale())
    costs = {cp: spec.get("cost", "low") for cp, spec in service.checklist().checkpoints.items()}
    return render_template("workshops/agree.html", workshop=found, assessment=assessment,
                           figures=state["round"], checkpoints=checkpoints, costs=costs,
                           items=plan_service.load_round(assessment.id, access.Scope(
                               frozenset({found.facility_id}))).items,
                           error=error, form=request.form,
                           languages=current_app.config["LANGUAGES"]), status


@bp.get("/<int:workshop_id>/rounds/<uuid:assessment_id>/agree")
@user_required(*TRAINERS)
def agree(workshop_id: int, assessment_id):
    """The consensus: the room picks the emerging priorities it agrees on and plans them."""
    found = _workshop_or_404(workshop_id)
    return _agree_page(found, _round_or_404(found, assessment_id))


@bp.post("/<int:workshop_id>/rounds/<uuid:assessment_id>/agree")
@user_required(*TRAINERS)
def save_agreement(workshop_id: int, assessment_id):
    """Write the agreed lines as the round's action items and mark the round agreed."""
    found = _workshop_or_404(workshop_id)
    assessment = _round_or_404(found, assessment_id)
    picked = request.form.getlist("pick")
    try:
        if not picked or len(picked) > 100:
            raise service.WorkshopError("Pick at least one line.")
        items = AgreedItemSchema(many=True).load([
            {"checkpoint_id": cp, **{key: request.form.get(f"{key}-{cp}", "")
                                     for key in ("action", "responsible", "due_on", "cost")}}
            for cp in picked])
        for item in items:
            item["due_on"] = item["due_on"].isoformat() if item["due_on"] else None
        service.agree_plan(found, g.user.email, assessment, items)
    except (ValidationError, service.WorkshopError):
        db.session.rollback()
        return _agree_page(found, assessment, _(
            "Pick at least one line, and write for each picked line the action agreed "
            "(up to 1000 characters); a due date is a date, a cost one of those offered."), 422)
    db.session.commit()
    flash(_("The plan is agreed: participants' phones show it after their next sync."))
    return redirect(url_for(".agree", workshop_id=found.id, assessment_id=assessment.id), 303)


@bp.get("/<int:workshop_id>/rounds/<uuid:assessment_id>/plan.pdf")
@user_required(*TRAINERS)
def plan_pdf(workshop_id: int, assessment_id):
    """A practice round's action plan as a PDF, in the language asked for."""
    found = _workshop_or_404(workshop_id)
    assessment = _round_or_404(found, assessment_id)
    lang = requested_language()
    round_ = plan_service.load_round(assessment.id, access.Scope(frozenset({found.facility_id})))
    document = plan_service.plan_document(round_, service.checklist().localised(lang), lang)
    return pdf_response(round_, document, lang)
