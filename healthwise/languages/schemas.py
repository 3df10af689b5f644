"""Schemas of the language API, and the ``lang`` argument every API view takes."""

from marshmallow import Schema, fields, post_load, validate

from healthwise.config import LANGUAGES
from healthwise.errors import Invalid
from healthwise.languages.service import normalise, select_locale


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


class Lang(fields.String):
    """A language the server offers: ``fr``, or a tag such as ``fr-CA`` or ``pt_BR`` that
    comes down to one; anything else is refused with 422 ``unsupported_language``."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.OneOf(list(LANGUAGES)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        code = normalise(text)
        if code is None:
            raise Invalid(f"Language '{text[:40]}' is not available.", "unsupported_language",
                          {"supported": list(LANGUAGES)})
        return code


class LangArgs(Schema):
    """The ``?lang=`` of every API view that speaks: missing, the request's language (its
    cookie, then Accept-Language, then English)."""

    lang = Lang(load_default=None, metadata={"description": "The language of the text; "
                                                            "missing: the request's"})

    @post_load
    def _request_language(self, data, **kwargs):
        return {**data, "lang": data.get("lang") or select_locale()}
