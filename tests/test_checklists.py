"""Checklist content, registry and API."""

import gzip
import json
from pathlib import Path

import pytest

from healthwise.checklists.registry import ChecklistError, load_checklist, registry_for
from healthwise.config import CHECKLISTS_DIR, LANGUAGES
from tests.conftest import new_id

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
        # "several low-cost actions": at least three
        assert len(cp["how"]) >= 3 and cp["why"] and cp["action"], cp["id"]
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


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_payload_sends_each_source_once_and_keeps_every_checkpoint_whole(client, checklist,
                                                                          lang):
    body = client.get(f"/api/v1/checklists/healthwise?lang={lang}").get_json()
    table = body["sources"]
    assert all(set(s) == {"title", "year"} for s in table)
    assert len({(s["title"], s["year"]) for s in table}) == len(table), "a source twice"
    local = {cp["id"]: cp for m in checklist.localised(lang)["modules"]
             for cp in m["checkpoints"]}
    used = set()
    sent = [cp for m in body["modules"] for cp in m["checkpoints"]]
    assert [cp["id"] for cp in sent] == list(local)
    for cp in sent:
        assert all(isinstance(i, int) and 0 <= i < len(table) for i in cp["sources"])
        used |= set(cp["sources"])
        # Resolved, the sources are the ones the data file names, in its order.
        assert [table[i] for i in cp["sources"]] == checklist.checkpoints[cp["id"]]["sources"]
        # The reader's text is all there; only a false `sensitive` is left out.
        expected = {k: v for k, v in local[cp["id"]].items() if k != "sources"}
        if not expected["sensitive"]:
            del expected["sensitive"]
        assert {k: v for k, v in cp.items() if k != "sources"} == expected
    assert used == set(range(len(table))), "a source no checkpoint cites"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_localised_checklist_fits_the_phone_budget(client, lang):
    # quality bar: one localised checklist at most 30 KiB gzipped, as phones download it
    response = client.get(f"/api/v1/checklists/healthwise?lang={lang}",
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == client.get(
        f"/api/v1/checklists/healthwise?lang={lang}").data
    assert len(response.data) <= 30 * 1024


def test_rounds_started_on_an_earlier_version_still_sync(phone, checklist):
    assert checklist.version > 1
    _, _, changes = phone.round_changes(n_answers=3)  # made with checklist_version 1
    body = phone.sync(changes)
    assert [r["status"] for r in body["results"]] == ["applied"] * len(changes)
    too_new = phone.change("assessment", new_id(), {
        **changes[0]["fields"], "checklist_version": checklist.version + 1})
    (result,) = phone.sync([too_new])["results"]
    assert result["error"]["code"] == "unknown_checklist"


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
    ("/api/v1/checklists/healthwise?lang=xx", 400, "unsupported_language"),
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


def test_compressed_checklist_is_kept_for_other_workers(tmp_path, monkeypatch):
    first = load_checklist(CHECKLISTS_DIR / "healthwise").payload("fr", tmp_path)
    kept = list(tmp_path.glob("checklist-*.gz"))
    assert [p.name for p in kept] == [f"checklist-{first.etag}.gz"]

    import zopfli.gzip

    def no_compression(*_args, **_kwargs):
        raise AssertionError("compressed again")

    monkeypatch.setattr(zopfli.gzip, "compress", no_compression)
    second = load_checklist(CHECKLISTS_DIR / "healthwise").payload("fr", tmp_path)
    assert second.gzipped == first.gzipped and gzip.decompress(second.gzipped) == second.body


def test_damaged_kept_checklist_is_made_again(tmp_path):
    made = load_checklist(CHECKLISTS_DIR / "healthwise").payload("ar", tmp_path)
    kept = tmp_path / f"checklist-{made.etag}.gz"
    kept.write_bytes(made.gzipped[: len(made.gzipped) // 2])
    again = load_checklist(CHECKLISTS_DIR / "healthwise").payload("ar", tmp_path)
    assert gzip.decompress(again.gzipped) == again.body == made.body
    assert kept.read_bytes() == again.gzipped


def test_prepare_fills_the_cache_for_every_language(app, tmp_path, monkeypatch):
    from healthwise.checklists import registry as registry_module

    monkeypatch.setattr(registry_module, "payload_cache", lambda: tmp_path)
    registry_for.cache_clear()  # as in a fresh `healthwise serve`
    with app.app_context():
        assert registry_module.prepare_payloads() == len(LANGUAGES)
    assert len(list(tmp_path.glob("checklist-*.gz"))) == len(LANGUAGES)
