"""Schemas of the trainers' workshop forms (the rules themselves are in the service)."""

from marshmallow import fields, pre_load, validate

from healthwise.validation import valid_name
from healthwise.web.forms import FormSchema


class WorkshopFormSchema(FormSchema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                               valid_name])
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None)

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        # An empty date box is sent as "": the same as leaving the field out.
        return {key: value for key, value in data.items() if value != ""}


class ConfirmFormSchema(FormSchema):
    """A form whose action cannot be undone: its box must be ticked."""

    confirm = fields.String(required=True, validate=validate.Equal("yes"))
