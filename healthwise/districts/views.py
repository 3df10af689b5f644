"""District pages (the person's districts and facilities, a district at a glance) and the
managers' API: districts, their summaries, a facility's rounds and a round's plan.

Read-only, for a manager's or an admin's API token (from ``/manage/tokens``); a
phone's token gets 403. A manager reaches the facilities of their districts, an admin
every district's, nobody a workshop's practice facility; anything else is 404. Every
figure has gone through :func:`healthwise.districts.disclosure.disclose`: summaries,
plans and counts that obey the rule of five, never a name or one person's answer.
"""

from datetime import timedelta

from flask import abort, g, render_template

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
from healthwise.errors import NotFound
from healthwise.extensions import db
from healthwise.languages.service import select_locale
from healthwise.timeutil import utcnow
from healthwise.web.api import BEARER, Blueprint
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = Blueprint("districts_api", __name__, url_prefix="/api/v1",
                description="The managers' API: read-only summaries, rule of five applied.")
bp = page_blueprint("districts", __name__, "/manage", not_in_your_districts)
MANAGERS_ONLY = "A phone's token (manager_token_required)"
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


def _not_found(what: str) -> NotFound:
    return NotFound(f"There is no such {what} in your districts.")


def _facility(facility_id: int):
    found = access.reachable_facility(g.token.user, facility_id)
    if found is None:
        raise _not_found("facility")
    return found


@api.get("/districts")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, DistrictListSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
def districts():
    """The districts the token reaches, with their facilities.
    """
    user = g.token.user
    facilities = list(db.session.scalars(access.facilities_query(user)))
    found = [{"id": d.id, "name": d.name,
              "facilities": [f for f in facilities if f.district_id == d.id]}
             for d in access.districts_of(user)]
    return {"districts": found}


@api.get("/districts/<int:district_id>/summary")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, DistrictSummarySchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def district_summary(district_id: int):
    """A district at a glance: per facility, rounds, participants and module shares.
    """
    found = access.reachable_district(g.token.user, district_id)
    if found is None:
        raise _not_found("district")
    return {"district": found, "min_group": MIN_GROUP,
            "facilities": summary.district_summary(found.id, registry())}


@api.get("/facilities/<int:facility_id>/rounds")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, FacilityRoundsSchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def facility_rounds(facility_id: int):
    """A facility's rounds, newest first, with how many took part in each.
    """
    facility = _facility(facility_id)
    return {"facility": facility, "district": facility.district,
            "rounds": summary.facility_rounds(facility.id)}


@api.get("/facilities/<int:facility_id>/rounds/<uuid:assessment_id>")
@manager_token_required
@api.doc(**BEARER)
@api.response(200, RoundSummarySchema)
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY)
@api.alt_response(404, response="NOT_FOUND")
def round_summary(facility_id: int, assessment_id):
    """A round's plan summary: module shares, ranking, achievements and agreed items.
    """
    facility = _facility(facility_id)
    found = summary.round_summary(facility.id, str(assessment_id), registry())
    if found is None:
        raise _not_found("round")
    before = ({s.module_id: s.share for s in found.previous.modules}
              if found.previous is not None else {})
    return {
        "round": found.round, "min_group": MIN_GROUP,
        "modules": [{**_share(s), "previous_share": before.get(s.module_id)}
                    for s in found.figures.modules],
        "sensitive": found.figures.sensitive, "suggested": found.figures.suggested,
        "achievements": found.figures.achievements, "items": found.items}


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
