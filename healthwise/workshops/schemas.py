"""Schemas of the trainers' workshop forms (the rules themselves are in the service)."""

from marshmallow import Schema, fields, pre_load, validate

from healthwise.assessments.schemas import COSTS, storable
from healthwise.facilities.schemas import WorkshopSchema
from healthwise.validation import valid_name, valid_optional_name
from healthwise.web.forms import FormSchema


class WorkshopFormSchema(FormSchema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                               valid_name])
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None)
    #: The workshop whose set-up (groups) this one copies ("Start a new workshop from this one").
    from_id = fields.Integer(load_default=None, data_key="from",
                             validate=validate.Range(min=1, max=2**31 - 1))

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        # An empty date box is sent as "": the same as leaving the field out.
        return {key: value for key, value in data.items() if value != ""}


class ConfirmFormSchema(FormSchema):
    """A form whose action cannot be undone: its box must be ticked."""

    confirm = fields.String(required=True, validate=validate.Equal("yes"))
# Rounds, groups and the consensus (issue 13) ------------------------------------------------


class RoundFormSchema(FormSchema):
    """The trainer's "Start the practice round": a title, modules (none: all), a group."""

    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), valid_name])
    modules = fields.List(fields.String(validate=validate.Length(max=50)),
                          load_default=list, validate=validate.Length(max=50))
    group_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    #: Made once when the page is drawn: the same form sent twice starts one round.
    round_id = fields.UUID(load_default=None)

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return {key: value for key, value in data.items() if value not in ("", None)}


class GroupFormSchema(FormSchema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), valid_name])


class AgreedItemSchema(FormSchema):
    """One line the room agrees on, as the phone's plan writes it."""

    checkpoint_id = fields.String(required=True, validate=validate.Length(min=1, max=20))
    action = fields.String(required=True, validate=[validate.Length(min=1, max=1000),
                                                    storable])
    responsible = fields.String(load_default="", validate=[validate.Length(max=200),
                                                                valid_optional_name, storable])
    due_on = fields.Date(load_default=None)
    cost = fields.String(load_default="low", validate=validate.OneOf(COSTS))

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return {key: value.strip() for key, value in data.items() if value.strip() != ""}


# A participant's phone ---------------------------------------------------------------------


class PhoneGroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    walks = fields.String(allow_none=True, metadata={"description": "what the group walks: "
                                                                    "its round's title"})
    modules = fields.List(fields.String(), metadata={"description": "module ids; empty: all"})
    round = fields.String(allow_none=True, metadata={"description": "the group's round "
                                                                    "(assessment id), once "
                                                                    "started"})


class GroupRoundSchema(Schema):
    id = fields.String()
    group = fields.String()


class PhoneWorkshopSchema(Schema):
    workshop = fields.Nested(WorkshopSchema)
    group = fields.Nested(PhoneGroupSchema, allow_none=True,
                          metadata={"description": "this phone's group; null: in none"})
    rounds = fields.List(fields.Nested(GroupRoundSchema),
                         metadata={"description": "each group's round, with the group's name"})
