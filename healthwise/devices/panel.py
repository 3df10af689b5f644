"""The phones panel: a facility's usable codes and active phones, and a new code shown once.

A district facility's page and a workshop's page both show it (the workshop's for its
practice facility); each renders its own template around ``devices/_codes.html``,
``devices/_devices.html`` and ``devices/_new_code.html`` with :func:`panel`.
"""

from datetime import timedelta

import segno
from marshmallow import ValidationError

from healthwise.devices import service
from healthwise.devices.schemas import CodeFormSchema
from healthwise.timeutil import utcnow


def panel(facility_id: int, new_code=None, errors=None) -> dict:
    """Return the template context of a facility's phones panel."""
    return {"codes": service.codes_of(facility_id), "devices": service.devices_of(facility_id),
            "new_code": new_code, "errors": errors or {}, "now": utcnow()}


def join_link(host_url: str, code: str, workshop: bool = False) -> str:
    """Return the link a code's QR holds; a workshop's asks the phone for a name first."""
    return f"{host_url}#/join?code={code}" + ("&workshop=1" if workshop else "")


def qr_image(link: str, scale: int = 4) -> str:
    """Return a link's QR code as an SVG data URI (an ``<img src>`` the CSP allows)."""
    return segno.make(link, error="m").svg_data_uri(scale=scale, border=2, light="#fff")


def issue_code(facility_id: int, form, host_url: str,
               workshop: bool = False) -> tuple[dict, int]:
    """Create an enrolment code from a posted form (``uses``, ``days``); flush only.

    :param workshop: whether the facility is a workshop's practice facility (its link
        then asks the phone for a name before joining).

    :returns: the panel's context with ``new_code`` (the code, its join link, the link's
        QR image and the row, shown once) and 200, or with ``errors`` and 422 for a bad
        form.
    """
    try:
        data = CodeFormSchema().load(form)
    except ValidationError as exc:
        return panel(facility_id, errors=exc.messages), 422
    code, raw = service.create_enrolment_code(facility_id, uses=data["uses"],
                                              ttl=timedelta(days=data["days"]))
    link = join_link(host_url, raw, workshop)
    qr = qr_image(link)
    return panel(facility_id, new_code={"code": raw, "link": link, "qr": qr, "row": code}), 200
