"""Marshmallow schemas that validate checklist data files when they are loaded."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from healthwise.validation import StrictBoolean

CHECKPOINT_ID = re.compile(r"^[A-Z]{2}-\d{2}$")
MODULE_ID = re.compile(r"^[a-z][a-z-]*$")
COSTS = ("low", "medium", "high")


class SourceSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))


class CheckpointSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(CHECKPOINT_ID))
    action = fields.String(required=True, validate=validate.Length(min=10, max=200))
    why = fields.String(required=True, validate=validate.Length(min=10))
    how = fields.List(fields.String(validate=validate.Length(min=3)), required=True,
                      validate=validate.Length(min=2))
    hints = fields.List(fields.String(validate=validate.Length(min=3)), load_default=list)
    severity = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    cost = fields.String(required=True, validate=validate.OneOf(COSTS))
    sensitive = StrictBoolean(load_default=False)
    withdrawn = StrictBoolean(load_default=False)
    sources = fields.List(fields.Nested(SourceSchema), required=True,
                          validate=validate.Length(min=1))


class ModuleSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(MODULE_ID))
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=99))
    title = fields.String(required=True, validate=validate.Length(min=3, max=200))
    optional = StrictBoolean(load_default=False)
    intro = fields.String(load_default="")
    checkpoints = fields.List(fields.Nested(CheckpointSchema), required=True,
                              validate=validate.Length(min=1))

    @validates_schema
    def ids_share_a_prefix(self, data, **kwargs):
        prefixes = {cp["id"].split("-")[0] for cp in data["checkpoints"]}
        if len(prefixes) != 1:
            raise ValidationError(f"module {data['id']}: checkpoint ids mix prefixes {prefixes}")


class ChecklistSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(MODULE_ID))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String(required=True)
    description = fields.String(load_default="")
    modules = fields.List(fields.Nested(ModuleSchema), required=True)

    @validates_schema
    def ids_are_unique(self, data, **kwargs):
        seen: set[str] = set()
        for module in data["modules"]:
            for cp in module["checkpoints"]:
                if cp["id"] in seen:
                    raise ValidationError(f"checkpoint id {cp['id']} is used twice")
                seen.add(cp["id"])
        module_ids = [m["id"] for m in data["modules"]]
        if len(set(module_ids)) != len(module_ids):
            raise ValidationError("module ids must be unique")


class ChecklistSummarySchema(Schema):
    """A checklist in the list (API output)."""

    id = fields.String()
    version = fields.Integer()
    title = fields.String()
    modules = fields.Integer()
    checkpoints = fields.Integer()


class ChecklistListSchema(Schema):
    checklists = fields.List(fields.Nested(ChecklistSummarySchema))


class LocalisedCheckpointSchema(CheckpointSchema):
    """A checkpoint in the reader's language (API output): a translation may run longer
    than the limits set for the English source. ``sensitive`` is sent only where true."""

    action = fields.String(required=True)
    sources = fields.List(
        fields.Integer(validate=validate.Range(min=0)), required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Positions in the checklist's `sources` list."})


class LocalisedModuleSchema(ModuleSchema):
    title = fields.String(required=True)
    checkpoints = fields.List(fields.Nested(LocalisedCheckpointSchema), required=True)


class LocalisedChecklistSchema(ChecklistSchema):
    """One checklist localised (API output): the data file plus language information."""

    modules = fields.List(fields.Nested(LocalisedModuleSchema), required=True)
    sources = fields.List(
        fields.Nested(SourceSchema), required=True,
        metadata={"description": "The guidance documents the checkpoints cite, each once."})

    lang = fields.String()
    dir = fields.String()
    untranslated = fields.List(fields.String())
