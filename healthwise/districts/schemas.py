"""Schemas of the managers' API: what leaves facility level, and nothing else.

Every figure comes from :func:`healthwise.districts.disclosure.disclose`; no schema
here has a field for a participant's name, role or remark, nor for one person's answer.
"""

from marshmallow import Schema, fields, pre_load, validate

from healthwise.assessments.schemas import MAX_INT, REVIEW_COMMENT_LENGTH, Text
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.plans.schemas import AchievementSchema, SuggestionSchema
from healthwise.web.forms import FormSchema

_HIDDEN = (f"null when fewer than {MIN_GROUP} participants answered this sensitive "
           "checkpoint")


class FacilityLineSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class DistrictLineSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    facilities = fields.List(fields.Nested(FacilityLineSchema), required=True)


class DistrictListSchema(Schema):
    districts = fields.List(fields.Nested(DistrictLineSchema), required=True)


class ModuleShareSchema(Schema):
    id = fields.String(required=True, attribute="module_id")
    number = fields.Integer(required=True)
    n_checkpoints = fields.Integer(required=True)
    n_answered = fields.Integer(required=True, metadata={
        "description": "checkpoints answered; hidden sensitive checkpoints do not count"})
    n_action = fields.Integer(required=True, metadata={
        "description": "answered checkpoints where at least half propose action"})
    share = fields.Float(required=True, allow_none=True, metadata={
        "description": "n_action / n_answered; null when nothing was answered"})


class SensitiveCountSchema(Schema):
    checkpoint_id = fields.String(required=True)
    hidden = fields.Boolean(required=True)
    answered = fields.Integer(required=True, allow_none=True, metadata={"description": _HIDDEN})
    action = fields.Integer(required=True, allow_none=True, metadata={"description": _HIDDEN})


class LatestRoundSchema(Schema):
    id = fields.String(required=True, attribute="latest_id")
    title = fields.String(required=True, attribute="latest_title")
    started_on = fields.String(required=True, allow_none=True, attribute="latest_started_on")


class FacilitySummarySchema(Schema):
    id = fields.Integer(required=True, attribute="facility_id")
    name = fields.String(required=True)
    rounds = fields.Integer(required=True)
    participants = fields.Integer(required=True,
                                  metadata={"description": "in the latest round"})
    latest_round = fields.Method("_latest", required=True, allow_none=True, metadata={
        "type": "object", "nullable": True, "description": "null before the first round",
        "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                       "started_on": {"type": "string", "nullable": True}}})
    modules = fields.List(fields.Nested(ModuleShareSchema), required=True, attribute="shares")
    sensitive = fields.List(fields.Nested(SensitiveCountSchema), required=True)

    def _latest(self, summary):
        return LatestRoundSchema().dump(summary) if summary.latest_id else None


class DistrictNameSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DistrictSummarySchema(Schema):
    district = fields.Nested(DistrictNameSchema, required=True)
    min_group = fields.Integer(required=True, metadata={
        "description": "the smallest group whose answers to a sensitive checkpoint count"})
    facilities = fields.List(fields.Nested(FacilitySummarySchema), required=True)


class RoundLineSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    started_on = fields.String(required=True, allow_none=True)
    previous_id = fields.String(required=True, allow_none=True)
    participants = fields.Integer(required=True)


class ReviewSchema(Schema):
    comment = fields.String(required=True)
    reviewed = fields.Boolean(required=True)
    reviewer = fields.String(required=True, metadata={
        "description": "the email address of the manager who saved it last"})
    reviewed_on = fields.String(required=True, allow_none=True, metadata={
        "description": "the date it was saved last (YYYY-MM-DD)"})


class ReviewedRoundLineSchema(RoundLineSchema):
    review = fields.Nested(ReviewSchema, required=True, allow_none=True, metadata={
        "description": "the district manager's review of the plan; null without one"})


class FacilityRoundsSchema(Schema):
    facility = fields.Nested(FacilityLineSchema, required=True)
    district = fields.Nested(DistrictNameSchema, required=True)
    rounds = fields.List(fields.Nested(ReviewedRoundLineSchema), required=True)


class AgreedItemSchema(Schema):
    rank = fields.Integer(required=True, allow_none=True)
    checkpoint_id = fields.String(required=True, allow_none=True)
    action = fields.String(required=True)
    due_on = fields.String(required=True, allow_none=True)
    cost = fields.String(required=True)
    status = fields.String(required=True)


class ModuleComparisonSchema(ModuleShareSchema):
    previous_share = fields.Float(required=True, allow_none=True, metadata={
        "description": "the previous round's share; null without one"})


class RoundSummarySchema(Schema):
    round = fields.Nested(ReviewedRoundLineSchema, required=True)
    min_group = fields.Integer(required=True)
    modules = fields.List(fields.Nested(ModuleComparisonSchema), required=True)
    sensitive = fields.List(fields.Nested(SensitiveCountSchema), required=True)
    suggested = fields.List(fields.Nested(SuggestionSchema), required=True, metadata={
        "description": "ranked as on the phone, without hidden sensitive checkpoints"})
    achievements = fields.List(fields.Nested(AchievementSchema), required=True)
    items = fields.List(fields.Nested(AgreedItemSchema), required=True, metadata={
        "description": "the agreed plan, without who is responsible nor progress notes"})


class BriefRoundSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    started_on = fields.String(required=True, allow_none=True)
    participants = fields.Integer(required=True)


class ItemCountsSchema(Schema):
    open = fields.Integer(required=True, metadata={"description": "planned or in progress"})
    overdue = fields.Integer(required=True, metadata={
        "description": "open and past their due date"})
    stalled = fields.Integer(required=True, metadata={
        "description": "open and not updated for 90 days"})
    done = fields.Integer(required=True)
    dropped = fields.Integer(required=True)


class HighPrioritySchema(Schema):
    safety = fields.Integer(required=True)
    violence = fields.Integer(required=True)
    hiv_tb = fields.Integer(required=True)
    working_time = fields.Integer(required=True)


class OverviewLineSchema(Schema):
    id = fields.Integer(required=True, attribute="facility_id")
    name = fields.String(required=True)
    kind = fields.String(required=True)
    rounds = fields.Integer(required=True)
    last_round = fields.Nested(BriefRoundSchema, required=True, allow_none=True,
                               attribute="last", metadata={
                                   "description": "the newest round that has answers"})
    open_round = fields.Nested(BriefRoundSchema, required=True, allow_none=True)
    completeness = fields.Float(required=True, allow_none=True, metadata={
        "description": "of the open round: answers given / participants x checkpoints"})
    next_review_on = fields.Date(required=True, allow_none=True)
    items = fields.Nested(ItemCountsSchema, required=True)
    high_priority = fields.Nested(HighPrioritySchema, required=True, metadata={
        "description": "open items of severity 3 or ranked in the first 5, by area"})
    flags = fields.List(fields.String(), required=True, metadata={
        "description": "never_assessed, review_overdue, stalled, overdue_items"})
    modules = fields.Method("_modules", required=True, metadata={
        "type": "array", "items": {"type": "object"},
        "description": "the last round's module shares (rule of five applied)"})

    def _modules(self, line):
        shares = line.figures.modules if line.figures is not None else ()
        return ModuleShareSchema(many=True).dump(shares)


class ModuleFigureSchema(Schema):
    id = fields.String(required=True, attribute="module_id")
    facilities = fields.Integer(required=True)
    mean_share = fields.Float(required=True, allow_none=True)
    paired = fields.Integer(required=True, metadata={
        "description": "facilities with two answered rounds"})
    mean_before = fields.Float(required=True, allow_none=True)
    mean_now = fields.Float(required=True, allow_none=True)


class DistrictOverviewSchema(Schema):
    district = fields.Nested(DistrictNameSchema, required=True)
    min_group = fields.Integer(required=True)
    today = fields.Date(required=True)
    facilities = fields.List(fields.Nested(OverviewLineSchema), required=True)
    modules = fields.List(fields.Nested(ModuleFigureSchema), required=True)


def normalised_comment(text: str) -> str:
    """Return a posted comment with its line breaks as one character, trimmed (browsers
    send CRLF, which would count two characters against the limit)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


class ReviewFormSchema(FormSchema):
    """A manager's review of a round's plan, as the facility page posts it."""

    comment = Text(REVIEW_COMMENT_LENGTH, prose=True, load_default="")
    # A checkbox: sent ("on") when ticked, absent when not.
    reviewed = fields.Boolean(load_default=False)
    base_rev = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(0, MAX_INT))

    @pre_load
    def _normalise(self, data, **kwargs):
        data = dict(data)
        if isinstance(data.get("comment"), str):
            data["comment"] = normalised_comment(data["comment"])
        if data.get("base_rev") == "":
            data["base_rev"] = None
        return data
