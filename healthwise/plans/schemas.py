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


class PlanItemSchema(PulledRecordSchema):
    """An action item as the plan lists it: the synced record, its number, overdue or not."""

    number = fields.Integer(required=True, metadata={"description": (
        "The item's number in the plan, 1..n in the order shown (the PDF prints the same): "
        "this round's items by their rank (a missing rank last, equal ranks in the order "
        "created), then the items carried forward. The phone-set rank may repeat or be "
        "missing; this number never does")})
    overdue = fields.Boolean(required=True, metadata={"description": (
        "True when the item is still open (planned or in progress) and its due date "
        "(due_on) is before the server's today; healthwise.plans.actions.is_overdue")})


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
                                                  "action; null when nobody answered any "
                                                  "checkpoint of the module (show \"not "
                                                  "answered\", never 0 %)"})
    previous_share = fields.Float(allow_none=True, required=True,
                                  metadata={"description": "The same in the previous round; "
                                                           "null when there is none or "
                                                           "nobody answered the module"})


class PlanSchema(Schema):
    """A round's plan, as the phone shows it."""

    assessment_id = fields.String(required=True)
    kind = fields.String(required=True)
    participants = fields.Integer(required=True)
    suggested = fields.List(fields.Nested(ReasonedSuggestionSchema), required=True)
    achievements = fields.List(fields.Nested(AchievementSchema), required=True, metadata={
        "description": "Answered checkpoints nobody proposes action on, leaving out any "
                       "that an open action item (this round's or carried forward) is about"})
    modules = fields.List(fields.Nested(PlanModuleSchema), required=True)
    items = fields.List(fields.Nested(PlanItemSchema), required=True, metadata={
        "description": "This round's action items, in the order shown (numbers 1..k)"})
    carried_forward = fields.List(fields.Nested(PlanItemSchema), required=True, metadata={
        "description": "The previous round's open action items not taken into this one, "
                       "numbered on after this round's (k+1..n)"})

