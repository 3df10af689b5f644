"""Schemas of the sync wire format (see ``shared/design/sync-protocol.md``).

The record field schemas are also the one definition of every limit: the phone reads
them from ``GET /api/v1/limits`` (:func:`limits`), so it never lets a user type what
the server would refuse.
"""

import re

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates

from healthwise.errors import ErrorBodySchema, Invalid
from healthwise.timeutil import Timestamp
from healthwise.validation import StrictBoolean, UUIDString, valid_optional_name, valid_text

ACTIONS = ("yes", "no", "na")
KINDS = ("baseline", "follow_up")
ASSESSMENT_STATUSES = ("open", "agreed", "closed")
COSTS = ("none", "low", "medium", "high")
ITEM_STATUSES = ("planned", "in_progress", "done", "dropped")
STATUSES = ("applied", "duplicate", "merged", "conflict", "rejected")
#: The largest value an INTEGER column holds on both databases.
MAX_INT = 2**31 - 1
#: Action items one round may have: a committee agrees on a few dozen, and the plan PDF
#: of a round is rendered on demand, so an unbounded list is a way to stall the server.
MAX_ACTION_ITEMS_PER_ROUND = 300
#: Module ids one round may name (a checklist has about a dozen modules).
MAX_MODULES = 50
#: Photos one answer or action item may carry (sha-256 names of blobs uploaded apart,
#: ``PUT /api/v1/photos/<sha256>``): evidence, not an album.
MAX_PHOTOS_PER_RECORD = 3
#: A photo's name: the lower-case hex sha-256 of its bytes.
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}\Z")
#: Distinct phone ids (``device_id``) one device token may sync with.
MAX_DEVICES_PER_TOKEN = 3
# NUL, and UTF-16 halves that are not a character: neither database can store them.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> None:
    """Refuse text the databases cannot store (a NUL byte, a lone surrogate).

    :raises ValidationError: naming what is wrong, so the person can fix it.
    """
    if UNSTORABLE.search(value):
        raise ValidationError("Contains a character that cannot be stored "
                              "(a NUL byte or half of an emoji); retype this text.")


class Text(fields.String):
    """A string of at most ``max_length`` characters, without unstorable characters.

    A ``name`` (a person's, a round's title) also refuses control and bidirectional
    characters, as every name typed in the app does (:mod:`healthwise.validation`);
    ``prose`` (a manager's comment) likewise, but keeps line breaks.
    """

    def __init__(self, max_length: int, min_length: int | None = None, name: bool = False,
                 prose: bool = False, **kwargs):
        self.max_length = max_length
        checks = [validate.Length(min=min_length, max=max_length), storable]
        super().__init__(validate=checks + [valid_optional_name] * name
                         + [valid_text] * prose, **kwargs)


def whole_number(minimum: int = 0, maximum: int = MAX_INT, **kwargs) -> fields.Integer:
    """Return an integer field that refuses ``1.0``, ``"1"`` and what a column cannot hold."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum),
                          **kwargs)


class IsoDate(fields.Date):
    """A calendar date that stays an ISO string (``2026-11-23``) after loading."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


class PhotoList(fields.List):
    """The photos a record carries: at most :data:`MAX_PHOTOS_PER_RECORD` sha-256 names,
    none twice. A change that breaks this is rejected with the code ``bad_photos``."""

    #: The rejection code of a change whose value this field refuses (envelope.parse).
    rejection_code = "bad_photos"

    def __init__(self, **kwargs):
        super().__init__(fields.String(validate=validate.Regexp(
            SHA256_PATTERN, error="Not a photo name (the 64 lower-case hex digits of its "
                                  "sha-256).")),
            validate=[validate.Length(max=MAX_PHOTOS_PER_RECORD,
                                      error=f"At most {MAX_PHOTOS_PER_RECORD} photos."),
                      _distinct], **kwargs)


def _distinct(value: list) -> None:
    if len(set(value)) != len(value):
        raise ValidationError("A photo is named twice.")


class AssessmentFields(Schema):
    facility_id = whole_number(1)
    checklist_id = Text(50, min_length=1)
    checklist_version = whole_number(1)
    title = Text(200, name=True)
    kind = fields.String(validate=validate.OneOf(KINDS))
    previous_id = UUIDString(allow_none=True)
    status = fields.String(validate=validate.OneOf(ASSESSMENT_STATUSES))
    started_on = IsoDate(allow_none=True)
    # The module ids the round walks (a workshop round's subset); null or [] = all.
    # The rules check them against the round's checklist.
    modules = fields.List(Text(50, min_length=1), allow_none=True,
                          validate=validate.Length(max=MAX_MODULES))
    # A mistaken round (started twice, wrong facility): hidden on every phone and left
    # out of every figure, but kept, like everything that was ever synced.
    removed = StrictBoolean()


class ResponseFields(Schema):
    assessment_id = UUIDString()
    participant = Text(100, name=True)
    role = Text(100)
    completed = StrictBoolean()


class AnswerFields(Schema):
    response_id = UUIDString()
    checkpoint_id = Text(20)
    action = fields.String(validate=validate.OneOf(ACTIONS), allow_none=True)
    priority = StrictBoolean()
    remark = Text(2000)
    photos = PhotoList()


class ActionItemFields(Schema):
    assessment_id = UUIDString()
    checkpoint_id = Text(20, allow_none=True)
    action = Text(1000)
    responsible = Text(200, name=True)
    due_on = IsoDate(allow_none=True)
    cost = fields.String(validate=validate.OneOf(COSTS))
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))
    progress_note = Text(2000)
    rank = whole_number(0, 10000, allow_none=True)
    photos = PhotoList()


#: The longest comment a manager's review holds.
REVIEW_COMMENT_LENGTH = 2000


class ReviewFields(Schema):
    assessment_id = UUIDString()
    comment = Text(REVIEW_COMMENT_LENGTH, prose=True)
    reviewed = StrictBoolean()
    reviewer = Text(254, name=True)
    reviewed_on = IsoDate(allow_none=True)


# Per type: the fields schema, the fields a creating change must set, the fields
# that never change after creation (they decide the record's scope and meaning),
# the parent reference used for the scope check, and whether phones only read it
# (a change to it from anyone but the server itself is rejected as ``read_only``).
RECORD_TYPES = {
    "assessment": {
        "schema": AssessmentFields(),
        "required": ("facility_id", "checklist_id", "checklist_version"),
        "immutable": ("facility_id", "checklist_id"),
        "parent": None,
        "read_only": False,
    },
    "response": {
        "schema": ResponseFields(),
        "required": ("assessment_id",),
        "immutable": ("assessment_id",),
        "parent": ("assessment_id", "assessment"),
        "read_only": False,
    },
    "answer": {
        "schema": AnswerFields(),
        "required": ("response_id", "checkpoint_id"),
        "immutable": ("response_id", "checkpoint_id"),
        "parent": ("response_id", "response"),
        "read_only": False,
    },
    "action_item": {
        "schema": ActionItemFields(),
        "required": ("assessment_id",),
        "immutable": ("assessment_id",),
        "parent": ("assessment_id", "assessment"),
        "read_only": False,
    },
    # A district manager's review of a round's plan, written from the manager's pages.
    "review": {
        "schema": ReviewFields(),
        "required": ("assessment_id",),
        "immutable": ("assessment_id",),
        "parent": ("assessment_id", "assessment"),
        "read_only": True,
    },
}


class ChangeSchema(Schema):
    change_id = UUIDString(required=True)
    type = fields.String(required=True, validate=validate.OneOf(tuple(RECORD_TYPES)))
    id = UUIDString(required=True)
    base_rev = whole_number(0, allow_none=True, load_default=None)
    fields = fields.Dict(keys=fields.String(), required=True)  # last: shadows the module


#: A pull cursor: the clock value the phone has seen up to, and the first characters of
#: the change_id that got it, so that a cursor from another history (a restored
#: backup, another server) is recognised. A bare number is an older phone's cursor.
CURSOR = re.compile(r"^(?P<seq>[0-9]{1,18})(?:\.(?P<check>[0-9a-f]{8}))?\Z")


class SyncRequestSchema(Schema):
    device_id = UUIDString(required=True)
    cursor = fields.String(allow_none=True, load_default=None,
                           validate=validate.Regexp(CURSOR, error="Not a cursor this server "
                                                                  "issued."))
    # Each change is checked on its own (envelope.parse) so that one bad change is
    # rejected without failing the others.
    changes = fields.List(fields.Dict(), load_default=list, metadata={
        "description": "At most `changes_per_request` of GET /api/v1/limits (the "
                       "SYNC_MAX_CHANGES setting); more: 422 too_many_changes"})

    @validates("changes")
    def _not_too_many(self, value, **kwargs):
        limit = current_app.config["SYNC_MAX_CHANGES"]
        if len(value) > limit:
            raise Invalid(f"Send at most {limit} changes per request.", "too_many_changes",
                          {"limit": limit})


class ResultSchema(Schema):
    change_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    rev = fields.Integer()
    superseded = fields.List(fields.String())
    error = fields.Nested(ErrorBodySchema)


class ConflictSchema(Schema):
    field = fields.String()
    value = fields.Raw(allow_none=True)
    device_id = fields.String()
    change_id = fields.String()
    at = fields.String()


class PulledRecordSchema(Schema):
    type = fields.String(required=True)
    id = fields.String(required=True)
    rev = fields.Integer(required=True)
    conflicts = fields.List(fields.Nested(ConflictSchema))
    fields = fields.Dict(required=True)  # last: the name shadows the module in this body


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(ResultSchema), required=True)
    changes = fields.List(fields.Nested(PulledRecordSchema), required=True)
    cursor = fields.String(required=True)
    more = fields.Boolean(required=True)
    server_time = Timestamp(required=True)


def limits() -> dict:
    """Return the limits a phone must respect, read from the field schemas and the
    ``SYNC_MAX_CHANGES`` setting (the one place each limit is kept)."""
    return {
        "fields": {
            record_type: {name: field.max_length
                          for name, field in rules["schema"].fields.items()
                          if isinstance(field, Text)}
            for record_type, rules in RECORD_TYPES.items()
            if not rules["read_only"]  # phones never write those
        },
        "action_items_per_round": MAX_ACTION_ITEMS_PER_ROUND,
        "changes_per_request": current_app.config["SYNC_MAX_CHANGES"],
        "photos_per_record": MAX_PHOTOS_PER_RECORD,
    }


class LimitsSchema(Schema):
    action_items_per_round = fields.Integer(required=True)
    photos_per_record = fields.Integer(required=True)
    changes_per_request = fields.Integer(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Dict(  # last: shadows the module
        keys=fields.String(), values=fields.Integer()), required=True)
