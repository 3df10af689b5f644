"""Schemas of the plan API: the suggested ranking with its reasons, agreed items, modules."""

from marshmallow import Schema, fields

from healthwise.assessments.schemas import PulledRecordSchema


class SuggestionSchema(Schema):
    rank = fields.Integer(required=True, metadata={
        "description": "1 = act first; how many rank ahead, plus one. Checkpoints the rule "
                       "cannot tell apart (same score, severity and cost) share a rank and "
                       "the next rank skips: 1, 2, 2, 4"})
    checkpoint_id = fields.String(required=True)
    module_id = fields.String(required=True)
    n_participants = fields.Integer(required=True,
                                    metadata={"description": "Participants who answered it"})
    n_action = fields.Integer(required=True)
    n_priority = fields.Integer(required=True)
    severity = fields.Integer(required=True)
    cost = fields.String(required=True)
    score = fields.Float(required=True)


class ReasonCodeSchema(Schema):
    code = fields.String(required=True, metadata={
        "description": "action_proposed, priority, severe_harm, serious_harm, minor_harm, "
                       "quick_win, medium_cost or high_cost"})
    count = fields.Integer(allow_none=True, required=True, metadata={
        "description": "For action_proposed and priority: how many participants"})
    total = fields.Integer(allow_none=True, required=True, metadata={
        "description": "For action_proposed and priority: how many answered"})


class ReasonedSuggestionSchema(SuggestionSchema):
    reasons = fields.String(required=True,
                            metadata={"description": "Why it ranks here, in the language asked"})
    reason_codes = fields.List(fields.Nested(ReasonCodeSchema), required=True, metadata={
        "description": "The same reasons as codes, in order, for a client to word in its own "
                       "language with the same messages (static/js/priority.js describe)"})


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


class DisagreementSchema(Schema):
    """A checkpoint participants disagree on: one proposes action, another says no
    action is needed or that it does not apply here."""

    checkpoint_id = fields.String(required=True)
    module_id = fields.String(required=True)
    n_answered = fields.Integer(required=True, metadata={
        "description": "Participants who answered it (yes, no or n/a)"})
    n_action = fields.Integer(required=True, metadata={"description": "Propose action"})
    n_priority = fields.Integer(required=True, metadata={
        "description": "Propose action and mark it a priority"})
    n_no = fields.Integer(required=True, metadata={"description": "Say no action is needed"})
    n_na = fields.Integer(required=True, metadata={"description": "Say it does not apply"})


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
    disagreements = fields.List(fields.Nested(DisagreementSchema), required=True, metadata={
        "description": "What participants disagree on, in checklist order: for the "
                       "committee to discuss"})
    modules = fields.List(fields.Nested(PlanModuleSchema), required=True)
    items = fields.List(fields.Nested(PlanItemSchema), required=True, metadata={
        "description": "This round's action items, in the order shown (numbers 1..k)"})
    carried_forward = fields.List(fields.Nested(PlanItemSchema), required=True, metadata={
        "description": "The previous round's open action items not taken into this one, "
                       "numbered on after this round's (k+1..n)"})

