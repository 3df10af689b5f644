"""Languages: locale choice, interface catalogues, checklist-string translation.

Two gettext domains live under ``translations/<ll>/LC_MESSAGES/``:
``messages`` (the interface, server and phone) and ``checklists`` (checklist text).
The functions that read catalogues need no Flask, so the PDF and the
checklist registry can use them in plain Python.
"""

from functools import lru_cache
from gettext import NullTranslations

from babel.support import Translations
from flask import current_app, request

from healthwise.config import LANGUAGES, TRANSLATIONS_DIR
from healthwise.errors import UnsupportedLanguage

DOMAINS = ("messages", "checklists")


def normalise(lang: str | None) -> str | None:
    """Return the supported language for a tag like ``fr-CA`` or ``pt_BR``, or None."""
    if not lang:
        return None
    base = lang.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def language_code(text: str) -> str:
    """Return the supported language ``text`` names (``fr``, ``fr-CA``, ``pt_BR``...).

    :raises UnsupportedLanguage: (400) for any other text, naming the languages offered.
    """
    code = normalise(text)
    if code is None:
        raise UnsupportedLanguage(
            f"Language '{str(text)[:40]}' is not available. Choose one of: "
            + ", ".join(f"{c} ({name})" for c, (name, _dir) in LANGUAGES.items()) + ".",
            details={"supported": list(LANGUAGES)})
    return code


def requested_language() -> str:
    """Return the language a document (PDF, export) is asked for: ``?lang=``, else the
    request's (:func:`select_locale`). Every PDF and export route, page or API, reads it
    this one way.

    :raises UnsupportedLanguage: (400) for a ``?lang=`` the server does not offer.
    """
    if "lang" not in request.args:
        return select_locale()
    return language_code(request.args["lang"])


@lru_cache(maxsize=32)
def catalogue(lang: str, domain: str = "messages") -> NullTranslations:
    """Return the compiled gettext catalogue of one language and domain.

    English, and a language with no compiled catalogue, get a catalogue that
    returns the English source text, so a missing string shows in English,
    never as an empty box.
    """
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [lang], domain=domain)


def translated(lang: str, text: str, domain: str = "messages") -> str | None:
    """Return the translation of ``text``, or None where the catalogue lacks it."""
    if lang == "en":
        return text
    found = getattr(catalogue(lang, domain), "_catalog", {}).get(text)
    return found or None


def gettext_for(lang: str, domain: str = "messages"):
    """Return ``(gettext, ngettext)`` bound to one language, for code outside requests."""
    cat = catalogue(lang, domain)
    return cat.gettext, cat.ngettext


def direction(lang: str) -> str:
    """Return ``rtl`` or ``ltr`` for a supported language."""
    return LANGUAGES.get(lang, ("", "ltr"))[1]


def select_locale() -> str:
    """Pick the request's language: explicit choice > saved preference > Accept-Language > en."""
    explicit = normalise(request.args.get("lang"))
    if explicit:
        return explicit
    saved = normalise(request.cookies.get("lang"))
    if saved:
        return saved
    best = request.accept_languages.best_match(list(current_app.config["LANGUAGES"]))
    return best or "en"
