"""Schemas of the enrolment API and of the manager pages' forms."""

from marshmallow import EXCLUDE, Schema, fields, validate

from healthwise.auth.service import MAX_PASSWORD_LENGTH
from healthwise.validation import valid_optional_name


class EnrolRequestSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=20))
    device_name = fields.String(load_default="", validate=[validate.Length(max=100),
                                                          valid_optional_name])


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
    created_at = fields.String()


class MeSchema(Schema):
    scope = fields.Nested(ScopeSchema)
    device = fields.Nested(DeviceSchema)


class FormSchema(Schema):
    """A form posted by a page: the CSRF field and the submit button are not data."""

    class Meta:
        unknown = EXCLUDE


class SignInSchema(FormSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True,
                             validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    next = fields.String(load_default=None)


class CodeFormSchema(FormSchema):
    uses = fields.Integer(load_default=30, validate=validate.Range(1, 1000))
    days = fields.Integer(load_default=7, validate=validate.Range(1, 90))


class TokenFormSchema(FormSchema):
    name = fields.String(load_default="", validate=[validate.Length(max=100),
                                                   valid_optional_name])
