"""Catalogue upkeep: extract, update, compile and check the gettext catalogues.

Two domains: ``messages`` (server templates and PDF labels in ``healthwise/``,
phone strings ``t("...")`` in ``static/js/``) and ``checklists`` (the text of the
checklist data files). Wraps pybabel so translators use ordinary PO tools.
"""

import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from healthwise.config import INSTALLED, LANGUAGES, PACKAGE_DIR, ROOT, TRANSLATIONS_DIR

BABEL_CFG = {
    "messages": PACKAGE_DIR / "languages" / "babel-messages.cfg",
    "checklists": PACKAGE_DIR / "languages" / "babel-checklists.cfg",
}
SOURCES = {"messages": ["healthwise", "static/js"], "checklists": ["checklists"]}
KEYWORDS = ["_", "gettext", "ngettext:1,2", "lazy_gettext", "t", "tn:1,2", "tu"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def template_path(domain: str) -> Path:
    return TRANSLATIONS_DIR / f"{domain}.pot"


def po_path(lang: str, domain: str) -> Path:
    return TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT)


def extract(domain: str) -> Path:
    """Extract the translatable strings of one domain into its template (.pot)."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _pybabel("extract", "-F", str(BABEL_CFG[domain]), "--no-wrap", "--sort-by-file",
             "--project", "HealthWISE Mobile", "--copyright-holder", "HealthWISE Mobile",
             *keywords, "-o", str(template_path(domain)), *SOURCES[domain])
    return template_path(domain)


def update(domain: str, langs=None) -> None:
    """Merge the template into each language's catalogue (creating missing ones)."""
    for lang in langs or [code for code in LANGUAGES if code != "en"]:
        path = po_path(lang, domain)
        command = "update" if path.exists() else "init"
        args = ["-i", str(template_path(domain)), "-d", str(TRANSLATIONS_DIR), "-D", domain,
                "-l", lang, "--no-wrap"]
        if command == "update":
            args.append("--ignore-obsolete")
        _pybabel(command, *args)


def compile_all() -> None:
    """Compile every catalogue to .mo (what the server reads)."""
    for domain in SOURCES:
        if any(TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{domain}.po")):
            _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "-D", domain, "--statistics")


def compile_if_needed() -> bool:
    """Compile the catalogues if a .mo is missing or older than its .po; return True if so.

    The .mo files are not kept in git: a checkout started without ``make`` (Windows) or
    after a pull compiles them here. A wheel carries them compiled (setup.py); its files'
    times are those of the unpacking, so there only a missing one counts.
    """
    for po in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or (not INSTALLED and mo.stat().st_mtime < po.stat().st_mtime):
            compile_all()
            return True
    return False


def _messages(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@lru_cache(maxsize=32)
def completeness(lang: str, domain: str) -> float:
    """Return the share (0..1) of the template's strings translated in a catalogue."""
    if lang == "en":
        return 1.0
    if not template_path(domain).exists() or not po_path(lang, domain).exists():
        return 0.0
    wanted = {m.id for m in _messages(template_path(domain)) if m.id}
    if not wanted:
        return 1.0
    catalog = _messages(po_path(lang, domain))
    done = sum(
        1 for m in catalog
        if m.id in wanted and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple)
                                               else m.string)
    )
    return round(done / len(wanted), 4)


def check(langs=None) -> list[str]:
    """Return every problem in the catalogues; an empty list means all is well.

    Problems: a string missing, untranslated or fuzzy; an orphan (in a catalogue but no
    longer in the template); a placeholder that differs from the source's.
    """
    problems: list[str] = []
    for domain in SOURCES:
        if not template_path(domain).exists():
            problems.append(f"{domain}: no template; run `healthwise languages extract`")
            continue
        template = {m.id: m for m in _messages(template_path(domain)) if m.id}
        for lang in langs or [code for code in LANGUAGES if code != "en"]:
            where = f"{lang}/{domain}"
            path = po_path(lang, domain)
            if not path.exists():
                problems.append(f"{where}: catalogue missing")
                continue
            catalog = {m.id: m for m in _messages(path) if m.id}
            for msgid in template:
                message = catalog.get(msgid)
                label = _label(msgid)
                if message is None:
                    problems.append(f"{where}: missing {label}")
                    continue
                strings = message.string if isinstance(message.string, tuple) \
                    else (message.string,)
                if not all(strings):
                    problems.append(f"{where}: untranslated {label}")
                elif message.fuzzy:
                    problems.append(f"{where}: fuzzy {label}")
                elif not _placeholders_match(msgid, strings):
                    problems.append(f"{where}: placeholders differ in {label}")
            for msgid in catalog:
                if msgid not in template:
                    problems.append(f"{where}: orphaned {_label(msgid)}")
    return problems


def _placeholders_match(msgid, strings) -> bool:
    """Return True if the translation uses the source's placeholders.

    A plural form may leave out the number ("One remark"), so for plurals each form
    must use only placeholders of the English forms, and the last form all of the
    English plural's.
    """
    def found(text: str) -> set[str]:
        return set(PLACEHOLDER.findall(text))

    if isinstance(msgid, str):
        return all(found(text) == found(msgid) for text in strings)
    allowed = found(msgid[0]) | found(msgid[1])
    return all(found(text) <= allowed for text in strings) \
        and found(strings[-1]) == found(msgid[1])


def _label(msgid) -> str:
    text = msgid if isinstance(msgid, str) else msgid[0]
    return repr(text[:60] + ("…" if len(text) > 60 else ""))
