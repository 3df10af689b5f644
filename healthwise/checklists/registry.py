"""The checklist registry: load and validate the data files once, localise on demand."""

import gzip
import hashlib
import json
import os
import threading
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
import zopfli.gzip
from flask import current_app

from healthwise.checklists.schemas import ChecklistSchema, LocalisedChecklistSchema
from healthwise.languages.service import direction, translated

TEXT_FIELDS = ("action", "why")
LIST_FIELDS = ("how", "hints")
#: zopfli's passes over a payload: 5 take half a second to a second for the largest language and
#: get nearly all the gain (15 save another 0.1 %). Paid once per text and language: the
#: result is kept in the instance folder (see :func:`_gzip`).
ZOPFLI_ITERATIONS = 5


class ChecklistError(Exception):
    """A checklist data file is missing or invalid."""


@dataclass(frozen=True)
class Payload:
    """A localised checklist, serialised once: JSON, its gzip and an ETag.

    The gzip is made by zopfli: an ordinary gzip stream that every browser inflates, 5 to 8 %
    smaller than zlib's best, worth the one-off cost for a file every phone downloads.
    """

    body: bytes
    gzipped: bytes
    etag: str


@dataclass
class Checklist:
    """One validated checklist: English source data and lookup tables."""

    data: dict
    published_ids: frozenset[str]
    checkpoints: dict[str, dict] = field(default_factory=dict)
    module_of: dict[str, str] = field(default_factory=dict)
    #: every guidance document the checkpoints cite, once, in order of first citation
    sources: list[dict] = field(default_factory=list)
    #: per checkpoint id, the positions of its sources in :attr:`sources`
    source_refs: dict[str, list[int]] = field(default_factory=dict)
    _payloads: dict[str, Payload] = field(default_factory=dict, repr=False)
    _serialising: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        position: dict[tuple, int] = {}
        for module in self.data["modules"]:
            for cp in module["checkpoints"]:
                self.checkpoints[cp["id"]] = cp
                self.module_of[cp["id"]] = module["id"]
                refs = []
                for source in cp["sources"]:
                    key = (source["title"], source["year"])
                    if key not in position:
                        position[key] = len(self.sources)
                        self.sources.append(dict(source))
                    refs.append(position[key])
                self.source_refs[cp["id"]] = refs

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def version(self) -> int:
        return self.data["version"]

    def knows(self, checkpoint_id: str) -> bool:
        """Return True if answers may refer to this checkpoint id (current or ever published)."""
        return checkpoint_id in self.checkpoints or checkpoint_id in self.published_ids

    def summary(self) -> dict:
        """Return the listing entry of this checklist."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.data["title"],
            "modules": len(self.data["modules"]),
            "checkpoints": len(self.checkpoints),
        }

    def localised(self, lang: str) -> dict:
        """Return the checklist with its text in ``lang``; untranslated text stays English.

        :param lang: a supported language code.
        :returns: the checklist dict plus ``lang``, ``dir`` and ``untranslated``
            (the checkpoint ids where at least one string fell back to English).
        """
        untranslated: list[str] = []

        def tr(text: str, owner: str | None = None) -> str:
            if not text:
                return text
            found = translated(lang, text, "checklists")
            if found is None:
                if owner and owner not in untranslated:
                    untranslated.append(owner)
                return text
            return found

        modules = []
        for module in self.data["modules"]:
            checkpoints = []
            for cp in module["checkpoints"]:
                if cp.get("withdrawn"):
                    continue
                item = {k: v for k, v in cp.items() if k != "withdrawn"}
                for key in TEXT_FIELDS:
                    item[key] = tr(cp[key], cp["id"])
                for key in LIST_FIELDS:
                    item[key] = [tr(text, cp["id"]) for text in cp[key]]
                checkpoints.append(item)
            modules.append({
                "id": module["id"],
                "number": module["number"],
                "title": tr(module["title"], module["id"]),
                "optional": module["optional"],
                "intro": tr(module["intro"], module["id"]),
                "checkpoints": checkpoints,
            })
        return {
            "id": self.id,
            "version": self.version,
            "lang": lang,
            "dir": direction(lang),
            "title": tr(self.data["title"]),
            "description": tr(self.data["description"]),
            "modules": modules,
            "untranslated": untranslated,
        }

    def wire(self, lang: str) -> dict:
        """Return the localised checklist as the API sends it to phones.

        The same content as :meth:`localised`, told once: the guidance documents are a
        top-level ``sources`` list that each checkpoint's ``sources`` refers to by
        position, and ``sensitive`` is only sent where it is true (the schema's default
        is false).
        """
        localised = self.localised(lang)
        for module in localised["modules"]:
            for cp in module["checkpoints"]:
                cp["sources"] = self.source_refs[cp["id"]]
                if not cp["sensitive"]:
                    del cp["sensitive"]
        return {**localised, "sources": self.sources}

    def payload(self, lang: str, cache: Path | None = None) -> Payload:
        """Return the localised checklist serialised once for the wire.

        When a workshop's phones all ask at once, one thread compresses and the others
        wait for it rather than compress the same text again.

        :param cache: a folder keeping each gzip across workers and restarts (the
            instance folder's ``cache/``); ``healthwise serve`` fills it before the
            workers start, so no phone waits for zopfli.
        """
        found = self._payloads.get(lang)
        if found is None:
            with self._serialising:
                found = self._payloads.get(lang)
                if found is None:
                    found = self._payloads[lang] = self._serialise(lang, cache)
        return found

    def _serialise(self, lang: str, cache: Path | None) -> Payload:
        # Dumped through the schema of the OpenAPI document: what is documented is what is sent.
        body = json.dumps(LocalisedChecklistSchema().dump(self.wire(lang)), ensure_ascii=False,
                          separators=(",", ":"))
        raw = body.encode()
        etag = hashlib.sha256(raw).hexdigest()[:32]
        return Payload(raw, _gzip(raw, cache / f"checklist-{etag}.gz" if cache else None), etag)


def _gzip(raw: bytes, kept: Path | None) -> bytes:
    """Return zopfli's gzip of ``raw``, read from ``kept`` if an earlier process made it.

    The file is named by a hash of the content, so it cannot be stale; it is checked
    anyway (a damaged disk must not send phones a broken checklist) and written
    whole or not at all.
    """
    if kept is not None:
        try:
            found = kept.read_bytes()
            if gzip.decompress(found) == raw:
                return found
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error):
            pass
    made = zopfli.gzip.compress(raw, numiterations=ZOPFLI_ITERATIONS)
    if kept is not None:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f"{kept.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(made)
            os.replace(partial, kept)
        except OSError:
            pass  # a read-only or full disk only costs the next worker the compression
    return made


def load_checklist(folder: Path) -> Checklist:
    """Load and validate one checklist folder.

    :param folder: ``checklists/<id>/`` with ``checklist.yaml`` and its module files.
    :raises ChecklistError: when a file is missing or does not match the schema.
    """
    try:
        head = yaml.safe_load((folder / "checklist.yaml").read_text(encoding="utf-8"))
        modules = [
            yaml.safe_load((folder / name).read_text(encoding="utf-8"))
            for name in head.get("modules", [])
        ]
    except (OSError, yaml.YAMLError) as exc:
        raise ChecklistError(f"{folder}: {exc}") from exc
    raw = {**head, "modules": modules}
    errors = ChecklistSchema().validate(raw)
    if errors:
        raise ChecklistError(f"{folder}: {json.dumps(errors)[:2000]}")
    data = ChecklistSchema().load(raw)
    ids_file = folder / "published-ids.txt"
    published = frozenset(
        line.strip() for line in ids_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ) if ids_file.exists() else frozenset()
    return Checklist(data=data, published_ids=published)


class Registry:
    """Every checklist under a folder, loaded once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.checklists: dict[str, Checklist] = {}
        for folder in sorted(p for p in self.root.iterdir() if (p / "checklist.yaml").exists()):
            checklist = load_checklist(folder)
            self.checklists[checklist.id] = checklist

    def get(self, checklist_id: str) -> Checklist | None:
        """Return a checklist by id, or None."""
        return self.checklists.get(checklist_id)

    def __iter__(self):
        return iter(self.checklists.values())


@lru_cache(maxsize=4)
def registry_for(root: str) -> Registry:
    """Return the registry of a checklists folder, loading it on first use."""
    return Registry(Path(root))


def registry() -> Registry:
    """Return the app's checklist registry (loaded once per folder and process)."""
    return registry_for(current_app.config["CHECKLISTS_DIR"])


def payload_cache() -> Path:
    """Return the folder that keeps compressed checklists across workers and restarts."""
    return Path(current_app.instance_path) / "cache"


def prepare_payloads() -> int:
    """Serialise and compress every checklist in every language; return how many.

    Run once at start-up (``healthwise serve``), before the workers fork, so that no
    phone waits for a compression.
    """
    count = 0
    for checklist in registry():
        for lang in current_app.config["LANGUAGES"]:
            checklist.payload(lang, payload_cache())
            count += 1
    return count
