"""District exports (issue 12): SQLite, CSV and ZIP files of a district, above facility level.

The world: district North holds Riverside (a baseline round answered by 4 participants,
a follow-up answered by 5, a round its committee removed) and a facility with no round;
district South holds one facility with a round; a workshop's practice facility has a
round too. Names, roles, remarks, people responsible and progress notes are unique
marker strings, looked for in the bytes of every file.
"""

import csv
import io
import re
import zipfile
from datetime import date

import pytest
import sqlite_utils

from healthwise.assessments.models import ActionItem, Assessment
from healthwise.cli import main
from healthwise.devices import service as devices
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.exports import tables
from healthwise.exports.service import for_districts, slug
from healthwise.extensions import db
from healthwise.facilities.models import District
from tests.conftest import Phone, count, fetch, new_app, new_id, sign_in

VIOLENCE = "violence"
#: Text that must never leave facility level, each unique enough to grep for.
NAME, ROLE, REMARK = "Zanele Markername", "Rolemarker nurse", "Remarkmarker in the store"
RESPONSIBLE, NOTE = "Responsiblemarker Person", "Progressmarker half done"
REMOVED, PRACTICE, SOUTH = "Removedmarker round", "Practicemarker round", "Southmarker round"
PRIVATE = (NAME, ROLE, REMARK, RESPONSIBLE, NOTE, REMOVED, PRACTICE, SOUTH,
           "Removedmarker action")
FTS_WORD = "fluorescent"
FORMULA = '=HYPERLINK("http://evil.example/","Click")'
WORLDLY = "Réparer la rampe d'accès — إصلاح المنحدر"


def _violence() -> tuple[list[str], list[str]]:
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    module = next(m for m in registry_for(str(CHECKLISTS_DIR)).get("healthwise").data["modules"]
                  if m["id"] == VIOLENCE)
    live = [c for c in module["checkpoints"] if not c.get("withdrawn")]
    return ([c["id"] for c in live if c.get("sensitive")],
            [c["id"] for c in live if not c.get("sensitive")])


def _round(phone, participants: int, title: str, started_on: str, previous_id=None,
           items=(), trainer=None) -> str:
    """Sync a round where each participant says yes (a priority) to the violence module's
    sensitive checkpoints and no to its others; add action items; return the round's id."""
    sensitive, other = _violence()
    assessment_id = new_id()
    fields = {"facility_id": phone.facility.id, "checklist_id": "healthwise",
              "checklist_version": 2, "title": title, "started_on": started_on,
              "kind": "follow_up" if previous_id else "baseline", "status": "open",
              "previous_id": previous_id}
    changes = [phone.change("assessment", assessment_id, fields)]
    if trainer:  # a workshop's round is the trainer's; its participants join it
        from healthwise.assessments.service import write_record

        with phone.client.application.app_context():
            write_record(phone.facility.id, trainer, "assessment", assessment_id,
                         changes.pop()["fields"])
            db.session.commit()
    for number in range(participants):
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": f"{NAME} {number}", "role": ROLE}))
        for checkpoint_id in sensitive + other:
            yes = checkpoint_id in sensitive
            changes.append(phone.change("answer", new_id(), {
                "response_id": response_id, "checkpoint_id": checkpoint_id,
                "action": "yes" if yes else "no", "priority": yes, "remark": REMARK}))
    for item in items:
        changes.append(phone.change("action_item", item.pop("id", new_id()), {
            "assessment_id": assessment_id, "responsible": RESPONSIBLE,
            "progress_note": NOTE, **item}))
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return assessment_id


@pytest.fixture
def world(app, make_facility, make_token, make_user, make_workshop):
    north, south = District(name="North Région"), District(name="South")
    riverside = make_facility("Riverside", north)
    hilltop = make_facility("@Hilltop Post", north)
    phone = Phone(app.test_client(), riverside, make_token(riverside))
    item, formula = new_id(), new_id()
    baseline = _round(phone, MIN_GROUP - 1, "Baseline", "2026-11-01", items=[
        {"id": item, "checkpoint_id": "VH-01", "action": f"Install {FTS_WORD} lights",
         "due_on": "2026-01-15", "cost": "medium", "status": "planned", "rank": 2},
        {"id": formula, "checkpoint_id": None, "action": FORMULA, "status": "done",
         "rank": 1},
        {"checkpoint_id": "VH-02", "action": WORLDLY, "due_on": "2099-01-01",
         "status": "in_progress", "rank": None}])
    follow_up = _round(phone, MIN_GROUP, "+1 follow-up", "2026-11-20", previous_id=baseline)
    removed = _round(phone, MIN_GROUP, REMOVED, "2026-11-25", items=[
        {"checkpoint_id": "VH-01", "action": "Removedmarker action"}])
    # A follow-up of the removed round: kept, but it names no removed round.
    orphan = _round(phone, 1, "After the mistake", "2026-11-26", previous_id=removed)
    phone.sync([phone.change("assessment", removed, {"removed": True}, base_rev=1)])
    far = make_facility("Far Clinic", south)
    _round(Phone(app.test_client(), far, make_token(far)), 1, SOUTH, "2026-11-02")
    workshop = make_workshop()
    _round(Phone(app.test_client(), workshop.facility, make_token(workshop.facility)), 1,
           PRACTICE, "2026-11-03", trainer="trainer@example.org")
    users = {"manager": make_user("manager", [north]), "other": make_user("manager", [south]),
             "trainer": make_user("trainer"), "admin": make_user("admin")}
    tokens = {"phone": phone.token}
    with app.app_context():
        for role in ("manager", "other", "admin"):
            _, tokens[role] = devices.create_user_token(db.session.merge(users[role]), role)
        db.session.commit()
    return {"north": north, "south": south, "riverside": riverside, "hilltop": hilltop,
            "practice": workshop.facility, "baseline": baseline, "follow_up": follow_up,
            "removed": removed, "orphan": orphan, "item": item, "formula": formula,
            "phone": phone, "users": users, "tokens": tokens}


def _get(client, url: str, **kwargs):
    """GET a URL and read the whole answer (a file's answer holds it open until closed)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _api(client, world, path: str, role: str = "manager"):
    return _get(client, f"/api/v1/districts/{world['north'].id}/{path}",
                headers={"Authorization": f"Bearer {world['tokens'][role]}"})


def _sqlite(response, tmp_path) -> sqlite_utils.Database:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    path = tmp_path / "export.sqlite"
    path.write_bytes(response.data)
    return sqlite_utils.Database(path)


def _csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "a byte order mark, for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# The SQLite file ------------------------------------------------------------------------------


def test_the_sqlite_export_matches_the_database(app, world, tmp_path):
    export = _sqlite(_api(app.test_client(), world, "export.sqlite"), tmp_path)
    assert set(tables.TABLES) | {"metadata"} <= set(export.table_names())
    assert {"open_action_items", "overdue_action_items", "latest_round_per_facility",
            "module_share_by_district"} <= set(export.view_names())
    assert [r["name"] for r in export["districts"].rows] == ["North Région"]
    facilities = {r["id"]: r for r in export["facilities"].rows}
    assert set(facilities) == {world["riverside"].id, world["hilltop"].id}
    assert facilities[world["riverside"].id]["rounds"] == 3  # the removed one does not count
    assert facilities[world["riverside"].id]["last_round_on"] == "2026-11-26"
    assert facilities[world["hilltop"].id]["rounds"] == 0
    rounds = {r["id"]: r for r in export["rounds"].rows}
    assert set(rounds) == {world["baseline"], world["follow_up"], world["orphan"]}
    assert rounds[world["orphan"]]["previous_id"] is None
    assert rounds[world["baseline"]]["participants"] == MIN_GROUP - 1
    assert rounds[world["follow_up"]]["previous_id"] == world["baseline"]
    kept = count(app, ActionItem, ActionItem.assessment_id.in_(list(rounds)))
    assert export["action_items"].count == kept == 3
    item = export["action_items"].get(world["item"])
    stored = fetch(app, ActionItem, world["item"])
    assert {key: item[key] for key in ("round_id", "facility_id", "checkpoint_id", "action",
                                       "due_on", "cost", "status", "rank")} == {
        "round_id": stored.assessment_id, "facility_id": stored.facility_id,
        "checkpoint_id": stored.checkpoint_id, "action": stored.action,
        "due_on": stored.due_on, "cost": stored.cost, "status": stored.status,
        "rank": stored.rank}
    assert item["module_id"] == VIOLENCE and item["overdue"] == 1
    found = list(export["action_items"].search(FTS_WORD))
    assert [r["id"] for r in found] == [world["item"]]
    assert [r["id"] for r in export["overdue_action_items"].rows] == [world["item"]]
    assert export["open_action_items"].count == 2
    latest = list(export["latest_round_per_facility"].rows)
    assert [r["id"] for r in latest] == [world["orphan"]]
    shares = {r["module_id"]: r for r in export["module_share_by_district"].rows}
    assert shares[VIOLENCE]["facilities_answered"] == 1
    assert {fk.other_table for fk in export["action_items"].foreign_keys} == {
        "rounds", "facilities"}
    assert export.execute("PRAGMA foreign_key_check").fetchall() == []
    meta = {r["key"]: r["value"] for r in export["metadata"].rows}
    assert meta["min_group"] == str(MIN_GROUP) and meta["checklist_version:healthwise"]
    assert meta["server_version"] and meta["exported_at"].endswith("Z")


def test_the_rule_of_five_holds_in_sqlite_and_csv(app, world, tmp_path):
    """4 participants answered the sensitive checkpoints of the baseline: blank, and out of
    the module's share; 5 answered them in the follow-up: counted."""
    sensitive, other = _violence()
    client = app.test_client()
    export = _sqlite(_api(client, world, "export.sqlite"), tmp_path)
    in_csv = _csv_rows(_api(client, world, "export/checkpoint_figures.csv").data)
    for rows, blank in ((list(export["checkpoint_figures"].rows), None), (in_csv, "")):
        by = {(r["round_id"], r["checkpoint_id"]): r for r in rows}
        for checkpoint_id in sensitive:
            hidden, shown = by[(world["baseline"], checkpoint_id)], by[
                (world["follow_up"], checkpoint_id)]
            assert (hidden["answered"], hidden["propose_action"],
                    hidden["marked_priority"]) == (blank, blank, blank)
            assert [str(shown[k]) for k in ("answered", "propose_action", "marked_priority")
                    ] == [str(MIN_GROUP)] * 3
            assert shown["sensitive"] in (1, "yes")
        for checkpoint_id in other:
            assert str(by[(world["baseline"], checkpoint_id)]["answered"]) == str(
                MIN_GROUP - 1)
    modules = {(r["round_id"], r["module_id"]): r for r in export["module_figures"].rows}
    assert modules[(world["baseline"], VIOLENCE)]["share"] == 0
    assert modules[(world["baseline"], VIOLENCE)]["answered"] == len(other)
    assert modules[(world["follow_up"], VIOLENCE)]["share"] == pytest.approx(
        len(sensitive) / (len(sensitive) + len(other)))
    in_zip = _csv_rows(_zip_members(_api(client, world, "export.zip").data)[
        "module_figures.csv"])
    assert {r["share"] for r in in_zip if r["round_id"] == world["baseline"]
            and r["module_id"] == VIOLENCE} == {"0.0"}


def test_no_private_text_training_nor_removed_round_in_any_export(app, world, tmp_path):
    client = app.test_client()
    files = {"export.sqlite": _api(client, world, "export.sqlite").data}
    for name, data in _zip_members(_api(client, world, "export.zip").data).items():
        files[f"zip:{name}"] = data
    for table in tables.CSV_TABLES:
        files[f"{table}.csv"] = _api(client, world, f"export/{table}.csv").data
    sign_in(client, world["users"]["manager"])
    files["page zip"] = _get(client, f"/manage/districts/{world['north'].id}/export.zip").data
    assert set(_zip_members(files["page zip"])) == {f"{t}.csv" for t in tables.CSV_TABLES}
    for name, data in files.items():
        for marker in (*PRIVATE, world["removed"], world["practice"].name):
            for encoded in (marker.encode("utf-8"), marker.encode("utf-16-le")):
                assert encoded not in data, f"{marker!r} in {name}"
    assert WORLDLY.encode("utf-8") in files["action_items.csv"]
    # The same for an admin's export of every district (the CLI's --all).
    out = tmp_path / "all.sqlite"
    result = app.test_cli_runner().invoke(main, args=["export", "sqlite", "--all",
                                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert not [marker for marker in PRIVATE if marker != SOUTH and marker.encode() in data]
    assert SOUTH.encode() in data  # South's round is a district's, not a workshop's
    facilities = {r["id"] for r in sqlite_utils.Database(out)["facilities"].rows}
    assert world["practice"].id not in facilities and len(facilities) == 3


def test_csv_files_defuse_formulas_and_keep_every_language(app, world):
    client = app.test_client()
    items = {r["id"]: r for r in _csv_rows(_api(client, world, "export/action_items.csv").data)}
    assert items[world["formula"]]["action"] == "'" + FORMULA
    assert items[world["item"]]["overdue"] == "yes" and items[world["formula"]]["overdue"] == "no"
    assert WORLDLY in {r["action"] for r in items.values()}
    rounds = _csv_rows(_api(client, world, "export/rounds.csv").data)
    assert "'+1 follow-up" in {r["title"] for r in rounds}
    facilities = _csv_rows(_api(client, world, "export/facilities.csv").data)
    assert {r["name"] for r in facilities} == {"Riverside", "'@Hilltop Post"}
    assert list(facilities[0]) == tables.TABLES["facilities"].column_names


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+33 1 23", "'+33 1 23"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("plain", "plain"), ("a=b", "a=b"), (-2, -2), (0.5, 0.5),
    (None, ""), (True, "yes"), (False, "no")])
def test_a_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe(value, cell):
    assert tables.csv_cell(value) == cell


def test_names_of_the_files(app, world):
    response = _api(app.test_client(), world, "export.sqlite")
    today = date.today().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="healthwise-north-region-{today}.sqlite"')
    assert response.mimetype == "application/vnd.sqlite3"
    assert response.headers["Cache-Control"] == "no-store"
    response = _api(app.test_client(), world, "export/rounds.csv")
    assert response.headers["Content-Disposition"].endswith(f'north-region-{today}-rounds.csv"')
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert slug("الشمال") == "" and slug("Ségou — Nord") == "segou-nord"
    with app.app_context():
        export = for_districts([District(id=7, name="الشمال")], registry=[])
        assert export.filename("zip").startswith("healthwise-district-7-")


# Access ------------------------------------------------------------------------------------

#: Every export route, as the world reaches it.
ROUTES = {
    "exports.district_sqlite": "/manage/districts/{id}/export.sqlite",
    "exports.district_zip": "/manage/districts/{id}/export.zip",
    "exports.district_csv": "/manage/districts/{id}/export/rounds.csv",
    "exports_api.district_sqlite": "/api/v1/districts/{id}/export.sqlite",
    "exports_api.district_zip": "/api/v1/districts/{id}/export.zip",
    "exports_api.district_csv": "/api/v1/districts/{id}/export/rounds.csv",
}


def test_every_export_route_is_checked_here():
    app = new_app("sqlite://")
    # A workshop's results are checked with the workshop's life (tests/test_workshop_life.py).
    found = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in ("exports", "exports_api")
             and not rule.endpoint.startswith("exports.workshop_")}
    assert found == set(ROUTES)


def test_who_may_download(app, world):
    """A manager their districts only (404 elsewhere), an admin every district; phones 403
    on the API, trainers 403 on the pages; nobody signed in 401 or the sign-in page."""
    failures = []
    for url in ROUTES.values():
        _try_route(app, world, url, failures)
    assert not failures, "\n".join(failures)


def _try_route(app, world, url: str, failures: list) -> None:
    """Try one route with every role and district; add what answers wrong to failures."""
    north, south = world["north"].id, world["south"].id

    def expect(client, district, status, headers=None):
        response = client.get(url.format(id=district), headers=headers or {})
        got = response.status_code
        if status == "sign-in":
            ok = got == 302 and "/manage/sign-in" in response.headers["Location"]
        else:
            ok = got == status
            if ok and status >= 400 and url.startswith("/api/"):
                ok = response.is_json and "error" in response.get_json()
        response.close()
        if not ok:
            failures.append(f"{url.format(id=district)} {headers or ''}: {got}, not {status}")

    if url.startswith("/api/"):
        client = app.test_client()
        bearer = {role: {"Authorization": f"Bearer {secret}"}
                  for role, secret in world["tokens"].items()}
        for district in (north, south, 987654, 2**64):
            expect(client, district, 401)
            expect(client, district, 403, bearer["phone"])
            expect(client, district, 401, {"Authorization": "Bearer not-a-token"})
        for role, reach in (("manager", {north}), ("other", {south}), ("admin", {north, south})):
            for district in (north, south, 987654, 2**64):
                expect(client, district, 200 if district in reach else 404, bearer[role])
    else:
        expect(app.test_client(), north, "sign-in")
        for role, reach in (("manager", {north}), ("other", {south}), ("admin", {north, south}),
                            ("trainer", set())):
            client = app.test_client()
            sign_in(client, world["users"][role])
            for district in (north, south, 987654, 2**64):
                status = 403 if role == "trainer" else 200 if district in reach else 404
                expect(client, district, status)


def test_an_unknown_table_is_not_found(app, world):
    client = app.test_client()
    response = _api(client, world, "export/answers.csv")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    sign_in(client, world["users"]["manager"])
    for table in ("answers", "responses", "districts", "metadata", "..%2Fsecret"):
        response = _get(client, f"/manage/districts/{world['north'].id}/export/{table}.csv")
        assert response.status_code == 404, table
        assert "text/html" in response.content_type


def test_the_district_page_links_to_every_download(app, world):
    client = app.test_client()
    sign_in(client, world["users"]["manager"])
    html = client.get(f"/manage/districts/{world['north'].id}?lang=fr").get_data(as_text=True)
    links = set(re.findall(r'href="([^"]*export[^"]*)"', html))
    base = f"/manage/districts/{world['north'].id}"
    assert links == {f"{base}/export.zip", f"{base}/export.sqlite",
                     *(f"{base}/export/{t}.csv" for t in tables.CSV_TABLES)}
    assert "Télécharger" in html
    for link in links:
        assert _get(client, link).status_code == 200, link


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, kind in (("export.sqlite", "application/vnd.sqlite3"),
                       ("export.zip", "application/zip"),
                       ("export/{table}.csv", "text/csv")):
        operation = paths[f"/api/v1/districts/{{district_id}}/{path}"]["get"]
        assert kind in operation["responses"]["200"]["content"]
        assert {"401", "403", "404"} <= set(operation["responses"])


# The command -------------------------------------------------------------------------------


def test_the_export_command(app, world, tmp_path):
    runner = app.test_cli_runner()
    tmp_path = tmp_path / "out"  # the test's database lives beside
    tmp_path.mkdir()
    out = tmp_path / "north.sqlite"
    result = runner.invoke(main, args=["export", "sqlite", "--district", str(world["north"].id),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sqlite_utils.Database(out)["rounds"].count == 3
    # Again over the same file: replaced whole, never appended to.
    assert runner.invoke(main, args=["export", "sqlite", "--district", str(world["north"].id),
                               "--out", str(out)]).exit_code == 0
    assert sqlite_utils.Database(out)["rounds"].count == 3
    archive = tmp_path / "north.zip"
    result = runner.invoke(main, args=["export", "csv", "--district", str(world["north"].id),
                                 "--out", str(archive)])
    assert result.exit_code == 0, result.output
    members = _zip_members(archive.read_bytes())
    assert len(_csv_rows(members["rounds.csv"])) == 3
    for args, message in ((["sqlite"], "--district ID or --all"),
                          (["csv", "--district", "1", "--all"], "--district ID or --all"),
                          (["sqlite", "--district", "987654"], "no district 987654"),
                          (["csv", "--district", str(2**70)], f"no district {2**70}"),
                          (["csv", "--district", "x"], "not a valid integer")):
        result = runner.invoke(main, args=["export", *args, "--out", str(tmp_path / "bad")])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert not (tmp_path / "bad").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["north.sqlite", "north.zip"]


def test_a_round_of_a_checklist_this_server_lacks_has_no_figures(app, world, tmp_path):
    with app.app_context():
        db.session.get(Assessment, world["follow_up"]).checklist_id = "retired"
        db.session.commit()
    export = _sqlite(_api(app.test_client(), world, "export.sqlite"), tmp_path)
    assert export["rounds"].get(world["follow_up"])["checklist_id"] == "retired"
    assert not list(export["checkpoint_figures"].rows_where(
        "round_id = ?", [world["follow_up"]]))


def test_a_district_without_facilities_exports_empty_tables(app, make_user, tmp_path):
    with app.app_context():
        empty = District(name="Empty")
        db.session.add(empty)
        db.session.commit()
        district_id = empty.id
    admin = make_user("admin")
    with app.app_context():
        _, secret = devices.create_user_token(db.session.merge(admin), "script")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    export = _sqlite(_get(client, f"/api/v1/districts/{district_id}/export.sqlite",
                          headers=headers), tmp_path)
    assert {name: export[name].count for name in tables.TABLES} == {
        "districts": 1, **{name: 0 for name in tables.TABLES if name != "districts"}}
    assert export["module_share_by_district"].count == 0
    members = _zip_members(_get(client, f"/api/v1/districts/{district_id}/export.zip",
                                headers=headers).data)
    for name in tables.CSV_TABLES:
        assert _csv_rows(members[f"{name}.csv"]) == []
        assert members[f"{name}.csv"].decode("utf-8-sig").startswith(
            ",".join(tables.TABLES[name].column_names))


def test_what_a_phone_syncs_during_an_export_leaves_no_dangling_row(app, world, tmp_path):
    """Rounds are read once; an action of a round synced after that is left out, so that
    every foreign key of the file holds (the next export has both)."""
    from healthwise.checklists.registry import registry

    with app.app_context():
        export = for_districts([db.session.get(District, world["north"].id)], registry())
        assert len(export.round_rows()) == 3
        late = _round(world["phone"], 1, "Late round", "2026-11-30", items=[
            {"checkpoint_id": "VH-01", "action": "Late action"}])
        export.write_sqlite(tmp_path / "during.sqlite")
        again = for_districts([db.session.get(District, world["north"].id)], registry())
        again.write_sqlite(tmp_path / "after.sqlite")
    during, after = (sqlite_utils.Database(tmp_path / name)
                     for name in ("during.sqlite", "after.sqlite"))
    assert late not in {r["id"] for r in during["rounds"].rows}
    assert "Late action" not in {r["action"] for r in during["action_items"].rows}
    assert during.execute("PRAGMA foreign_key_check").fetchall() == []
    assert late in {r["id"] for r in after["rounds"].rows}
    assert "Late action" in {r["action"] for r in after["action_items"].rows}


def test_a_download_dropped_unread_leaves_no_open_file(app, world):
    """A client that neither reads nor closes an answer: the file is closed all the same
    (an unclosed file would also fail the test as a ResourceWarning)."""
    import gc
    import os

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['tokens']['manager']}"}
    for path in ("export.sqlite", "export.zip", "export/rounds.csv"):
        gc.collect()
        before = open_files()
        response = client.get(f"/api/v1/districts/{world['north'].id}/{path}", headers=headers)
        assert response.status_code == 200
        assert open_files() > before  # the file waits to be read
        del response
        gc.collect()
        assert open_files() == before, path


def test_photos_are_never_in_a_district_export(app, world):
    """Photos stay at facility level: no export names one, of an answer or an action."""
    from sqlalchemy import select

    from healthwise.assessments.models import Answer

    phone = world["phone"]
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id).where(
            Answer.assessment_id == world["follow_up"]).limit(1))
    item_photo, answer_photo = "a1" * 32, "b2" * 32
    results = phone.sync([
        phone.change("action_item", world["item"], {"photos": [item_photo]}, base_rev=1),
        phone.change("answer", answer_id, {"photos": [answer_photo]}, base_rev=1),
    ])["results"]
    assert {r["status"] for r in results} == {"applied"}, results
    client = app.test_client()
    files = {"export.sqlite": _api(client, world, "export.sqlite").data,
             "export.zip": _api(client, world, "export.zip").data}
    for name, data in _zip_members(files["export.zip"]).items():
        files[name] = data
    for name, data in files.items():
        for photo in (item_photo, answer_photo):
            assert photo.encode() not in data, f"a photo in {name}"
        assert b"photos" not in data, name
