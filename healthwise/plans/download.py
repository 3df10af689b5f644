"""A plan's PDF as a download: rendered in one of the server's few slots, named after
its facility, round and date. The phones' API and the managers' pages both send it."""

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app

from healthwise.languages.service import gettext_for
from healthwise.plans import service
from healthwise.plans.document import PlanDocument
from healthwise.plans.pdf import render_plan
from healthwise.plans.slots import render_slot


def attachment(ascii_name: str, name: str) -> str:
    """Say "download as": an ASCII name, and the real one as RFC 6266/5987 ``filename*``."""
    if name == ascii_name:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def pdf_response(round_: service.Round, document: PlanDocument, lang: str) -> Response:
    """Render a plan's document as a PDF download (503 ``Busy`` when every slot is taken).

    :param round_: the round, for the file's name.
    :param document: what the PDF shows, in ``lang``.
    """
    gettext, ngettext = gettext_for(lang)
    with render_slot(Path(current_app.instance_path), current_app.config["PDF_RENDER_SLOTS"],
                     current_app.config["PDF_RENDER_WAIT"]):
        pdf = render_plan(document, lang, gettext, ngettext)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(service.pdf_filename(round_, lang, ascii_only=True),
                                          service.pdf_filename(round_, lang)),
        "Cache-Control": "no-store"})
