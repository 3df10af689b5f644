"""Checks shared by every schema and service that takes text or values from a person."""

import re
import unicodedata

from marshmallow import ValidationError, fields

#: A UUID in its usual text form, any case.
UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

#: Bidirectional embeddings, overrides and isolates: they make a name read differently
#: from what it holds ("Trojan Source"), and would reorder the text around it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Letters and symbols that draw nothing, on top of spaces and format characters.
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def name_problem(value: str, optional: bool = False) -> str | None:
    """Return why a name typed by a person cannot be stored, or None if it can.

    A name is refused if it holds a control character (NUL, a line break...), a lone
    surrogate (not text at all: it cannot be stored as UTF-8) or a bidirectional
    control, or if nothing of it is visible. ``optional`` names may be empty.
    """
    if optional and value == "":
        return None
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "The name holds a lone surrogate, which is not text."
        if category == "Cc":
            return "The name must not contain control characters (such as NUL or a line break)."
        if char in BIDI_CONTROLS:
            return "The name must not contain bidirectional override or isolate characters."
    if all(char.isspace() or char in BLANKS or unicodedata.category(char) in {"Cf", "Zs"}
           for char in value):
        return "The name must have at least one visible character."
    return None


#: Control characters a text of several lines may hold: tabs and line breaks.
LINE_CONTROLS = frozenset("\t\n\r")


def text_problem(value: str) -> str | None:
    """Return why a free text of several lines (a comment) cannot be stored, or None.

    As :func:`name_problem`, but line breaks and tabs are welcome; an empty text is fine,
    one that shows nothing (only spaces or invisible characters) is not.
    """
    if value == "":
        return None
    problem = name_problem("".join(" " if char in LINE_CONTROLS else char for char in value))
    if problem == "The name must have at least one visible character.":
        return "The text must have at least one visible character, or be left empty."
    return problem.replace("The name", "The text") if problem else None


def valid_text(value: str) -> None:
    """Marshmallow validator of a free text of several lines, see :func:`text_problem`."""
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem)


def valid_name(value: str) -> None:
    """Marshmallow validator of a required name.

    :raises ValidationError: with the reason, see :func:`name_problem`.
    """
    problem = name_problem(value)
    if problem:
        raise ValidationError(problem)


def valid_optional_name(value: str) -> None:
    """Marshmallow validator of a name that may be left empty."""
    problem = name_problem(value, optional=True)
    if problem:
        raise ValidationError(problem)


class StrictBoolean(fields.Boolean):
    """A boolean that is ``true`` or ``false`` only, as the OpenAPI document says.

    marshmallow's Boolean also takes ``"true"``, ``"yes"``, ``1``... (and ``1 in
    {True}`` is true in Python, so narrowing ``truthy`` does not help).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        raise self.make_error("invalid")


class UUIDString(fields.String):
    """The one UUID field: a UUID kept as its lower-case text, as record ids are stored.

    Ids stay strings: a regex is ten times cheaper than building UUID objects for the
    hundreds of changes a workshop sends at once. (Ids in URL paths are checked by the
    router's ``<uuid:...>`` converter.)
    """

    default_error_messages = {"invalid_uuid": "Not a valid UUID."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "uuid")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not UUID_PATTERN.match(text):
            raise self.make_error("invalid_uuid")
        return text.lower()
