"""Checklist API: the list, and one checklist localised."""

from flask import Blueprint, Response, current_app, jsonify, request

from healthwise.checklists.registry import payload_cache, registry
from healthwise.errors import APIError
from healthwise.languages.service import normalise

bp = Blueprint("checklists_api", __name__, url_prefix="/api/v1")


@bp.get("/checklists")
def list_checklists():
    """List the checklists.
    ---
    get:
      tags: [checklists]
      summary: List the checklists this server offers
      responses:
        200:
          content:
            application/json:
              schema: ChecklistListSchema
    """
    return jsonify({"checklists": [c.summary() for c in registry()]})


@bp.get("/checklists/<checklist_id>")
def get_checklist(checklist_id: str):
    """Return one checklist, localised.
    ---
    get:
      tags: [checklists]
      summary: One checklist with its text in the requested language
      description: >-
        Text missing from a catalogue falls back to English and its checkpoint is
        listed in `untranslated`. Supports `If-None-Match` (304) and gzip.
      parameters:
        - in: path
          name: checklist_id
          schema: {type: string}
          required: true
        - in: query
          name: lang
          schema: {type: string, enum: [en, fr, es, pt, ar]}
      responses:
        200:
          content:
            application/json:
              schema: LocalisedChecklistSchema
        304:
          description: Not modified
        404:
          content:
            application/json:
              schema: ErrorSchema
        422:
          content:
            application/json:
              schema: ErrorSchema
    """
    checklist = registry().get(checklist_id)
    if checklist is None:
        raise APIError("not_found", f"There is no checklist '{checklist_id}'.", 404)
    requested = request.args.get("lang")
    lang = normalise(requested) if requested else "en"
    if lang is None:
        raise APIError(
            "unsupported_language",
            f"Language '{requested}' is not available.",
            422,
            {"supported": list(current_app.config["LANGUAGES"])},
        )
    payload = checklist.payload(lang, payload_cache())
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(payload.gzipped if gzip_ok else payload.body,
                        mimetype="application/json")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(f"{payload.etag}-{lang}")
    return response.make_conditional(request)
