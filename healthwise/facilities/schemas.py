"""How districts, facilities and workshops are described in the API, and the registry's
page forms."""

from marshmallow import Schema, fields, pre_load, validate

from healthwise.facilities.models import CODE_LENGTH, KINDS, NAME_LENGTH
from healthwise.validation import valid_name, valid_optional_name
from healthwise.web.forms import FormSchema


class DistrictSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class FacilitySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    district = fields.Nested(DistrictSchema, allow_none=True,
                             metadata={"description": "null for a workshop's practice "
                                                      "facility"})


class WorkshopSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


def _stripped(data) -> dict:
    """Return a posted form with its text trimmed (people paste names with spaces)."""
    return {key: value.strip() if isinstance(value, str) else value
            for key, value in data.items()}


class DistrictFormSchema(FormSchema):
    """A district as an admin creates or renames it."""

    name = fields.String(required=True, validate=[validate.Length(min=1, max=NAME_LENGTH),
                                                  valid_name])
    code = fields.String(load_default="", validate=[validate.Length(max=CODE_LENGTH),
                                                    valid_optional_name])

    @pre_load
    def _trim(self, data, **kwargs):
        return _stripped(data)


class FacilityFormSchema(DistrictFormSchema):
    """A facility as a manager or an admin creates or edits it."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    district_id = fields.Integer(required=True, strict=False,
                                 validate=validate.Range(1, 2**31 - 1))
