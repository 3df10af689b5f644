"""Phones join a facility or a workshop and ask who they are (API); managers and trainers
see a facility's codes and phones, end codes, revoke phones and make API tokens (pages).

The API (``/api/v1``) reads only bearer tokens. The pages (``/manage``) read only
the session cookie, and every form on them carries a CSRF token.
"""

from flask import (
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
from healthwise.auth.decorators import user_required
from healthwise.devices import service
from healthwise.devices.decorators import PERSON, PHONE, bearer_required
from healthwise.devices.panel import issue_code, panel
from healthwise.devices.schemas import (
    EnrolRequestSchema,
    EnrolResponseSchema,
    MeSchema,
    TokenFormSchema,
)
from healthwise.errors import DomainError
from healthwise.extensions import db, limiter
from healthwise.web.api import BEARER
from healthwise.web.api import Blueprint as ApiBlueprint
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = ApiBlueprint("devices_api", __name__, url_prefix="/api/v1",
                   description="Phones join a facility or a workshop, and ask who they are.")
bp = page_blueprint("devices", __name__, "/manage", not_in_your_districts)


def scope_of(token, scope=None) -> dict:
    """Describe what a token reaches, for the phone (dumped by ``ScopeSchema``)."""
    if token.facility is not None:
        found = {"kind": "facility", "facility": token.facility,
                 "facility_ids": [token.facility_id]}
        workshop = access.workshop_of(token.facility_id)
        if workshop is not None:
            found.update(kind="workshop", workshop=workshop)
        return found
    scope = scope or access.scope_of(token)
    districts = access.districts_of(token.user) if token.user is not None else []
    return {"kind": "district", "districts": districts,
            "facility_ids": sorted(scope.facility_ids)}


def _failed(response) -> bool:
    # Only failed tries count: a workshop's hundred phones share one Wi-Fi address, and
    # guessing a code is what the limit slows; good codes are bounded by their uses.
    return response.status_code != 201


@api.post("/enrol")
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROL"], deduct_when=_failed)
@api.arguments(EnrolRequestSchema)
@api.response(201, EnrolResponseSchema)
@api.alt_response(404, response="NOT_FOUND", description="An unknown code (unknown_code)")
@api.alt_response(410, response="GONE", description="A code expired or used up")
@api.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@api.alt_response(429, response="TOO_MANY_REQUESTS")
def enrol(data: dict):
    """Join a facility with an enrolment code, for a device token.

    Failed tries are rate-limited per address (RATELIMIT_ENROL, 20 per minute by
    default); once over the limit every try is refused until the minute ends.
    """
    try:
        token, secret = service.redeem_code(data["code"], data["device_name"])
    except DomainError:
        db.session.commit()  # release the row lock; nothing was changed
        raise
    db.session.commit()
    return {"token": secret, "scope": scope_of(token)}


@api.get("/me")
@bearer_required(PHONE, PERSON)
@api.doc(**BEARER)
@api.response(200, MeSchema)
@api.alt_response(401, response="UNAUTHORIZED")
def me():
    """The calling phone or API token and what it may reach.

    Any valid token: a phone's (kind facility or workshop, for the phones' API) or a
    manager's or admin's (kind district, for the managers' API).
    """
    return {"scope": scope_of(g.token, g.scope), "device": g.token}


# Pages --------------------------------------------------------------------------------------


def _facility_or_404(facility_id: int):
    return access.reachable_facility(g.user, facility_id) or abort(404)


@bp.get("/facilities/<int:facility_id>")
@user_required(*access.MANAGERS)
def facility(facility_id: int):
    """A facility: its enrolment codes and its devices."""
    found = _facility_or_404(facility_id)
    return render_template("devices/facility.html", facility=found, **panel(found.id))


@bp.post("/facilities/<int:facility_id>/codes")
@user_required(*access.MANAGERS)
def create_code(facility_id: int):
    """Create an enrolment code; show it once, with its QR image."""
    found = _facility_or_404(facility_id)
    context, status = issue_code(found.id, request.form, request.host_url)
    db.session.commit()
    return render_template("devices/facility.html", facility=found, **context), status


def _phones_page(facility_id: int) -> str:
    """Return the page that lists a facility's codes and phones: its workshop's, or its own."""
    workshop = access.workshop_of(facility_id)
    if workshop is not None:
        return url_for("workshops.workshop", workshop_id=workshop.id)
    return url_for(".facility", facility_id=facility_id)


# Codes and devices of district facilities and of workshops alike: managers, trainers and
# admins, each reaching only their own (404 otherwise).
@bp.post("/codes/<int:code_id>/end")
@user_required()
def end_code(code_id: int):
    """End an enrolment code early (phones that joined with it keep working)."""
    code = service.reachable_code(g.user, code_id) or abort(404)
    service.end_code(code)
    db.session.commit()
    flash(_("The code can no longer be used."))
    return redirect(_phones_page(code.facility_id), 303)


@bp.post("/devices/<int:token_id>/revoke")
@user_required()
def revoke_device(token_id: int):
    """Revoke a device or API token: its next request gets 401."""
    token = service.reachable_device(g.user, token_id) or abort(404)
    service.revoke(token)
    db.session.commit()
    flash(_("Access removed: %(name)s can no longer sync.", name=token.name or _("device")))
    if token.facility_id is not None:
        return redirect(_phones_page(token.facility_id), 303)
    return redirect(url_for(".tokens"), 303)


def _tokens_page(new_secret=None, errors=None, status=200):
    return render_template("devices/tokens.html", tokens=service.tokens_of(g.user),
                           new_secret=new_secret, errors=errors or {}), status


@bp.get("/tokens")
@user_required(*access.MANAGERS)
def tokens():
    """The signed-in manager's API tokens (scope: every facility of their districts)."""
    return _tokens_page()


@bp.post("/tokens")
@user_required(*access.MANAGERS)
def create_token():
    """Create an API token for the signed-in manager; show its secret once."""
    try:
        data = TokenFormSchema().load(request.form)
    except ValidationError as exc:
        return _tokens_page(errors=exc.messages, status=422)
    _token, secret = service.create_user_token(g.user, data["name"])
    db.session.commit()
    return _tokens_page(new_secret=secret)
