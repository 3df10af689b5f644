"""Schemas of the enrolment API and of the phones and tokens pages' forms."""

from marshmallow import Schema, fields, validate

from healthwise.facilities.schemas import DistrictSchema, FacilitySchema, WorkshopSchema
from healthwise.timeutil import Timestamp
from healthwise.validation import valid_optional_name
from healthwise.web.forms import FormSchema


class EnrolRequestSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=20))
    device_name = fields.String(load_default="", validate=[validate.Length(max=100),
                                                          valid_optional_name])


class ScopeSchema(Schema):
    kind = fields.String(metadata={"description": "facility (a committee phone), workshop (a "
                                                  "workshop participant) or district (a "
                                                  "manager's token)"})
    facility = fields.Nested(FacilitySchema, metadata={
        "description": "kinds facility and workshop (its practice facility) only"})
    workshop = fields.Nested(WorkshopSchema, metadata={"description": "kind workshop only"})
    districts = fields.List(fields.Nested(DistrictSchema),
                            metadata={"description": "kind district only"})
    facility_ids = fields.List(fields.Integer())


class EnrolResponseSchema(Schema):
    token = fields.String(required=True)
    scope = fields.Nested(ScopeSchema)


class DeviceSchema(Schema):
    name = fields.String()
    created_at = Timestamp()


class MeSchema(Schema):
    scope = fields.Nested(ScopeSchema)
    device = fields.Nested(DeviceSchema)


class CodeFormSchema(FormSchema):
    uses = fields.Integer(load_default=30, validate=validate.Range(1, 1000))
    days = fields.Integer(load_default=7, validate=validate.Range(1, 90))


class TokenFormSchema(FormSchema):
    name = fields.String(load_default="", validate=[validate.Length(max=100),
                                                   valid_optional_name])
