"""The change envelope: load one change as a phone sent it, or say why it is refused.

Pure: no database. Validation is done before the writer lock is taken, so that a hundred
phones queue only for the part that must be serial.
"""

import hashlib
import json
from functools import lru_cache

from marshmallow import ValidationError
from marshmallow.fields import List as ListField

from healthwise.assessments.schemas import MAX_INT, RECORD_TYPES, ChangeSchema
from healthwise.validation import UUID_PATTERN

CHANGE_SCHEMA = ChangeSchema()


class Rejected(Exception):
    """A change that cannot be applied; the rest of the batch goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def wire_fields(record_type: str) -> tuple[str, ...]:
    """Return the field names of a record type on the wire."""
    return tuple(RECORD_TYPES[record_type]["schema"].fields)


def digest(change: dict) -> str:
    """Return a fingerprint of a change's content, to spot a reused change_id."""
    content = {k: change.get(k) for k in ("type", "id", "base_rev", "fields")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


#: Per record type, the fields whose value is a list.
LIST_FIELDS = {record_type: frozenset(name for name, field in rules["schema"].fields.items()
                                      if isinstance(field, ListField))
               for record_type, rules in RECORD_TYPES.items()}
ENVELOPE_KEYS = frozenset(CHANGE_SCHEMA.fields)
REQUIRED_KEYS = frozenset(name for name, f in CHANGE_SCHEMA.fields.items() if f.required)


def _plain_envelope(raw) -> dict | None:
    """Return the change envelope as :data:`CHANGE_SCHEMA` loads it, if it is plainly valid.

    A phone's batch is a hundred well-formed envelopes, and a schema load costs about
    forty times this check. Only what is certainly valid passes; anything else
    returns None and goes through the schema, which alone words the errors
    (``tests/test_sync_properties.py`` checks that both agree).
    """
    if type(raw) is not dict or not REQUIRED_KEYS <= raw.keys() <= ENVELOPE_KEYS:
        return None
    change_id, record_type, record_id, fields = (raw["change_id"], raw["type"], raw["id"],
                                                 raw["fields"])
    base_rev = raw.get("base_rev")
    if (type(change_id) is str and type(record_id) is str and type(fields) is dict
            and record_type in RECORD_TYPES
            and (base_rev is None or (type(base_rev) is int and 0 <= base_rev <= MAX_INT))
            and UUID_PATTERN.match(change_id) and UUID_PATTERN.match(record_id)
            and all(type(key) is str for key in fields)):
        return {"change_id": change_id.lower(), "type": record_type, "id": record_id.lower(),
                "base_rev": base_rev, "fields": dict(fields)}
    return None


def load_envelope(raw) -> dict:
    """Load one change's envelope (ids, type, base_rev, fields) or raise Rejected."""
    change = _plain_envelope(raw)
    if change is not None:
        return change
    try:
        return CHANGE_SCHEMA.load(raw)
    except ValidationError as exc:
        raise Rejected("invalid", _first_error(exc.messages)) from None


def parse(raw: dict) -> dict:
    """Validate one change with the marshmallow schemas; raise Rejected if invalid."""
    change = load_envelope(raw)
    if not change["fields"]:
        raise Rejected("empty_change", "The change sets no field.")
    schema = RECORD_TYPES[change["type"]]["schema"]
    unknown = sorted(change["fields"].keys() - schema.fields.keys())
    if unknown:
        raise Rejected("invalid", f"{', '.join(unknown)}: Unknown field.")
    loaded = {}
    for name, value in change["fields"].items():
        try:
            if type(value) is list and name in LIST_FIELDS[change["type"]]:
                # A list cannot be a cache key; such fields are rare (a round's modules,
                # a record's photos).
                loaded[name] = schema.fields[name].deserialize(value)
            else:
                loaded[name] = _field_value(change["type"], name, type(value), value)
        except ValidationError as exc:
            code = getattr(schema.fields[name], "rejection_code", "invalid")
            raise Rejected(code, f"{name}: {_first_error(exc.messages)}") from None
        except TypeError:  # an unhashable value (list, object): never valid here
            code = getattr(schema.fields[name], "rejection_code", "invalid")
            raise Rejected(code, f"{name}: Not a valid value.") from None
    change["fields"] = loaded
    return change


@lru_cache(maxsize=8192)
def _field_value(record_type: str, name: str, kind: type, value):
    """Return one field value as its schema field loads it (validators included).

    The same values recur in every batch (``"yes"``, ``False``, the response id...),
    so each is checked once and remembered; ``kind`` keeps ``1`` apart from ``True``.
    """
    return RECORD_TYPES[record_type]["schema"].fields[name].deserialize(value)


def _first_error(messages) -> str:
    """Return the field errors as one readable sentence."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            inner = _first_error(value)
            parts.append(f"{key}: {inner}")
        return "; ".join(parts)
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)


def check_change_ids(raw_changes: list[dict]) -> None:
    """Make sure every change has a change_id its result can be reported under.

    :raises ValidationError: naming the changes without a valid ``change_id``.
    """
    errors = {}
    for number, raw in enumerate(raw_changes):
        found = raw.get("change_id") if isinstance(raw, dict) else None
        if not isinstance(found, str) or not UUID_PATTERN.match(found):
            errors[number] = {"change_id": ["Each change needs a change_id (a UUID)."]}
    if errors:
        raise ValidationError({"changes": errors})
