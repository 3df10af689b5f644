"""Schema of the sign-in form."""

from marshmallow import fields, validate

from healthwise.auth.service import MAX_PASSWORD_LENGTH
from healthwise.web.forms import FormSchema


class SignInSchema(FormSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True,
                             validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    next = fields.String(load_default=None)
