"""Checklist API: the list, one checklist localised, and one as an XLSForm."""

from flask import Response, request

from healthwise.checklists.registry import payload_cache, registry
from healthwise.checklists.schemas import ChecklistListSchema, LocalisedChecklistSchema
from healthwise.checklists.xlsform import checklist_xlsform
from healthwise.errors import NotFound
from healthwise.languages.schemas import lang_argument
from healthwise.web.api import Blueprint

bp = Blueprint("checklists_api", __name__, url_prefix="/api/v1",
               description="The HealthWISE checklists, in every language.")


@bp.get("/checklists")
@bp.response(200, ChecklistListSchema)
def list_checklists():
    """List the checklists this server offers."""
    return {"checklists": [c.summary() for c in registry()]}


@bp.get("/checklists/<checklist_id>")
@lang_argument(bp)
@bp.response(200, LocalisedChecklistSchema)
@bp.alt_response(304, description="Not modified (If-None-Match)")
@bp.alt_response(404, response="NOT_FOUND")
def get_checklist(checklist_id: str, lang: str):
    """One checklist with its text in the requested language.

    Text missing from a catalogue falls back to English and its checkpoint is listed in
    `untranslated`. Supports `If-None-Match` (304) and gzip. The body is the checklist
    dumped through its schema once per language and kept compressed (see
    `Checklist.payload`), so a hundred phones cost no work.
    """
    checklist = registry().get(checklist_id)
    if checklist is None:
        raise NotFound(f"There is no checklist '{checklist_id[:100]}'.")
    payload = checklist.payload(lang, payload_cache())
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(payload.gzipped if gzip_ok else payload.body,
                        mimetype="application/json")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(f"{payload.etag}-{lang}")
    return response.make_conditional(request)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/checklists/<checklist_id>/xlsform")
@lang_argument(bp)
@bp.response(200, content_type=XLSX, description="The XLSForm workbook (.xlsx)")
@bp.alt_response(404, response="NOT_FOUND")
def get_xlsform(checklist_id: str, lang: str):
    """One checklist as an XLSForm, for ODK and KoboToolbox, in the requested language.

    Each module is a group; each checkpoint asks, as the phone does, whether to propose
    action (yes, no, not applicable), whether it is a priority (after a yes) and a
    remark. Question names are the checkpoints' stable ids.
    """
    checklist = registry().get(checklist_id)
    if checklist is None:
        raise NotFound(f"There is no checklist '{checklist_id[:100]}'.")
    name = f"{checklist.id}-{lang}.xlsx"
    return Response(checklist_xlsform(checklist, lang), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
