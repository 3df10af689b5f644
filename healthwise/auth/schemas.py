"""Schemas of the sign-in, password and password reset forms."""

from marshmallow import fields, validate

from healthwise.auth.service import MAX_PASSWORD_LENGTH
from healthwise.web.forms import FormSchema


class SignInSchema(FormSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True,
                             validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    next = fields.String(load_default=None)


class PasswordSchema(FormSchema):
    """Change one's own password: the current one, the new one twice."""

    current = fields.String(required=True,
                            validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    new = fields.String(required=True)
    confirm = fields.String(required=True)


class ResetSchema(FormSchema):
    """An admin resets a person's password."""

    user_id = fields.Integer(required=True, strict=False,
                             validate=validate.Range(min=1, max=2**31 - 1))
