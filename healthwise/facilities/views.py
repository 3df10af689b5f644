"""The registry pages: districts and facilities, one at a time or from a CSV file.

Under ``/manage/registry``. Managers create and edit the facilities of their districts and
import them from a file; admins do so in every district, and create and rename districts
(also by import). A facility or district the person does not reach is 404, as if it did
not exist; trainers get 403. Each page commits once; a failed import rolls back, so
nothing of a file with one bad line is kept.

These views sit in the hub's room, below the rooms that say who is signed in and who
reaches what; ``pyproject.toml`` lets them (and only them) ask those two.
"""

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from marshmallow import ValidationError

from healthwise.access import service as access
from healthwise.access.service import Role
from healthwise.auth.decorators import user_required
from healthwise.extensions import db
from healthwise.facilities import importer, service
from healthwise.facilities.messages import kind_label, kind_labels, line_message
from healthwise.facilities.models import CODE_LENGTH, KINDS, NAME_LENGTH
from healthwise.facilities.schemas import DistrictFormSchema, FacilityFormSchema
from healthwise.web.pages import not_in_your_districts, page_blueprint

bp = page_blueprint("facilities", __name__, "/manage/registry", not_in_your_districts)


@bp.app_context_processor
def _registry_words():
    # Every page may show a facility's type (the district pages list them too).
    return {"KINDS": KINDS, "KIND_LABELS": kind_labels(), "kind_label": kind_label,
            "NAME_LENGTH": NAME_LENGTH, "CODE_LENGTH": CODE_LENGTH}


def _field_messages() -> dict:
    return {
        "name": _("Give a name: at most %(limit)s characters, with something visible.",
                  limit=NAME_LENGTH),
        "code": _("A code has at most %(limit)s characters, with no control characters.",
                  limit=CODE_LENGTH),
        "code_taken": _("Another facility of this district, or another district, has this "
                        "code."),
        "kind": _("Choose one of the types."),
        "district_id": _("Choose one of your districts."),
    }


def _errors(fields) -> dict:
    words = _field_messages()
    return {name: words[name] for name in fields}


@bp.get("/")
@user_required(*access.MANAGERS)
def index():
    """The districts the person reaches, each with its facilities: type, code, DHIS2 id."""
    facilities = list(db.session.scalars(access.facilities_query(g.user)))
    districts = [(d, [f for f in facilities if f.district_id == d.id])
                 for d in access.districts_of(g.user)]
    return render_template("facilities/index.html", districts=districts)


# Facilities ---------------------------------------------------------------------------------


def _facility_page(facility, form, errors=None, status=200):
    return render_template("facilities/facility_form.html", facility=facility, form=form,
                           errors=errors or {},
                           districts=access.districts_of(g.user)), status


def _save_facility(facility):
    """Load the posted form and save the facility; the page again, with errors, if refused."""
    try:
        data = FacilityFormSchema().load(request.form)
    except ValidationError as exc:
        return _facility_page(facility, request.form, _errors(exc.messages), 422)
    district = access.reachable_district(g.user, data["district_id"])
    if district is None:
        return _facility_page(facility, request.form, _errors(["district_id"]), 422)
    try:
        saved = service.save_facility(facility, district, data["name"], data["kind"],
                                      data["code"])
    except service.FieldProblem as exc:
        db.session.rollback()
        return _facility_page(facility, request.form,
                              {exc.field: _field_messages()[exc.code]}, 422)
    db.session.commit()
    flash(_("Saved: %(name)s.", name=saved.name))
    return redirect(url_for(".index", _anchor=f"district-{saved.district_id}"), 303)


@bp.route("/facilities/new", methods=["GET", "POST"])
@user_required(*access.MANAGERS)
def new_facility():
    """Create a facility in one of the person's districts."""
    if request.method == "GET":
        first = request.args.get("district", type=int)
        return _facility_page(None, {"district_id": first, "kind": "health centre"})
    return _save_facility(None)


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@user_required(*access.MANAGERS)
def edit_facility(facility_id: int):
    """Rename a facility, change its type or code, or move it to another of the districts."""
    found = access.reachable_facility(g.user, facility_id) or abort(404)
    if request.method == "GET":
        return _facility_page(found, {"name": found.name, "kind": found.kind,
                                      "code": found.code or "",
                                      "district_id": found.district_id})
    return _save_facility(found)


# Districts (admins) -------------------------------------------------------------------------


def _district_page(district, form, errors=None, status=200):
    return render_template("facilities/district_form.html", district=district, form=form,
                           errors=errors or {}), status


def _save_district(district):
    try:
        data = DistrictFormSchema().load(request.form)
    except ValidationError as exc:
        return _district_page(district, request.form, _errors(exc.messages), 422)
    try:
        saved = service.save_district(district, data["name"], data["code"])
    except service.FieldProblem as exc:
        db.session.rollback()
        return _district_page(district, request.form,
                              {exc.field: _field_messages()[exc.code]}, 422)
    db.session.commit()
    flash(_("Saved: %(name)s.", name=saved.name))
    return redirect(url_for(".index", _anchor=f"district-{saved.id}"), 303)


@bp.route("/districts/new", methods=["GET", "POST"])
@user_required(Role.ADMIN)
def new_district():
    """Create a district (admins)."""
    if request.method == "GET":
        return _district_page(None, {})
    return _save_district(None)


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
@user_required(Role.ADMIN)
def edit_district(district_id: int):
    """Rename a district or set its code (admins)."""
    found = access.reachable_district(g.user, district_id) or abort(404)
    if request.method == "GET":
        return _district_page(found, {"name": found.name, "code": found.code or ""})
    return _save_district(found)


# Import --------------------------------------------------------------------------------------


def _import_page(problems=None, summary=None, status=200):
    return render_template("facilities/import.html", problems=problems or [], summary=summary,
                           max_rows=format_decimal(importer.MAX_ROWS),
                           max_mb=importer.MAX_BYTES // 1_000_000,
                           districts=access.districts_of(g.user)), status


@bp.route("/import", methods=["GET", "POST"])
@user_required(*access.MANAGERS)
def import_file():
    """Import districts and facilities from a CSV file (ours or a DHIS2 export): all or nothing."""
    if request.method == "GET":
        return _import_page()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page([line_message(importer.Problem(0, "no_file"))], status=422)
    default = None
    district_id = request.form.get("district_id", type=int)
    if district_id:
        chosen = access.reachable_district(g.user, district_id)
        if chosen is None:
            return _import_page([_("Choose one of your districts.")], status=422)
        default = chosen.name
    # Read one byte past the limit, so that a longer file is told apart from one just at it.
    parsed = importer.parse(upload.read(importer.MAX_BYTES + 1), default)
    admin = g.user.role == Role.ADMIN
    try:
        summary = service.apply_import(parsed, None if admin else g.user.districts, admin)
    except service.ImportFailed as exc:
        db.session.rollback()
        current_app.logger.info("Import refused: %d problem(s)", len(exc.problems))
        return _import_page([line_message(p) for p in exc.problems], status=422)
    db.session.commit()
    return _import_page(summary=summary)
