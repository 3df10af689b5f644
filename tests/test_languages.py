"""Languages: locale choice, the locale and string APIs, and complete catalogues."""

import pytest
from flask import Flask

from healthwise.config import LANGUAGES
from healthwise.languages import catalogues
from healthwise.languages.service import normalise, select_locale


@pytest.mark.parametrize("query, cookie, header, expected", [
    ("ar", "fr", "es", "ar"),          # explicit choice first
    (None, "fr", "es", "fr"),          # then the saved preference
    (None, None, "pt-BR,pt;q=0.9", "pt"),  # then Accept-Language
    (None, None, "de,sw;q=0.5", "en"),  # then English
    ("xx", "zz", "es", "es"),          # unknown values are skipped
])
def test_locale_choice_order(query, cookie, header, expected):
    app = Flask(__name__)
    app.config["LANGUAGES"] = LANGUAGES
    path = f"/?lang={query}" if query else "/"
    headers = {"Accept-Language": header}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    with app.test_request_context(path, headers=headers):
        assert select_locale() == expected


@pytest.mark.parametrize("tag, code", [("fr-CA", "fr"), ("pt_BR", "pt"), ("AR", "ar"),
                                       ("de", None), ("", None)])
def test_normalise(tag, code):
    assert normalise(tag) == code


def test_locales_lists_every_language_complete(client):
    body = client.get("/api/v1/locales").get_json()
    assert [loc["code"] for loc in body["locales"]] == list(LANGUAGES)
    assert next(loc for loc in body["locales"] if loc["code"] == "ar")["dir"] == "rtl"
    for loc in body["locales"]:
        assert loc["completeness"] == {"messages": 1.0, "checklists": 1.0}, loc["code"]


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_interface_strings_are_translated(client, lang):
    body = client.get(f"/api/v1/i18n/{lang}").get_json()
    assert body["lang"] == lang and body["dir"] == LANGUAGES[lang][1]
    assert body["messages"] and all(body["messages"].values())
    assert "Sync now" in body["messages"]


@pytest.mark.parametrize("url", ["/api/v1/i18n/xx", "/api/v1/checklists/healthwise?lang=xx"])
def test_an_unknown_language_is_refused_the_same_way_everywhere(client, url):
    # As every PDF and export (tests/test_document_languages.py): 400, the languages named.
    response = client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "unsupported_language"
    assert error["details"]["supported"] == ["en", "fr", "es", "pt", "ar"]


def test_a_regional_tag_is_its_language(client):
    assert client.get("/api/v1/checklists/healthwise?lang=fr-CA").get_json()["lang"] == "fr"
    assert client.get("/api/v1/i18n/pt_BR").get_json()["lang"] == "pt"


def test_every_catalogue_is_complete():
    """`healthwise languages check` in code: no missing, fuzzy, orphaned or mismatched string."""
    assert catalogues.check() == []


def test_check_finds_a_broken_placeholder(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = Catalog()
    template.add("%(n)s changes not yet sent")
    template.add("Sync now")
    broken = Catalog(locale="fr")
    broken.add("%(n)s changes not yet sent", "%(x)s modifications non envoyées")
    broken.add("Orphan", "Orphelin")
    for path, catalog in ((tmp_path / "messages.pot", template),
                          (tmp_path / "fr" / "LC_MESSAGES" / "messages.po", broken)):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    monkeypatch.setattr(catalogues, "TRANSLATIONS_DIR", tmp_path)
    monkeypatch.setattr(catalogues, "SOURCES", {"messages": []})
    problems = catalogues.check(["fr"])
    assert any("placeholders differ" in p for p in problems)
    assert any("missing 'Sync now'" in p for p in problems)
    assert any("orphaned 'Orphan'" in p for p in problems)


def test_cli_check_exits_non_zero_on_problems(monkeypatch):
    from click.testing import CliRunner

    from healthwise.cli import main

    monkeypatch.setattr(catalogues, "check", lambda langs=None: ["fr/messages: missing 'x'"])
    result = CliRunner().invoke(main, ["languages", "check"])
    assert result.exit_code != 0 and "missing" in result.output
