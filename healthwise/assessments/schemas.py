"""Schemas of the sync wire format (see ``shared/design/sync-protocol.md``)."""

from marshmallow import Schema, fields, validate

ACTIONS = ("yes", "no", "na")
KINDS = ("baseline", "follow_up")
ASSESSMENT_STATUSES = ("open", "agreed", "closed")
COSTS = ("none", "low", "medium", "high")
ITEM_STATUSES = ("planned", "in_progress", "done", "dropped")
STATUSES = ("applied", "duplicate", "merged", "conflict", "rejected")


class IsoDate(fields.Date):
    """A calendar date that stays an ISO string (``2026-11-23``) after loading."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


def text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class AssessmentFields(Schema):
    facility_id = fields.Integer(strict=True)
    checklist_id = fields.String(validate=validate.Length(min=1, max=50))
    checklist_version = fields.Integer(strict=True, validate=validate.Range(min=1))
    title = text(200)
    kind = fields.String(validate=validate.OneOf(KINDS))
    previous_id = fields.UUID(allow_none=True)
    status = fields.String(validate=validate.OneOf(ASSESSMENT_STATUSES))
    started_on = IsoDate(allow_none=True)


class ResponseFields(Schema):
    assessment_id = fields.UUID()
    participant = text(100)
    role = text(100)
    completed = fields.Boolean()


class AnswerFields(Schema):
    response_id = fields.UUID()
    checkpoint_id = text(20)
    action = fields.String(validate=validate.OneOf(ACTIONS), allow_none=True)
    priority = fields.Boolean()
    remark = text(2000)


class ActionItemFields(Schema):
    assessment_id = fields.UUID()
    checkpoint_id = text(20, allow_none=True)
    action = text(1000)
    responsible = text(200)
    due_on = IsoDate(allow_none=True)
    cost = fields.String(validate=validate.OneOf(COSTS))
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))
    progress_note = text(2000)
    rank = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10000))


# Per type: the fields schema, the fields a creating change must set, the fields
# that never change after creation (they decide the record's scope and meaning),
# and the parent reference used for the scope check.
RECORD_TYPES = {
    "assessment": {
        "schema": AssessmentFields(),
        "required": ("facility_id", "checklist_id", "checklist_version"),
        "immutable": ("facility_id", "checklist_id"),
        "parent": None,
    },
    "response": {
        "schema": ResponseFields(),
        "required": ("assessment_id",),
        "immutable": ("assessment_id",),
        "parent": ("assessment_id", "assessment"),
    },
    "answer": {
        "schema": AnswerFields(),
        "required": ("response_id", "checkpoint_id"),
        "immutable": ("response_id", "checkpoint_id"),
        "parent": ("response_id", "response"),
    },
    "action_item": {
        "schema": ActionItemFields(),
        "required": ("assessment_id",),
        "immutable": ("assessment_id",),
        "parent": ("assessment_id", "assessment"),
    },
}


UUID = validate.Regexp(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z",
    error="Not a valid UUID.",
)


class ChangeSchema(Schema):
    # Ids stay strings (a regex is ten times cheaper than building UUID objects for
    # the hundreds of changes a workshop sends at once).
    change_id = fields.String(required=True, validate=UUID)
    type = fields.String(required=True, validate=validate.OneOf(tuple(RECORD_TYPES)))
    id = fields.String(required=True, validate=UUID)
    base_rev = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=0))
    fields = fields.Dict(keys=fields.String(), required=True)  # last: shadows the module


class SyncRequestSchema(Schema):
    device_id = fields.UUID(required=True)
    cursor = fields.String(allow_none=True, load_default=None,
                           validate=validate.Regexp(r"^[0-9]{1,18}\Z"))
    # Each change is checked on its own (service._parse) so that one bad change is
    # rejected without failing the others.
    changes = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=1000))


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


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
    server_time = fields.String(required=True)
