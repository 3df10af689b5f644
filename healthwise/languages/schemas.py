"""Schemas of the language API (documentation of its output)."""

from marshmallow import Schema, fields


class CompletenessSchema(Schema):
    messages = fields.Float()
    checklists = fields.Float()


class LocaleSchema(Schema):
    code = fields.String()
    name = fields.String()
    dir = fields.String()
    completeness = fields.Nested(CompletenessSchema)


class LocalesSchema(Schema):
    locales = fields.List(fields.Nested(LocaleSchema))


class InterfaceStringsSchema(Schema):
    lang = fields.String()
    dir = fields.String()
    plural = fields.String(allow_none=True)
    messages = fields.Dict(keys=fields.String())
