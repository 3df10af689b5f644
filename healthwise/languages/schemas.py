"""Schemas of the language API, and the ``lang`` argument every API view takes."""

from marshmallow import Schema, fields, post_load, validate

from healthwise.config import LANGUAGES
from healthwise.languages.service import language_code, select_locale


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
    comes down to one; anything else is refused with 400 ``unsupported_language``
    (:func:`healthwise.languages.service.language_code`, as the pages' PDFs do)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.OneOf(list(LANGUAGES)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return language_code(super()._deserialize(value, attr, data, **kwargs))


class LangArgs(Schema):
    """The ``?lang=`` of every API view that speaks: missing, the request's language (its
    cookie, then Accept-Language, then English)."""

    lang = Lang(load_default=None, metadata={"description": "The language of the text; "
                                                            "missing: the request's"})

    @post_load
    def _request_language(self, data, **kwargs):
        return {**data, "lang": data.get("lang") or select_locale()}


#: How the API documents a refused ``?lang=``.
UNSUPPORTED = "A language the server does not offer (unsupported_language)"


def lang_argument(blueprint):
    """Read ``?lang=`` of an API view into its ``lang`` argument (:class:`LangArgs`), and
    document the 400 an unsupported language gets."""

    def decorate(view):
        view = blueprint.arguments(LangArgs, location="query", as_kwargs=True)(view)
        return blueprint.alt_response(400, response="BAD_REQUEST", description=UNSUPPORTED)(view)

    return decorate
