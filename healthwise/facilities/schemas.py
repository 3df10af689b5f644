"""How districts, facilities and workshops are described in the API."""

from marshmallow import Schema, fields


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
