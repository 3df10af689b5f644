"""Schemas of the plan API: the suggested ranking with its reasons, agreed items, modules."""

from marshmallow import Schema, fields

from healthwise.assessments.schemas import PulledRecordSchema


class SuggestionSchema(Schema):
    rank = fields.Integer(required=True, metadata={"description": "1 = act first; equal "
                                                                  "scores share a rank"})
    checkpoint_id = fields.String(required=True)
    module_id = fields.String(required=True)
    n_participants = fields.Integer(required=True,
                                    metadata={"description": "Participants who answered it"})
    n_action = fields.Integer(required=True)
    n_priority = fields.Integer(required=True)
    severity = fields.Integer(required=True)
    cost = fields.String(required=True)
    score = fields.Float(required=True)


class ReasonedSuggestionSchema(SuggestionSchema):
    reasons = fields.String(required=True,
                            metadata={"description": "Why it ranks here, in the language asked"})


class AchievementSchema(Schema):
    checkpoint_id = fields.String(required=True)
    module_id = fields.String(required=True)
    n_participants = fields.Integer(required=True)
    n_in_place = fields.Integer(required=True)


class PlanModuleSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    share = fields.Float(allow_none=True, required=True,
                         metadata={"description": "Share of answered checkpoints that need "
                                                  "action"})
    previous_share = fields.Float(allow_none=True, required=True,
                                  metadata={"description": "The same in the previous round"})


class PlanSchema(Schema):
    """A round's plan, as the phone shows it."""

    assessment_id = fields.String(required=True)
    kind = fields.String(required=True)
    participants = fields.Integer(required=True)
    suggested = fields.List(fields.Nested(ReasonedSuggestionSchema), required=True)
    achievements = fields.List(fields.Nested(AchievementSchema), required=True)
    modules = fields.List(fields.Nested(PlanModuleSchema), required=True)
    items = fields.List(fields.Nested(PulledRecordSchema), required=True,
                        metadata={"description": "This round's action items"})
    carried_forward = fields.List(fields.Nested(PulledRecordSchema), required=True, metadata={
        "description": "The previous round's open action items not taken into this one"})

