"""Language API (the languages on offer and the phone's interface strings), and the
page's language in every template."""

from urllib.parse import urlsplit

from flask import Blueprint as PageBlueprint
from flask import current_app, jsonify, redirect, request

from healthwise.languages.catalogues import completeness
from healthwise.languages.schemas import UNSUPPORTED, InterfaceStringsSchema, Lang, LocalesSchema
from healthwise.languages.service import catalogue, direction, normalise, select_locale
from healthwise.web.api import Blueprint
from healthwise.web.cookies import cookie_secure

bp = Blueprint("languages_api", __name__, url_prefix="/api/v1",
               description="The languages on offer and the phone's interface strings.")
pages = PageBlueprint("languages", __name__)
#: How long a chosen language is remembered by the browser.
KEEP_CHOICE = 365 * 24 * 3600


@bp.app_context_processor
def _page_language() -> dict:
    """Give every template the request's language and its direction."""
    lang = select_locale()
    return {"lang": lang, "dir": direction(lang)}


@pages.get("/language/<code>")
def choose(code: str):
    """Remember the language chosen on a page (a cookie) and go back to that page.

    The page is the one the link was on (the ``Referer`` the browser sends within this
    site); another site's address is never followed, and without one this leads to
    ``/manage/``. An unknown language changes nothing.
    """
    parts = urlsplit(request.referrer or "")
    target = "/manage/"
    if parts.netloc == request.host and parts.path.startswith("/"):
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    response = redirect(target, code=303)
    chosen = normalise(code)
    if chosen:
        response.set_cookie("lang", chosen, max_age=KEEP_CHOICE, samesite="Lax",
                            secure=cookie_secure(), httponly=True)
    return response


@pages.app_context_processor
def _languages_on_offer() -> dict:
    """Give every page the languages its picker offers."""
    return {"languages_on_offer": current_app.config["LANGUAGES"]}


@bp.get("/locales")
@bp.response(200, LocalesSchema)
def locales():
    """Languages and the share of their strings translated.

    The one list of languages: the phone reads it from here.
    """
    return {"locales": [
        {"code": code, "name": name, "dir": direction,
         "completeness": {d: completeness(code, d) for d in ("messages", "checklists")}}
        for code, (name, direction) in current_app.config["LANGUAGES"].items()]}


@bp.get("/i18n/<lang>")
@bp.response(200, InterfaceStringsSchema)
@bp.alt_response(400, response="BAD_REQUEST", description=UNSUPPORTED)
def interface_strings(lang: str):
    """The phone's interface strings in one language (plural forms as lists)."""
    code = Lang().deserialize(lang)
    cat = catalogue(code, "messages")
    messages = {}
    plural = None
    for key, value in getattr(cat, "_catalog", {}).items():
        if isinstance(key, tuple):  # plural forms: (msgid, n)
            messages.setdefault(key[0], [])
            forms = messages[key[0]]
            forms.extend([""] * (key[1] + 1 - len(forms)))
            forms[key[1]] = value
        elif key:
            messages[key] = value
    if hasattr(cat, "plural") and code != "en":
        plural = getattr(cat, "_info", {}).get("plural-forms")
    body = InterfaceStringsSchema().dump({
        "lang": code, "dir": current_app.config["LANGUAGES"][code][1], "plural": plural,
        "messages": messages})
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
