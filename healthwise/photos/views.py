"""Photo upload and download: the phones' API, and the managers' pages.

``PUT /api/v1/photos/<sha256>`` is safe to repeat: 201 when stored, 200 when the server
already had it. A photo is read where a record of the reader's scope names it: a phone
through the API (its bearer token), a manager through ``/manage`` (the session).
"""

from flask import Blueprint as PageBlueprint
from flask import Response, abort, g, request

from healthwise.access import service as access
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import token_key, token_required
from healthwise.errors import NotFound
from healthwise.extensions import db, limiter
from healthwise.facilities.models import Facility
from healthwise.photos import service
from healthwise.web.api import BEARER, Blueprint

api = Blueprint("photos_api", __name__, url_prefix="/api/v1",
                description="Photo evidence of answers and action items, by sha-256.")
# Not a page_blueprint: those forbid caching, and a photo never changes.
bp = PageBlueprint("photos", __name__, url_prefix="/manage")

PHOTO_BODY = {"requestBody": {"required": True, "content": {
    media_type: {"schema": {"type": "string", "format": "binary"}}
    for media_type in service.MEDIA_TYPES}}}


def _photo_response(name: str) -> Response:
    data, media_type = service.photo_bytes(name)
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = service.CACHE_CONTROL
    response.set_etag(name)
    return response.make_conditional(request)


@api.put("/photos/<name>")
@token_required
@limiter.limit("600 per hour", key_func=token_key)
@api.doc(**BEARER, **PHOTO_BODY)
@api.response(201, description="Stored")
@api.alt_response(200, description="The server already had this photo")
@api.alt_response(400, response="BAD_REQUEST",
                  description="bad_photo_name, length_required, incomplete (a body shorter "
                              "than its Content-Length) or sha256_mismatch")
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(404, response="NOT_FOUND", description="No record of this facility names "
                  "the photo (not_referenced)")
@api.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@api.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def upload(name: str):
    """Store a photo named by the sha-256 of its bytes (image/jpeg or image/webp).

    Safe to repeat: the same photo sent again, by this phone or another, gets 200 and
    changes nothing. A body cut short, or whose sha-256 is not the name, is refused and
    nothing is stored. An answer or an action item of the phone's facility must name
    the photo first (404 otherwise): the phone syncs the record, then uploads its
    photos, so the server keeps only photos that some record shows.
    """
    if not service.referenced(name, g.scope.facility_ids):
        raise NotFound("No answer or action item of this facility names this photo: sync "
                       "the record first.", "not_referenced")
    new = service.receive(name, request.content_type, request.content_length, request.stream)
    return Response(status=201 if new else 200)


@api.get("/photos/<name>")
@token_required
@api.doc(**BEARER)
@api.response(200, content_type="image/jpeg", description="The photo (image/jpeg or "
              "image/webp; immutable: cache it)")
@api.alt_response(401, response="UNAUTHORIZED")
@api.alt_response(404, response="NOT_FOUND", description="No record of this facility names "
                  "it (not_found), or it has not been uploaded yet (photo_pending)")
def download(name: str):
    """Return a photo that an answer or an action item of the phone's facility names."""
    if not service.referenced(name, g.scope.facility_ids):
        raise NotFound("No record of this facility has this photo.")
    return _photo_response(name)


@bp.get("/photos/<name>")
@user_required(*access.MANAGERS)
def page_photo(name: str):
    """Return the photo of an action item of a facility the manager (or admin) reaches.

    Above facility level only action items' photos are shown, never those of a
    sensitive checkpoint, nor an answer's.
    """
    ids = db.session.scalars(access.facilities_query(g.user).with_only_columns(Facility.id))
    if not service.referenced(name, ids, above_facility=True, registry=registry()):
        abort(404)
    try:
        return _photo_response(name)
    except NotFound:
        abort(404)

