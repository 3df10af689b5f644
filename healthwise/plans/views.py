"""Plan API: the suggested ranking with reasons, and the printable PDF."""

import re
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, request

from healthwise.checklists.registry import registry
from healthwise.devices.decorators import token_required
from healthwise.errors import APIError
from healthwise.languages.service import gettext_for, normalise, select_locale
from healthwise.plans import service
from healthwise.plans.pdf import render_plan
from healthwise.plans.slots import render_slot

bp = Blueprint("plans_api", __name__, url_prefix="/api/v1")
UUID = re.compile(r"^[0-9a-fA-F-]{36}\Z")


def _round(assessment_id: str) -> service.Round:
    found = service.load_round(assessment_id, g.scope) if UUID.match(assessment_id) else None
    if found is None:
        raise APIError("not_found", "There is no such assessment in this facility.", 404)
    return found


def _language() -> str:
    requested = request.args.get("lang")
    if requested is None:
        return select_locale()
    lang = normalise(requested)
    if lang is None:
        raise APIError("unsupported_language", f"Language '{requested}' is not available.",
                       422, {"supported": list(current_app.config["LANGUAGES"])})
    return lang


def _checklist(round_: service.Round, lang: str) -> dict:
    checklist = registry().get(round_.assessment["checklist_id"])
    if checklist is None:
        raise APIError("unknown_checklist", "This round uses a checklist this server lacks.",
                       409)
    return checklist.localised(lang)


@bp.get("/assessments/<assessment_id>/plan")
@token_required
def plan(assessment_id: str):
    """The suggested ranking with its reasons, the agreed items and the module comparison.
    ---
    get:
      tags: [plans]
      summary: Suggested priorities, achievements, agreed action items
      security: [{bearer: []}]
      parameters:
        - {in: path, name: assessment_id, required: true, schema: {type: string}}
        - {in: query, name: lang, schema: {type: string, enum: [en, fr, es, pt, ar]}}
      responses:
        200: {description: The plan}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403:
          description: A manager's or an admin's token (phone_token_required)
          content: {application/json: {schema: ErrorSchema}}
        404: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
    """
    round_ = _round(assessment_id)
    lang = _language()
    gettext, ngettext = gettext_for(lang)
    return jsonify(service.plan_json(round_, _checklist(round_, lang), gettext, ngettext))


@bp.get("/assessments/<assessment_id>/plan.pdf")
@token_required
def plan_pdf(assessment_id: str):
    """The action plan as a printable A4 PDF in the requested language.
    ---
    get:
      tags: [plans]
      summary: Printable action plan (PDF)
      security: [{bearer: []}]
      parameters:
        - {in: path, name: assessment_id, required: true, schema: {type: string}}
        - {in: query, name: lang, schema: {type: string, enum: [en, fr, es, pt, ar]}}
      responses:
        200: {description: The PDF, content: {application/pdf: {}}}
        401: {content: {application/json: {schema: ErrorSchema}}}
        403:
          description: A manager's or an admin's token (phone_token_required)
          content: {application/json: {schema: ErrorSchema}}
        404: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
        503: {description: Too many PDFs being made at once (Retry-After),
              content: {application/json: {schema: ErrorSchema}}}
    """
    round_ = _round(assessment_id)
    lang = _language()
    gettext, ngettext = gettext_for(lang)
    document = service.plan_document(round_, _checklist(round_, lang), lang)
    with render_slot(Path(current_app.instance_path), current_app.config["PDF_RENDER_SLOTS"],
                     current_app.config["PDF_RENDER_WAIT"]):
        pdf = render_plan(document, lang, gettext, ngettext)
    filename = f"action-plan-{assessment_id[:8]}-{lang}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
