"""District exports to download: from the district page, and through the managers' API.

The same three files either way: the whole district as one SQLite file, its CSV tables
in one ZIP archive, and each CSV table on its own. A manager reaches their districts,
an admin every district; anything else is 404 (a workshop's practice facility is in no
district, so never here). Pages take a signed-in manager or admin (trainers get 403);
the API takes a manager's or an admin's token (a phone's gets 403). What the files
hold is decided in :mod:`healthwise.exports.service`: figures under the rule of five,
never a name, a remark, who is responsible, a progress note or one person's answers.
"""

import os

from flask import Response, abort, g

from healthwise.access import service as access
from healthwise.auth.decorators import user_required
from healthwise.checklists.registry import registry
from healthwise.devices.decorators import manager_token_required
from healthwise.errors import NotFound
from healthwise.exports import service, tables
from healthwise.web.api import BEARER, Blueprint
from healthwise.web.pages import not_in_your_districts, page_blueprint

api = Blueprint("exports_api", __name__, url_prefix="/api/v1",
                description="The managers' API: a district's export files (SQLite, CSV), "
                            "rule of five applied, no names.")
bp = page_blueprint("exports", __name__, "/manage", not_in_your_districts)
MANAGERS_ONLY = "A phone's token (manager_token_required)"
SQLITE, ZIP, CSV = "application/vnd.sqlite3", "application/zip", "text/csv"
TABLE_NAMES = ", ".join(tables.CSV_TABLES)
CHUNK = 64 * 1024
#: What the document says of a file sent as it is.
BINARY = {"type": "string", "format": "binary"}


def _sqlite(export: service.DistrictExport):
    return _download(export.sqlite_file(), SQLITE, export.filename("sqlite"))


def _zip(export: service.DistrictExport):
    return _download(export.zip_file(), ZIP, export.filename("zip"))


def _csv(export: service.DistrictExport, table: str):
    if table not in tables.CSV_TABLES:
        return None
    name = export.filename("csv").removesuffix(".csv") + f"-{table}.csv"
    return _download(export.csv_file(table), f"{CSV}; charset=utf-8", name)


def _download(handle, mimetype: str, name: str) -> Response:
    """Send a built file as an attachment, a chunk at a time (see :class:`Sent`).

    :param name: the file's name, ASCII letters, digits, hyphens and dots only
        (:meth:`~healthwise.exports.service.DistrictExport.filename`).
    """
    size = os.fstat(handle.fileno()).st_size
    return Response(Sent(handle), mimetype=mimetype, direct_passthrough=True, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(size), "Cache-Control": "no-store"})


class Sent:
    """A temporary file as a response body, read a chunk at a time.

    It is closed (and so gone from the disk) once read, when the server closes the
    response (PEP 3333), or at the latest when it is dropped unread.
    """

    def __init__(self, handle):
        self.handle = handle

    def __iter__(self):
        while chunk := self.handle.read(CHUNK):
            yield chunk
        self.close()

    def close(self) -> None:
        self.handle.close()

    def __del__(self):  # a client that never reads nor closes the response
        self.close()


# The managers' API ---------------------------------------------------------------------------


def _district_of_token(district_id: int) -> service.DistrictExport:
    found = access.reachable_district(g.token.user, district_id)
    if found is None:
        raise NotFound("There is no such district in your districts.")
    return service.for_districts([found], registry())


def _documented(content_type: str, description: str):
    """Document a download of the managers' API: its file, and the errors it answers."""

    def decorate(view):
        for decorator in reversed((
                manager_token_required, api.doc(**BEARER),
                api.response(200, BINARY, content_type=content_type, description=description),
                api.alt_response(401, response="UNAUTHORIZED"),
                api.alt_response(403, response="FORBIDDEN", description=MANAGERS_ONLY),
                api.alt_response(404, response="NOT_FOUND"))):
            view = decorator(view)
        return view

    return decorate


@api.get("/districts/<int:district_id>/export.sqlite")
@_documented(SQLITE, "One SQLite file: districts, facilities, rounds, action_items, "
                     "module_figures, checkpoint_figures, views and a metadata table")
def district_sqlite(district_id: int):
    """A district's export as one SQLite file (rule of five applied, no names)."""
    return _sqlite(_district_of_token(district_id))


@api.get("/districts/<int:district_id>/export.zip")
@_documented(ZIP, f"A ZIP archive of the CSV files ({TABLE_NAMES}), UTF-8 with BOM")
def district_zip(district_id: int):
    """A district's CSV tables in one ZIP archive (rule of five applied, no names)."""
    return _zip(_district_of_token(district_id))


@api.get("/districts/<int:district_id>/export/<table>.csv")
@_documented(CSV, f"One CSV table, UTF-8 with BOM; table is one of {TABLE_NAMES} "
                  "(any other is 404)")
def district_csv(district_id: int, table: str):
    """One CSV table of a district's export (rule of five applied, no names)."""
    export = _district_of_token(district_id)
    found = _csv(export, table)
    if found is None:
        raise NotFound(f"There is no such table. Tables: {TABLE_NAMES}.")
    return found


# Pages ---------------------------------------------------------------------------------------


def _district_of_user(district_id: int) -> service.DistrictExport:
    found = access.reachable_district(g.user, district_id) or abort(404)
    return service.for_districts([found], registry())


# A workshop's results, for its trainer (or an admin): the same files, of its practice
# facility; another trainer's workshop is 404, a manager gets 403.


def _workshop_of_user(workshop_id: int) -> service.WorkshopExport:
    found = access.reachable_workshop(g.user, workshop_id) or abort(404)
    return service.for_workshop(found, registry())


@bp.get("/workshops/<int:workshop_id>/export.sqlite", endpoint="workshop_sqlite")
@user_required(*access.TRAINERS)
def workshop_sqlite_page(workshop_id: int):
    """Download a workshop's results as one SQLite file (no names)."""
    return _sqlite(_workshop_of_user(workshop_id))


@bp.get("/workshops/<int:workshop_id>/export.zip", endpoint="workshop_zip")
@user_required(*access.TRAINERS)
def workshop_zip_page(workshop_id: int):
    """Download a workshop's results as CSV tables in one ZIP archive (no names)."""
    return _zip(_workshop_of_user(workshop_id))


@bp.get("/districts/<int:district_id>/export.sqlite", endpoint="district_sqlite")
@user_required(*access.MANAGERS)
def district_sqlite_page(district_id: int):
    """Download a district's export as one SQLite file."""
    return _sqlite(_district_of_user(district_id))


@bp.get("/districts/<int:district_id>/export.zip", endpoint="district_zip")
@user_required(*access.MANAGERS)
def district_zip_page(district_id: int):
    """Download a district's CSV tables in one ZIP archive."""
    return _zip(_district_of_user(district_id))


@bp.get("/districts/<int:district_id>/export/<table>.csv", endpoint="district_csv")
@user_required(*access.MANAGERS)
def district_csv_page(district_id: int, table: str):
    """Download one CSV table of a district's export."""
    return _csv(_district_of_user(district_id), table) or abort(404)
