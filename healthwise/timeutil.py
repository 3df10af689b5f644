"""Time helpers: the server keeps naive UTC datetimes everywhere."""

from datetime import UTC, datetime

from marshmallow import fields


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (what both databases store)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    """Return an ISO 8601 UTC string with a Z, or None."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class Timestamp(fields.DateTime):
    """A moment on the wire: ISO 8601 UTC with a ``Z``, to the second (see :func:`iso`)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return iso(value)
