"""Language API: the languages on offer and the phone's interface strings."""

from flask import Blueprint, current_app, jsonify, request

from healthwise.errors import APIError
from healthwise.languages.catalogues import completeness
from healthwise.languages.service import catalogue, normalise

bp = Blueprint("languages_api", __name__, url_prefix="/api/v1")


@bp.get("/locales")
def locales():
    """List the languages with how complete their catalogues are.
    ---
    get:
      tags: [languages]
      summary: Languages and the share of strings translated
      responses:
        200:
          content:
            application/json:
              schema: LocalesSchema
    """
    result = []
    for code, (name, direction) in current_app.config["LANGUAGES"].items():
        result.append({
            "code": code, "name": name, "dir": direction,
            "completeness": {d: completeness(code, d) for d in ("messages", "checklists")},
        })
    return jsonify({"locales": result})


@bp.get("/i18n/<lang>")
def interface_strings(lang: str):
    """Return the interface strings of one language for the phone.
    ---
    get:
      tags: [languages]
      summary: The phone's interface strings in one language
      parameters:
        - in: path
          name: lang
          required: true
          schema: {type: string}
      responses:
        200:
          content:
            application/json:
              schema: InterfaceStringsSchema
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    code = normalise(lang)
    if code is None or code != lang:
        raise APIError("unsupported_language", f"Language '{lang}' is not available.", 404,
                       {"supported": list(current_app.config["LANGUAGES"])})
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
    response = jsonify({"lang": code, "dir": current_app.config["LANGUAGES"][code][1],
                        "plural": plural, "messages": messages})
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
