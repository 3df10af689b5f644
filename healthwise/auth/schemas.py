"""Schemas of the enrolment API."""

from marshmallow import Schema, fields, validate


class EnrolRequestSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=20))
    device_name = fields.String(load_default="", validate=validate.Length(max=100))


class DistrictSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class FacilitySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    district = fields.Nested(DistrictSchema)


class ScopeSchema(Schema):
    kind = fields.String()
    facility = fields.Nested(FacilitySchema)


class EnrolResponseSchema(Schema):
    token = fields.String(required=True)
    scope = fields.Nested(ScopeSchema)


class DeviceSchema(Schema):
    name = fields.String()
    created_at = fields.String()


class MeSchema(Schema):
    scope = fields.Nested(ScopeSchema)
    device = fields.Nested(DeviceSchema)
