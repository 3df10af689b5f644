"""A checklist as an XLSForm: the spreadsheet form format of ODK and KoboToolbox.

Pure: a localised checklist (``Checklist.localised``) and the words of the form in, the
bytes of an ``.xlsx`` workbook out. Each module is a group; each checkpoint asks the
committee's three questions, as the phone does: do you propose action (yes, no, not
applicable), is it a priority (asked only after a yes), and a remark. The question names
are the checkpoints' stable ids, so answers collected in ODK or Kobo can be brought back.
"""

import io
import re
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Font

from healthwise.languages.service import LANGUAGES, gettext_for

#: An XLSForm name: a letter or underscore, then letters, digits, "-", "_" or ".".
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


class Words(NamedTuple):
    """The form's own words, in its language (the checklist brings the rest)."""

    propose: str
    yes: str
    no: str
    na: str
    priority: str
    remark: str
    facility: str
    why: str


def _language(lang: str) -> str:
    """Return the XLSForm language tag, such as ``Français (fr)``."""
    return f"{LANGUAGES[lang][0]} ({lang})"


def _why(checkpoint: dict, words: Words) -> str:
    """Return the hint under a question: the question, why it matters, then how to act."""
    how = "".join(f"\n• {step}" for step in checkpoint.get("how") or [])
    return f"{words.propose}\n{words.why}: {checkpoint['why']}{how}"


def rows(checklist: dict, words: Words) -> dict[str, list[list]]:
    """Return the form's sheets (survey, choices, settings) as lists of rows.

    :param checklist: a checklist as :meth:`Checklist.localised` returns it.
    :param words: the form's own words in the checklist's language.
    :raises ValueError: if a module or checkpoint id is not a valid XLSForm name.
    """
    label = f"label::{_language(checklist['lang'])}"
    hint = f"hint::{_language(checklist['lang'])}"
    survey = [["type", "name", label, hint, "relevant"],
              ["start", "start", "", "", ""], ["end", "end", "", "", ""],
              ["text", "facility", words.facility, "", ""]]
    for module in checklist["modules"]:
        ids = [module["id"]] + [cp["id"] for cp in module["checkpoints"]]
        bad = [name for name in ids if not NAME.match(name)]
        if bad:
            raise ValueError(f"Not a valid XLSForm name: {bad[0]!r}")
        survey.append(["begin_group", module["id"], f"{module['number']}. {module['title']}",
                       module["intro"], ""])
        for cp in module["checkpoints"]:
            name = cp["id"]
            survey += [
                ["select_one action", name, f"{name}. {cp['action']}", _why(cp, words), ""],
                ["select_one yes_no", f"{name}_priority", words.priority, "",
                 f"${{{name}}} = 'yes'"],
                ["text", f"{name}_remark", words.remark, "", ""],
            ]
        survey.append(["end_group", module["id"], "", "", ""])
    choices = [["list_name", "name", label],
               ["action", "yes", words.yes], ["action", "no", words.no],
               ["action", "na", words.na],
               ["yes_no", "yes", words.yes], ["yes_no", "no", words.no]]
    settings = [["form_title", "form_id", "version", "default_language"],
                [checklist["title"], f"{checklist['id']}_{checklist['lang']}",
                 str(checklist["version"]), _language(checklist["lang"])]]
    return {"survey": survey, "choices": choices, "settings": settings}


def xlsform(checklist: dict, words: Words) -> bytes:
    """Return the checklist as an XLSForm workbook (``.xlsx`` bytes).

    :param checklist: a checklist as :meth:`Checklist.localised` returns it.
    :param words: the form's own words in the checklist's language.
    :raises ValueError: if a module or checkpoint id is not a valid XLSForm name.
    """
    book = Workbook()
    book.remove(book.active)
    for title, sheet_rows in rows(checklist, words).items():
        sheet = book.create_sheet(title)
        for row in sheet_rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        if checklist["dir"] == "rtl":
            sheet.sheet_view.rightToLeft = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def words(lang: str) -> Words:
    """Return the form's own words in ``lang``, from the app's catalogue (the phone's words)."""
    _, _n = gettext_for(lang)
    return Words(propose=_("Do you propose action?"), yes=_("Yes"), no=_("No"),
                 na=_("Not applicable"), priority=_("Priority"), remark=_("Remark"),
                 facility=_("Facility"), why=_("Why it matters"))


def checklist_xlsform(checklist, lang: str) -> bytes:
    """Return a registry checklist as an XLSForm in ``lang`` (see :func:`xlsform`)."""
    return xlsform(checklist.localised(lang), words(lang))
