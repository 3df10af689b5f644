"""A phone's exported file, brought back: read the changes it had not sent yet.

The format is written down in ``docs/phone-export.md``; this reader keeps to the part
every version of the phone has written:

``{"app": "healthwise", "exported": ...,
"outbox": [[key, change], ...], "meta": [[name, value], ...], ...}``; each change in
the outbox is what the phone would send (``change_id``, ``type``, ``id``,
``base_rev``, ``fields``). Nothing else of the file is read: the names and answers in
its records are the committee's and are synced, not shown.
"""

import json
from dataclasses import dataclass

from healthwise.validation import UUID_PATTERN

WIRE_KEYS = ("change_id", "type", "id", "base_rev", "fields")


class FileError(ValueError):
    """A file that cannot be brought back; ``code`` says why (``not_json``, ``not_export``,
    ``other_facility``, ``no_file``), for the page to word in the reader's language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PhoneFile:
    """The part of an exported file that can be synced."""

    changes: list[dict]
    device_id: str | None
    facility_id: int | None
    exported: str


def _pairs_or_items(value) -> list:
    # Stores are exported as [key, value] pairs; a plain list of values is read too.
    if not isinstance(value, list):
        raise FileError("not_export")
    return [item[1] if isinstance(item, list) and len(item) == 2 else item for item in value]


def read_phone_file(raw: bytes) -> PhoneFile:
    """Return the unsent changes of an exported file.

    :raises FileError: if the file is not JSON or not a HealthWISE phone's export.
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise FileError("not_json") from None
    if not isinstance(data, dict) or data.get("app") != "healthwise":
        raise FileError("not_export")
    changes = []
    for item in _pairs_or_items(data.get("outbox", [])):
        change_id = item.get("change_id") if isinstance(item, dict) else None
        if isinstance(change_id, str) and UUID_PATTERN.match(change_id):
            changes.append({key: item.get(key) for key in WIRE_KEYS})
    meta = {}
    for pair in data.get("meta") or []:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str):
            meta[pair[0]] = pair[1]
    scope = meta.get("scope") if isinstance(meta.get("scope"), dict) else {}
    facility = scope.get("facility") if isinstance(scope.get("facility"), dict) else {}
    facility_id = facility.get("id") if type(facility.get("id")) is int else None
    device_id = meta.get("device_id") if isinstance(meta.get("device_id"), str) else None
    exported = data.get("exported") if isinstance(data.get("exported"), str) else ""
    return PhoneFile(changes, device_id, facility_id, exported[:40])
