"""Plan API: the suggested ranking with reasons, and the printable PDF."""

from flask import g

from healthwise.checklists.registry import registry
from healthwise.devices.decorators import token_required
from healthwise.errors import Conflict, NotFound
from healthwise.languages.schemas import lang_argument
from healthwise.languages.service import gettext_for
from healthwise.plans import service
from healthwise.plans.download import pdf_response
from healthwise.plans.schemas import PlanSchema
from healthwise.web.api import BEARER, Blueprint

bp = Blueprint("plans_api", __name__, url_prefix="/api/v1",
               description="A round's action plan: suggested priorities and the PDF.")
PHONES_ONLY = "A manager's or an admin's token (phone_token_required)"


def _round(assessment_id) -> service.Round:
    found = service.load_round(str(assessment_id), g.scope)
    if found is None:
        raise NotFound("There is no such assessment in this facility.")
    return found


def _checklist(round_: service.Round, lang: str) -> dict:
    checklist = registry().get(round_.assessment["checklist_id"])
    if checklist is None:
        raise Conflict("This round uses a checklist this server lacks.", "unknown_checklist")
    return checklist.localised(lang)


@bp.get("/assessments/<uuid:assessment_id>/plan")
@token_required
@bp.doc(**BEARER)
@lang_argument(bp)
@bp.response(200, PlanSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN", description=PHONES_ONLY)
@bp.alt_response(404, response="NOT_FOUND")
def plan(assessment_id, lang: str):
    """Suggested priorities with their reasons, achievements, agreed action items."""
    round_ = _round(assessment_id)
    gettext, ngettext = gettext_for(lang)
    return service.plan_json(round_, _checklist(round_, lang), gettext, ngettext)


@bp.get("/assessments/<uuid:assessment_id>/plan.pdf")
@token_required
@bp.doc(**BEARER)
@lang_argument(bp)
@bp.response(200, content_type="application/pdf", description="The PDF")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN", description=PHONES_ONLY)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(503, response="SERVICE_UNAVAILABLE",
                 description="Too many PDFs being made at once (Retry-After)")
def plan_pdf(assessment_id, lang: str):
    """The action plan as a printable A4 PDF in the requested language."""
    round_ = _round(assessment_id)
    document = service.plan_document(round_, _checklist(round_, lang), lang,
                                     photos=service.item_photos(round_))
    return pdf_response(round_, document, lang)
