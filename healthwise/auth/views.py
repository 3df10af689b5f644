"""Phones join a facility or a workshop and ask who they are (API); people sign in and
manage (pages).

The API (``/api/v1``) reads only bearer tokens. The pages (``/manage``) read only
the session cookie, and every form on them carries a CSRF token (checked for
every non-API POST by :func:`healthwise.auth.decorators.protect_forms`). Other
features' pages (``healthwise.workshops.views``) are made with :func:`page_blueprint`
and use :func:`phones_page`, :func:`issue_code` and the code and device routes here.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from healthwise.auth import service
from healthwise.auth.decorators import (
    PERSON,
    PHONE,
    SESSION_KEY,
    bearer_required,
    current_user,
    user_required,
)
from healthwise.auth.models import Role
from healthwise.auth.schemas import (
    CodeFormSchema,
    EnrolRequestSchema,
    SignInSchema,
    TokenFormSchema,
)
from healthwise.checklists.views import registry
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.districts.summary import district_summary
from healthwise.errors import APIError
from healthwise.extensions import db, limiter
from healthwise.i18n import direction, select_locale
from healthwise.requests import json_body
from healthwise.timeutil import iso, utcnow

bp = Blueprint("auth", __name__, url_prefix="/api/v1")
MANAGERS = (Role.MANAGER, Role.ADMIN)


def scope_dict(token, scope=None) -> dict:
    """Describe what a token reaches, for the phone."""
    if token.facility is not None:
        found = {"kind": "facility", "facility": token.facility.to_dict(),
                 "facility_ids": [token.facility_id]}
        workshop = service.workshop_of(token.facility_id)
        if workshop is not None:
            found.update(kind="workshop", workshop=workshop.to_dict())
        return found
    scope = scope or service.scope_of(token)
    districts = service.districts_of(token.user) if token.user is not None else []
    return {"kind": "district", "districts": [d.to_dict() for d in districts],
            "facility_ids": sorted(scope.facility_ids)}


@bp.post("/enrol")
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROL"])
def enrol():
    """Redeem an enrolment code for a device token.
    ---
    post:
      tags: [auth]
      summary: Join a facility with an enrolment code
      description: Rate-limited per address (RATELIMIT_ENROL, 10 per minute by default).
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
        token, secret = service.redeem_code(data["code"], data["device_name"])
    except service.CodeError as exc:
        db.session.commit()  # release the row lock; nothing was changed
        raise APIError(exc.code, exc.message, exc.status) from None
    db.session.commit()
    return jsonify({"token": secret, "scope": scope_dict(token)}), 201


@bp.get("/me")
@bearer_required(PHONE, PERSON)
def me():
    """Describe the calling phone or API token and its scope.
    ---
    get:
      tags: [auth]
      summary: The calling phone or API token and what it may reach
      description: >-
        Any valid token: a phone's (kind facility or workshop, for the phones' API) or
        a manager's or admin's (kind district, for the managers' API).
      security: [{bearer: []}]
      responses:
        200:
          content:
            application/json:
              schema: MeSchema
        401: {content: {application/json: {schema: ErrorSchema}}}
    """
    return jsonify({
        "scope": scope_dict(g.token, g.scope),
        "device": {"name": g.token.name, "created_at": iso(g.token.created_at)},
    })


# Pages --------------------------------------------------------------------------------------


def _page_globals() -> dict:
    lang = select_locale()
    return {"lang": lang, "dir": direction(lang), "user": current_user(), "Role": Role}


def _no_store(response):
    # Pages show enrolment codes and tokens: never keep them in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, message: str):
    return render_template("manage/error.html", status=status, message=message), status


def _csrf_error(exc):
    return _error_page(400, _("This form has expired or was not sent by this site. "
                              "Go back, reload the page and try again."))


def _forbidden(exc):
    return _error_page(403, _("Your account cannot open this page."))


def _too_many(exc):
    return _error_page(429, _("Too many attempts. Wait a few minutes and try again."))


def page_blueprint(name: str, import_name: str, url_prefix: str, not_found) -> Blueprint:
    """Return a blueprint for pages under ``/manage``: same globals, never cached, and
    HTML error pages.

    :param not_found: a callable returning the (translated) message of its 404 page.
    """
    pages = Blueprint(name, import_name, url_prefix=url_prefix)
    pages.context_processor(_page_globals)
    pages.after_request(_no_store)
    pages.register_error_handler(CSRFError, _csrf_error)
    pages.register_error_handler(403, _forbidden)
    pages.register_error_handler(404, lambda exc: _error_page(404, not_found()))
    pages.register_error_handler(429, _too_many)
    return pages


manage_bp = page_blueprint("manage", __name__, "/manage", lambda: _(
    "There is no such page, or it is not in your districts."))


def phones_page(template: str, facility_id: int, new_code=None, errors=None, status=200,
                **context):
    """Render a page with a facility's usable codes and active phones (a district
    facility's page, or a workshop's for its practice facility)."""
    return render_template(template, codes=service.codes_of(facility_id),
                           devices=service.devices_of(facility_id), new_code=new_code,
                           errors=errors or {}, now=utcnow(), **context), status


def issue_code(facility_id: int) -> dict:
    """Create an enrolment code from the posted form (``uses``, ``days``) and commit.

    :returns: the arguments of :func:`phones_page` that show it: ``new_code`` (the code,
        its join link, the link's QR image and the row, shown once), or ``errors`` and
        ``status`` 422 for a bad form.
    """
    try:
        data = CodeFormSchema().load(request.form)
    except ValidationError as exc:
        return {"errors": exc.messages, "status": 422}
    code, raw = service.create_enrolment_code(facility_id, uses=data["uses"],
                                              ttl=timedelta(days=data["days"]))
    db.session.commit()
    link = f"{request.host_url}#/join?code={raw}"
    qr = segno.make(link, error="m").svg_data_uri(scale=4, border=2, light="#fff")
    return {"new_code": {"code": raw, "link": link, "qr": qr, "row": code}}


def _account_key() -> str:
    return "account:" + service.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    # Only failed sign-ins count against an account, so its owner is not locked out by
    # their own successful sign-ins.
    return response.status_code != 303


def _safe_next(target: str | None) -> str | None:
    """Return a local page to go back to after sign-in, or None (no open redirect)."""
    if not target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None  # CR/LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/manage/") \
            or "\\" in target:
        return None
    return target


@manage_bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNIN_ADDRESS"], methods=["POST"],
               key_func=get_remote_address)
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNIN_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def sign_in():
    """Sign in with an email address and a password."""
    error, email, target = None, "", _safe_next(request.args.get("next"))
    if request.method == "POST":
        try:
            form = SignInSchema().load(request.form)
        except ValidationError:
            error = _("Enter your email address and your password.")
        else:
            email, target = form["email"], _safe_next(form["next"])
            user = service.authenticate(form["email"], form["password"])
            if user is None:
                error = _("Wrong email address or password.")
            else:
                if current_user() is not None:
                    service.end_session(g.user_session)
                _row, raw = service.start_session(user)
                db.session.commit()
                # A new session (and CSRF secret) at each sign-in: no session fixation.
                session.clear()
                session[SESSION_KEY] = raw
                return redirect(target or url_for(".home"), 303)
    return render_template("manage/sign_in.html", error=error, email=email, target=target)


@manage_bp.post("/sign-out")
def sign_out():
    """Sign out: the session ends on the server, so the old cookie is worthless."""
    if current_user() is not None:
        service.end_session(g.user_session)
        db.session.commit()
    session.clear()
    return redirect(url_for(".sign_in"), 303)


@manage_bp.get("/")
@user_required()
def home():
    """The districts and facilities the signed-in person looks after."""
    facilities = list(db.session.scalars(service.facilities_query(g.user)))
    districts = [(d, [f for f in facilities if f.district_id == d.id])
                 for d in service.districts_of(g.user)]
    return render_template("manage/home.html", districts=districts)


@manage_bp.get("/districts/<int:district_id>")
@user_required(*MANAGERS)
def district(district_id: int):
    """A district at a glance: per facility, rounds, participants and module shares."""
    found = service.reachable_district(g.user, district_id) or abort(404)
    lang = select_locale()
    titles, texts = {}, {}
    for checklist in registry():
        localised = checklist.localised(lang)
        for module in localised["modules"]:
            titles.setdefault(module["id"], module["title"])
            for checkpoint in module["checkpoints"]:
                texts.setdefault(checkpoint["id"], checkpoint["action"])
    return render_template("manage/district.html", district=found,
                           summaries=district_summary(found.id, registry()),
                           titles=titles, texts=texts, min_group=MIN_GROUP)


def _facility_or_404(facility_id: int):
    return service.reachable_facility(g.user, facility_id) or abort(404)


@manage_bp.get("/facilities/<int:facility_id>")
@user_required(*MANAGERS)
def facility(facility_id: int):
    """A facility: its enrolment codes and its devices."""
    found = _facility_or_404(facility_id)
    return phones_page("manage/facility.html", found.id, facility=found)


@manage_bp.post("/facilities/<int:facility_id>/codes")
@user_required(*MANAGERS)
def create_code(facility_id: int):
    """Create an enrolment code; show it once, with its QR image."""
    found = _facility_or_404(facility_id)
    return phones_page("manage/facility.html", found.id, facility=found,
                       **issue_code(found.id))


def _phones_page(facility_id: int) -> str:
    """Return the page that lists a facility's codes and phones: its workshop's, or its own."""
    workshop = service.workshop_of(facility_id)
    if workshop is not None:
        return url_for("workshops.workshop", workshop_id=workshop.id)
    return url_for(".facility", facility_id=facility_id)


# Codes and devices of district facilities and of workshops alike: managers, trainers and
# admins, each reaching only their own (404 otherwise).
@manage_bp.post("/codes/<int:code_id>/end")
@user_required()
def end_code(code_id: int):
    """End an enrolment code early (phones that joined with it keep working)."""
    code = service.reachable_code(g.user, code_id) or abort(404)
    service.end_code(code)
    db.session.commit()
    flash(_("The code can no longer be used."))
    return redirect(_phones_page(code.facility_id), 303)


@manage_bp.post("/devices/<int:token_id>/revoke")
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
    return render_template("manage/tokens.html", tokens=service.tokens_of(g.user),
                           new_secret=new_secret, errors=errors or {}), status


@manage_bp.get("/tokens")
@user_required(*MANAGERS)
def tokens():
    """The signed-in manager's API tokens (scope: every facility of their districts)."""
    return _tokens_page()


@manage_bp.post("/tokens")
@user_required(*MANAGERS)
def create_token():
    """Create an API token for the signed-in manager; show its secret once."""
    try:
        data = TokenFormSchema().load(request.form)
    except ValidationError as exc:
        return _tokens_page(errors=exc.messages, status=422)
    _token, secret = service.create_user_token(g.user, data["name"])
    db.session.commit()
    return _tokens_page(new_secret=secret)
