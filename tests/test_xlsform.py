"""The checklist as an XLSForm: read back by pyxform (ODK's converter) in every language."""

import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from healthwise.checklists.xlsform import Words, rows
from healthwise.cli import main
from tests.conftest import checklist_ids

LANGS = ["en", "fr", "es", "pt", "ar"]
XF = "{http://www.w3.org/2002/xforms}"


def _form(client, lang):
    response = client.get(f"/api/v1/checklists/healthwise/xlsform?lang={lang}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="healthwise-{lang}.xlsx"'
    return response.data


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_converts_to_an_xform_that_asks_every_checkpoint(client, lang):
    warnings: list[str] = []
    result = convert(xlsform=io.BytesIO(_form(client, lang)), file_type=".xlsx",
                     warnings=warnings)
    root = ET.fromstring(result.xform)
    bound = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in root.iter(f"{XF}bind")}
    for checkpoint_id in checklist_ids():
        assert bound[checkpoint_id].get("type") == "string"  # select_one
        # The priority is asked only after a "yes", as on the phone.
        assert checkpoint_id in bound[f"{checkpoint_id}_priority"].get("relevant")
        assert f"{checkpoint_id}_remark" in bound
    assert not [w for w in warnings if "label" in w.lower()], warnings


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_form_speaks_its_language(client, lang):
    book = load_workbook(io.BytesIO(_form(client, lang)))
    survey = list(book["survey"].values)
    header = survey[0]
    from healthwise.config import LANGUAGES

    assert header[2] == f"label::{LANGUAGES[lang][0]} ({lang})"
    english = list(load_workbook(io.BytesIO(_form(client, "en")))["survey"].values)
    # The same questions, in another language's words.
    assert [row[:2] for row in survey[1:]] == [row[:2] for row in english[1:]]
    assert sum(a[2] != b[2] for a, b in zip(survey[1:], english[1:], strict=True) if b[2]) > 50
    settings = list(book["settings"].values)
    assert settings[1][3] == f"{LANGUAGES[lang][0]} ({lang})"
    assert bool(book["survey"].sheet_view.rightToLeft) == (lang == "ar")


def test_an_unknown_checklist_or_language_is_refused(client):
    assert client.get("/api/v1/checklists/nope/xlsform").status_code == 404
    assert client.get("/api/v1/checklists/healthwise/xlsform?lang=xx").status_code == 400


def test_an_id_that_is_no_xlsform_name_is_refused():
    words = Words(*"abcdefgh")
    checklist = {"id": "c", "lang": "en", "title": "T", "version": 1, "dir": "ltr",
                 "modules": [{"id": "m", "number": 1, "title": "M", "intro": "",
                              "checkpoints": [{"id": "1 bad", "action": "A", "why": "W"}]}]}
    with pytest.raises(ValueError, match="1 bad"):
        rows(checklist, words)


def test_the_command_writes_the_same_form(runner, tmp_path):
    out = tmp_path / "form.xlsx"
    result = runner.invoke(main, args=["checklist", "xlsform", "--lang", "pt", str(out)])
    assert result.exit_code == 0, result.output
    names = [row[1] for row in load_workbook(out)["survey"].values]
    assert set(checklist_ids()) <= set(names)
    bad = runner.invoke(main, args=["checklist", "xlsform", "--lang", "xx", str(out)])
    assert bad.exit_code != 0 and "--lang" in bad.output
