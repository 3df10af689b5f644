"""A Babel extractor for checklist data files (registered in pyproject.toml).

Every text a committee reads (titles, intros, actions, why, how, hints) becomes a
message of the ``checklists`` domain, with the checkpoint id as a translator comment.
"""

import yaml

TEXT_KEYS = {"title", "description", "intro", "action", "why"}
LIST_KEYS = {"how", "hints"}


def _walk(node, owner=None):
    if isinstance(node, yaml.MappingNode):
        owner_here = owner
        for key, value in node.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode):
                owner_here = value.value
        for key, value in node.value:
            if key.value in TEXT_KEYS and isinstance(value, yaml.ScalarNode):
                yield value, f"{owner_here or 'checklist'} {key.value}"
            elif key.value in LIST_KEYS and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.ScalarNode):
                        yield item, f"{owner_here} {key.value}"
            elif key.value in {"checkpoints", "modules"} and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    yield from _walk(item, owner_here)


def extract_checklist(fileobj, keywords, comment_tags, options):
    """Yield ``(lineno, funcname, message, comments)`` for each text in a checklist file."""
    node = yaml.compose(fileobj.read().decode("utf-8"))
    if node is None:
        return
    for scalar, comment in _walk(node):
        if scalar.value and scalar.tag.endswith(":str"):
            yield scalar.start_mark.line + 1, None, scalar.value, [comment]
