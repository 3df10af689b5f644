"""Checklist content, registry and API."""

import gzip
import json
from pathlib import Path

import pytest

from healthwise.checklists.registry import ChecklistError, load_checklist
from healthwise.config import CHECKLISTS_DIR, LANGUAGES

FOLDER = CHECKLISTS_DIR / "healthwise"


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(FOLDER)


def test_every_module_in_manual_order_with_six_to_ten_checkpoints(checklist):
    modules = checklist.data["modules"]
    assert [m["id"] for m in modules] == [
        "hazards", "ergonomics", "infection", "violence", "green", "staff", "time",
        "equipment", "emergencies"]
    assert [m["number"] for m in modules] == list(range(1, 10))
    assert [m["optional"] for m in modules] == [False] * 8 + [True]
    for module in modules:
        assert 6 <= len(module["checkpoints"]) <= 10, module["id"]
    assert len(checklist.checkpoints) >= 60


def test_checkpoints_are_complete(checklist):
    for cp in checklist.checkpoints.values():
        assert len(cp["how"]) >= 2 and cp["why"] and cp["action"]
        assert cp["severity"] in (1, 2, 3) and cp["cost"] in ("low", "medium", "high")
        assert all(s["title"] and s["year"] for s in cp["sources"])


def test_mission_areas_are_covered_and_sensitive_ones_flagged(checklist):
    text = {cp_id: json.dumps(cp).lower() for cp_id, cp in checklist.checkpoints.items()}
    for topic in ("post-exposure", "tb", "hiv", "violence", "harass", "roster", "rest",
                  "migrant", "sharps", "fire"):
        assert any(topic in t for t in text.values()), topic
    violence = next(m for m in checklist.data["modules"] if m["id"] == "violence")
    assert sum(cp["sensitive"] for cp in violence["checkpoints"]) >= 3


def test_published_ids_are_never_dropped_or_reused(checklist):
    lines = [line for line in (FOLDER / "published-ids.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert len(lines) == len(set(lines)), "an id is listed twice"
    current = set(checklist.checkpoints)
    assert checklist.published_ids <= current, "a published id vanished: mark it withdrawn"
    assert current <= checklist.published_ids, "append new ids to published-ids.txt"


def test_changelog_names_the_current_version(checklist):
    changelog = (FOLDER / "CHANGELOG.md").read_text()
    assert f"Version {checklist.version}" in changelog


def test_invalid_file_is_refused(tmp_path):
    (tmp_path / "checklist.yaml").write_text(
        "id: broken\nversion: 1\ntitle: Broken\nmodules: [m.yaml]\n")
    (tmp_path / "m.yaml").write_text(
        "id: m\nnumber: 1\ntitle: Module\ncheckpoints:\n"
        "  - id: XX-01\n    action: Do a thing that is long enough\n    why: Because it is.\n"
        "    how: [one, two]\n    severity: 7\n    cost: cheap\n"
        "    sources: [{title: Some guide, year: 2010}]\n")
    with pytest.raises(ChecklistError, match="severity"):
        load_checklist(tmp_path)


def test_list_endpoint(client, checklist):
    body = client.get("/api/v1/checklists").get_json()
    assert body["checklists"] == [checklist.summary()]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_localised_checklist_in_every_language(client, checklist, lang):
    response = client.get(f"/api/v1/checklists/healthwise?lang={lang}",
                          headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.data))
    assert body["lang"] == lang and body["dir"] == LANGUAGES[lang][1]
    assert body["untranslated"] == []
    first = body["modules"][0]["checkpoints"][0]
    source = checklist.data["modules"][0]["checkpoints"][0]
    assert first["id"] == source["id"]
    if lang != "en":
        assert first["action"] != source["action"]
    # No message id, placeholder or empty text leaks into what a committee reads.
    for module in body["modules"]:
        assert module["title"].strip()
        for cp in module["checkpoints"]:
            for text in [cp["action"], cp["why"], *cp["how"], *cp["hints"]]:
                assert text.strip() and "msgid" not in text and "%(" not in text


def test_etag_gives_304(client):
    first = client.get("/api/v1/checklists/healthwise?lang=fr")
    again = client.get("/api/v1/checklists/healthwise?lang=fr",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/v1/checklists/healthwise?lang=ar",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_missing_translation_falls_back_to_english_visibly(app, checklist, monkeypatch):
    from healthwise.checklists import registry as registry_module

    source = checklist.data["modules"][0]["checkpoints"][0]["action"]
    original = registry_module.translated
    monkeypatch.setattr(registry_module, "translated",
                        lambda lang, text, domain: None if text == source
                        else original(lang, text, domain))
    localised = checklist.localised("fr")
    assert localised["modules"][0]["checkpoints"][0]["action"] == source
    assert localised["untranslated"] == [checklist.data["modules"][0]["checkpoints"][0]["id"]]


@pytest.mark.parametrize("path, status, code", [
    ("/api/v1/checklists/nope", 404, "not_found"),
    ("/api/v1/checklists/healthwise?lang=xx", 422, "unsupported_language"),
])
def test_checklist_errors(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_extractor_pulls_every_text(checklist):
    from healthwise.checklists.extract import extract_checklist

    found = set()
    for path in sorted(FOLDER.glob("*.yaml")):
        with Path(path).open("rb") as handle:
            found |= {message for _, _, message, _ in extract_checklist(handle, [], [], {})}
    for cp in checklist.checkpoints.values():
        assert {cp["action"], cp["why"], *cp["how"], *cp["hints"]} <= found
    assert {m["title"] for m in checklist.data["modules"]} <= found
