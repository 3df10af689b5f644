"""District pages (the person's districts and facilities, a district at a glance) and the
managers' API: districts, their summaries, a facility's rounds and a round's plan.

Read-only, for a manager's or an admin's API token (from ``/manage/tokens``); a
phone's token gets 403. A manager reaches the facilities of their districts, an admin
every district's, nobody a workshop's practice facility; anything else is 404. Every
figure has gone through :func:`healthwise.districts.disclosure.disclose`: summaries,
plans and counts that obey the rule of five, never a name or one person's answer.
"""

import re
from datetime import timedelta

from flask import Blueprint, abort, g, jsonify, render_template

from healthwise.access import service as access
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import manager_token_required
from healthwise.districts import summary
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.districts.schemas import (
    DistrictListSchema,
    DistrictSummarySchema,
    FacilityRoundsSchema,
    RoundSummarySchema,
)
from healthwise.errors import APIError
from healthwise.extensions import db
from healthwise.languages.service import select_locale
from healthwise.timeutil import utcnow
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = Blueprint("districts_api", __name__, url_prefix="/api/v1")
bp = page_blueprint("districts", __name__, "/manage", not_in_your_districts)
UUID = re.compile(r"^[0-9a-fA-F-]{36}\Z")
LAST_SEEN_STEP = timedelta(minutes=1)


@api.after_request
def _last_used(response):
    """Note when a token was last used (to the minute), for the tokens page."""
    token = g.get("token")
    if token is not None and response.status_code == 200:
        now = utcnow()
        if token.last_seen_at is None or now - token.last_seen_at > LAST_SEEN_STEP:
            token.last_seen_at = now
            db.session.commit()
    return response


def _not_found(what: str) -> APIError:
    return APIError("not_found", f"There is no such {what} in your districts.", 404)


def _facility(facility_id: int):
    found = access.reachable_facility(g.token.user, facility_id)
    if found is None:
        raise _not_found("facility")
    return found


@api.get("/districts")
@manager_token_required
def districts():
    """The districts the token reaches, with their facilities.
    ---
    get:
      tags: [managers]
      summary: Districts and facilities (managers' and admins' tokens)
      security: [{bearer: []}]
      responses:
        200: {content: {application/json: {schema: DistrictListSchema}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403: {content: {application/json: {schema: ErrorSchema}}}
    """
    user = g.token.user
    facilities = list(db.session.scalars(access.facilities_query(user)))
    found = [{"id": d.id, "name": d.name,
              "facilities": [f for f in facilities if f.district_id == d.id]}
             for d in access.districts_of(user)]
    return jsonify(DistrictListSchema().dump({"districts": found}))


@api.get("/districts/<int:district_id>/summary")
@manager_token_required
def district_summary(district_id: int):
    """A district at a glance: per facility, rounds, participants and module shares.
    ---
    get:
      tags: [managers]
      summary: District summary, as the district page shows it (rule of five applied)
      security: [{bearer: []}]
      parameters:
        - {in: path, name: district_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: DistrictSummarySchema}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403: {content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    found = access.reachable_district(g.token.user, district_id)
    if found is None:
        raise _not_found("district")
    return jsonify(DistrictSummarySchema().dump({
        "district": found, "min_group": MIN_GROUP,
        "facilities": summary.district_summary(found.id, registry())}))


@api.get("/facilities/<int:facility_id>/rounds")
@manager_token_required
def facility_rounds(facility_id: int):
    """A facility's rounds, newest first, with how many took part in each.
    ---
    get:
      tags: [managers]
      summary: A facility's rounds (managers' and admins' tokens)
      security: [{bearer: []}]
      parameters:
        - {in: path, name: facility_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: FacilityRoundsSchema}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403: {content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    facility = _facility(facility_id)
    return jsonify(FacilityRoundsSchema().dump({
        "facility": facility, "district": facility.district,
        "rounds": summary.facility_rounds(facility.id)}))


@api.get("/facilities/<int:facility_id>/rounds/<assessment_id>")
@manager_token_required
def round_summary(facility_id: int, assessment_id: str):
    """A round's plan summary: module shares, ranking, achievements and agreed items.
    ---
    get:
      tags: [managers]
      summary: A round's plan summary, without names or individual answers
      security: [{bearer: []}]
      parameters:
        - {in: path, name: facility_id, required: true, schema: {type: integer}}
        - {in: path, name: assessment_id, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: RoundSummarySchema}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403: {content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    facility = _facility(facility_id)
    found = (summary.round_summary(facility.id, assessment_id, registry())
             if UUID.match(assessment_id) else None)
    if found is None:
        raise _not_found("round")
    before = ({s.module_id: s.share for s in found.previous.modules}
              if found.previous is not None else {})
    return jsonify(RoundSummarySchema().dump({
        "round": found.round, "min_group": MIN_GROUP,
        "modules": [{**_share(s), "previous_share": before.get(s.module_id)}
                    for s in found.figures.modules],
        "sensitive": found.figures.sensitive, "suggested": found.figures.suggested,
        "achievements": found.figures.achievements, "items": found.items}))


def _share(share) -> dict:
    return {"module_id": share.module_id, "number": share.number,
            "n_checkpoints": share.n_checkpoints, "n_answered": share.n_answered,
            "n_action": share.n_action, "share": share.share}


# Pages --------------------------------------------------------------------------------------


@bp.get("/")
@user_required()
def home():
    """The districts and facilities the signed-in person looks after."""
    facilities = list(db.session.scalars(access.facilities_query(g.user)))
    districts = [(d, [f for f in facilities if f.district_id == d.id])
                 for d in access.districts_of(g.user)]
    return render_template("districts/home.html", districts=districts)


@bp.get("/districts/<int:district_id>")
@user_required(*access.MANAGERS)
def district(district_id: int):
    """A district at a glance: per facility, rounds, participants and module shares."""
    found = access.reachable_district(g.user, district_id) or abort(404)
    lang = select_locale()
    titles, texts = {}, {}
    for checklist in registry():
        localised = checklist.localised(lang)
        for module in localised["modules"]:
            titles.setdefault(module["id"], module["title"])
            for checkpoint in module["checkpoints"]:
                texts.setdefault(checkpoint["id"], checkpoint["action"])
    return render_template("districts/district.html", district=found,
                           summaries=summary.district_summary(found.id, registry()),
                           titles=titles, texts=texts, min_group=MIN_GROUP)
