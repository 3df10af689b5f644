"""What every page form shares."""

from marshmallow import EXCLUDE, Schema


class FormSchema(Schema):
    """A form posted by a page: the CSRF field and the submit button are not data."""

    class Meta:
        unknown = EXCLUDE
