"""The registry's words: facility types and import problems, translated.

The importer and the service say what is wrong with a code and values
(:class:`healthwise.facilities.importer.Problem`); pages and the command word it here.
"""

from collections.abc import Callable

from flask_babel import gettext as _

from healthwise.facilities.importer import Problem


def kind_labels(gettext: Callable[[str], str] = _) -> dict[str, str]:
    """Return each facility type (:data:`~healthwise.facilities.models.KINDS`, in its
    order) as a person reads it: the one place the types' words live.

    :param gettext: translates them: the request's language by default, a PDF passes
        its own.
    """
    return {"hospital": gettext("Hospital"), "health centre": gettext("Health centre"),
            "clinic": gettext("Clinic"), "dispensary": gettext("Dispensary"),
            "other": gettext("Other")}


def kind_label(kind: str, gettext: Callable[[str], str] = _) -> str:
    """Return a facility type as a person reads it (a stored word outside the set: as is).

    :param gettext: as for :func:`kind_labels`.
    """
    return kind_labels(gettext).get(kind, kind)


def problem_message(problem: Problem) -> str:
    """Return a sentence that says what is wrong with a file or one of its lines."""
    values = problem.values
    messages = {
        "no_file": lambda: _("Choose a CSV file."),
        "too_large": lambda: _("The file is larger than %(limit)s MB. Split it into smaller "
                               "files.", limit=values["limit"]),
        "bad_encoding": lambda: _("This line is not UTF-8 text. Save the file as "
                                  "\"CSV UTF-8\" and try again."),
        "not_csv": lambda: _("The file cannot be read as CSV here (a stray quote, or not a "
                             "CSV file)."),
        "empty": lambda: _("The file holds no facility."),
        "too_many_rows": lambda: _("The file has more than %(limit)s lines. Split it into "
                                   "smaller files.", limit=values["limit"]),
        "unknown_header": lambda: _(
            "The first line does not name the expected columns (district, name, type, code; "
            "or a DHIS2 export with id, name and parent or path). It reads: %(columns)s",
            columns=values["columns"]),
        "missing": lambda: _("The column %(column)s is empty.", column=values["column"]),
        "too_long": lambda: _("The column %(column)s is longer than %(limit)s characters.",
                              column=values["column"], limit=values["limit"]),
        "bad_text": lambda: _("The column %(column)s holds characters that cannot be stored "
                              "(control or direction characters, or nothing visible).",
                              column=values["column"]),
        "unknown_type": lambda: _("Unknown facility type \"%(value)s\": use one of %(types)s.",
                                  value=values["value"], types=values["types"]),
        "duplicate_code": lambda: _("The code %(value)s is already on line %(first)s.",
                                    value=values["value"], first=values["first"]),
        "duplicate_name": lambda: _("The facility %(value)s is already on line %(first)s.",
                                    value=values["value"], first=values["first"]),
        "duplicate_id": lambda: _("The id %(value)s is already on line %(first)s.",
                                  value=values["value"], first=values["first"]),
        "duplicate_row": lambda: _("This is the same facility as on line %(first)s.",
                                   first=values["first"]),
        "bad_level": lambda: _("The level must be a number, not \"%(value)s\".",
                               value=values["value"]),
        "no_parent": lambda: _("The unit %(value)s has no parent, so no district.",
                               value=values["value"]),
        "unknown_parent": lambda: _("The district %(value)s is neither in the file nor in "
                                    "your districts.", value=values["value"]),
        "district_not_yours": lambda: _("%(value)s is not one of your districts.",
                                        value=values["value"]),
        "external_id_taken": lambda: _("The id %(value)s belongs to a facility outside your "
                                       "districts.", value=values["value"]),
        "code_taken": lambda: _("The code %(value)s is already used by another facility or "
                                "district.", value=values["value"]),
        "conflict": lambda: _("Two facilities would end up with the same code or id. Change "
                              "one of them and try again."),
    }
    return messages.get(problem.code, lambda: _("This line cannot be imported."))()


def line_message(problem: Problem) -> str:
    """Return a problem as the import page and command list it: "Line 4: ..."."""
    if problem.line:
        return _("Line %(line)s: %(message)s", line=problem.line,
                 message=problem_message(problem))
    return problem_message(problem)
