"""Above facility level: the disclosure rule, the district page and the managers' API.

Issue 9, case 2: one participant's "yes" on a harassment checkpoint showed as
"violence 100%" beside "Hidden: fewer than 5 answers". Every figure above facility
level goes through :func:`healthwise.districts.disclosure.disclose`; the tests here
hold each view to it, and a view added later to it too.
"""

import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthwise.devices import service
from healthwise.districts.disclosure import MIN_GROUP, disclose
from healthwise.extensions import db
from healthwise.facilities.models import District
from healthwise.plans import priority
from tests.conftest import Phone, new_app, new_id, sign_in

VIOLENCE = "violence"
NAME, REMARK = "Nurse Lonely Witness", "He cornered me in the store room"


def _checklist():
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    return registry_for(str(CHECKLISTS_DIR)).get("healthwise")


def _violence():
    """Return the violence module's sensitive and other checkpoint ids."""
    module = next(m for m in _checklist().data["modules"] if m["id"] == VIOLENCE)
    live = [c for c in module["checkpoints"] if not c.get("withdrawn")]
    return ([c["id"] for c in live if c.get("sensitive")],
            [c["id"] for c in live if not c.get("sensitive")])


def _round(phone, answers_of: list[dict], previous_id=None) -> str:
    """Sync a round with one response per dict of {checkpoint_id: action}; return its id."""
    assessment_id = new_id()
    fields = {"facility_id": phone.facility.id, "checklist_id": "healthwise",
              "checklist_version": 1, "title": "Walk-through", "kind": "baseline",
              "status": "open", "started_on": "2026-11-20"}
    if previous_id:
        fields.update(kind="follow_up", previous_id=previous_id, started_on="2026-11-27")
    changes = [phone.change("assessment", assessment_id, fields)]
    for number, answers in enumerate(answers_of):
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": f"{NAME} {number}",
            "role": "nurse"}))
        for checkpoint_id, action in answers.items():
            changes.append(phone.change("answer", new_id(), {
                "response_id": response_id, "checkpoint_id": checkpoint_id,
                "action": action, "priority": action == "yes", "remark": REMARK}))
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return assessment_id


@pytest.fixture
def lonely(app, make_facility, make_token, make_user):
    """A district with a round where one participant says yes to every sensitive
    checkpoint of the violence module and no to its other checkpoints."""
    sensitive, other = _violence()
    facility = make_facility("Lonely Clinic", District(name="North"))
    phone = Phone(app.test_client(), facility, make_token(facility))
    assessment_id = _round(phone, [{**{c: "yes" for c in sensitive},
                                    **{c: "no" for c in other}}])
    manager, admin = make_user("manager", [facility.district]), make_user("admin")
    with app.app_context():
        _, manager_token = service.create_user_token(db.session.merge(manager), "review")
        _, admin_token = service.create_user_token(db.session.merge(admin), "script")
        db.session.commit()
    return {"facility": facility, "district": facility.district, "round": assessment_id,
            "manager": manager, "tokens": (manager_token, admin_token),
            "sensitive": sensitive, "other": other}


#: Every view above facility level, with how to reach it in the world of :func:`lonely`.
ABOVE_FACILITY = {
    "districts.home": lambda w: "/manage/",
    "districts.district": lambda w: f"/manage/districts/{w['district'].id}",
    "districts.report_pdf": lambda w: f"/manage/districts/{w['district'].id}/report.pdf?lang=en",
    "districts.facility": lambda w: f"/manage/facilities/{w['facility'].id}/plans",
    "districts.plan_pdf":
        lambda w: f"/manage/facilities/{w['facility'].id}/rounds/{w['round']}/plan.pdf",
    "districts_api.district_report_pdf":
        lambda w: f"/api/v1/districts/{w['district'].id}/report.pdf?lang=en",
    "districts_api.district_overview":
        lambda w: f"/api/v1/districts/{w['district'].id}/overview",
    "districts_api.round_pdf":
        lambda w: f"/api/v1/facilities/{w['facility'].id}/rounds/{w['round']}/plan.pdf?lang=en",
    "districts_api.districts": lambda w: "/api/v1/districts",
    "districts_api.district_summary": lambda w: f"/api/v1/districts/{w['district'].id}/summary",
    "districts_api.facility_rounds": lambda w: f"/api/v1/facilities/{w['facility'].id}/rounds",
    "districts_api.round_summary":
        lambda w: f"/api/v1/facilities/{w['facility'].id}/rounds/{w['round']}",
    # The district's export files (healthwise/exports/, tests/test_exports.py).
    "exports.district_sqlite": lambda w: f"/manage/districts/{w['district'].id}/export.sqlite",
    "exports.district_zip": lambda w: f"/manage/districts/{w['district'].id}/export.zip",
    "exports.district_csv":
        lambda w: f"/manage/districts/{w['district'].id}/export/checkpoint_figures.csv",
    "exports_api.district_sqlite":
        lambda w: f"/api/v1/districts/{w['district'].id}/export.sqlite",
    "exports_api.district_zip": lambda w: f"/api/v1/districts/{w['district'].id}/export.zip",
    "exports_api.district_csv":
        lambda w: f"/api/v1/districts/{w['district'].id}/export/module_figures.csv",
}
PAGES = ("districts.", "exports.")
#: Views above facility level that only save a form posted from a page above: they answer
#: with a redirect to it, or with that page again (held to the same rule in
#: :func:`test_a_refused_review_shows_the_facility_page_without_names`).
SAVES = {"districts.save_review"}


def _above_facility_routes() -> set[str]:
    """Return the endpoints that show a district's records to a person: the managers'
    API and the district pages."""
    app = new_app("sqlite://")
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(("districts_api.", "districts.", "exports_api."))
            or rule.rule.startswith("/manage/districts")}


def test_every_view_above_facility_level_is_checked_here():
    missing = _above_facility_routes() - set(ABOVE_FACILITY) - SAVES
    assert not missing, f"Add these views to ABOVE_FACILITY and check them: {missing}"


def pdf_text(data: bytes) -> str:
    """Return the text of a PDF, as pypdf extracts it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _walk(value):
    """Yield every dict inside a JSON value."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _export_tables(data: bytes, tmp_path) -> dict[str, list[dict]]:
    """Return the rows of each table of an export file (SQLite, a ZIP of CSV files, a CSV)."""
    import csv
    import io
    import zipfile

    import sqlite_utils

    from healthwise.exports.tables import TABLES

    if data.startswith(b"SQLite format 3\x00"):
        path = tmp_path / f"export-{new_id()}.sqlite"
        path.write_bytes(data)
        found = sqlite_utils.Database(path)
        return {name: list(found[name].rows) for name in found.table_names()}
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {name.removesuffix(".csv"): archive.read(name)
                       for name in archive.namelist()}
    else:
        rows = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        members = {next(t for t, table in TABLES.items() if table.column_names == rows): data}
    return {name: list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
            for name, raw in members.items()}


def _check_export(data: bytes, lonely, endpoint, tmp_path) -> None:
    """Hold an export file to the rule: no name nor remark, hidden counts blank, and the
    violence module's share moved by none of the hidden answers."""
    assert NAME.encode() not in data and REMARK.encode() not in data, endpoint
    found = _export_tables(data, tmp_path)
    assert NAME not in repr(found) and REMARK not in repr(found), endpoint
    assert {"checkpoint_figures", "module_figures"} & set(found), endpoint
    for row in found.get("checkpoint_figures", ()):
        if row["checkpoint_id"] in lonely["sensitive"]:
            assert row["answered"] in (None, "") and row["propose_action"] in (None, ""), row
    for row in found.get("module_figures", ()):
        if row["module_id"] == VIOLENCE:
            assert float(row["share"]) == 0, (endpoint, row)
            assert int(row["answered"]) == len(lonely["other"]), (endpoint, row)


def test_one_person_s_sensitive_answers_reach_no_view_above_facility_level(app, lonely,
                                                                          tmp_path):
    """Issue 9, case 2: the module share counted the sensitive "yes" answers (40 % for the
    violence module), beside "Hidden: fewer than 5 answers"."""
    client = app.test_client()
    sign_in(client, lonely["manager"])
    sensitive = set(lonely["sensitive"])
    for endpoint, url_of in ABOVE_FACILITY.items():
        for token in (None, *lonely["tokens"]):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if endpoint.startswith(PAGES) == bool(token):
                continue
            response = client.get(url_of(lonely), headers=headers)
            assert response.status_code == 200, endpoint
            if endpoint.startswith(("exports.", "exports_api.")):
                data = response.get_data()
                response.close()
                _check_export(data, lonely, endpoint, tmp_path)
                continue
            if response.mimetype == "application/pdf":
                text = pdf_text(response.data)
                assert NAME not in text and REMARK not in text, endpoint
                assert not [c for c in sensitive if c in text], endpoint
                continue
            text = response.get_data(as_text=True)
            assert NAME not in text and REMARK not in text, endpoint
            if endpoint.startswith("districts."):
                if endpoint != "districts.home":
                    violence = re.search(r"harassment and violence.*?</tr>", text, re.S).group(0)
                    assert "0%" in violence and "40%" not in violence, violence
                if endpoint == "districts.facility":
                    assert text.count("Hidden: fewer than 5 answers") >= len(sensitive)
                continue
            for found in _walk(json.loads(text)):
                if found.get("id") == VIOLENCE or found.get("module_id") == VIOLENCE:
                    if "share" in found:
                        assert found["share"] == 0, (endpoint, found)
                        assert found["n_answered"] == len(lonely["other"]), endpoint
                if found.get("checkpoint_id") in sensitive and "rank" not in found:
                    # Only its place in the list of sensitive checkpoints, hidden.
                    assert found == {"checkpoint_id": found["checkpoint_id"], "hidden": True,
                                     "answered": None, "action": None}, endpoint
                assert not ({"participant", "remark", "role", "responsible"} & set(found))


def test_a_refused_review_shows_the_facility_page_without_names(app, lonely):
    from tests.conftest import csrf_token

    client = app.test_client()
    sign_in(client, lonely["manager"])
    url = f"/manage/facilities/{lonely['facility'].id}/rounds/{lonely['round']}/review"
    response = client.post(url, data={"csrf_token": csrf_token(client), "comment": "x" * 2001})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "A comment has at most 2000 characters." in text
    assert NAME not in text and REMARK not in text
    violence = re.search(r"harassment and violence.*?</tr>", text, re.S).group(0)
    assert "0%" in violence and "40%" not in violence, violence
    assert text.count("Hidden: fewer than 5 answers") >= len(lonely["sensitive"])


def test_the_round_summary_ranks_without_hidden_checkpoints(app, lonely):
    client = app.test_client()
    url = ABOVE_FACILITY["districts_api.round_summary"](lonely)
    body = client.get(url, headers={"Authorization": f"Bearer {lonely['tokens'][0]}"}
                      ).get_json()
    assert body["round"]["participants"] == 1 and body["min_group"] == MIN_GROUP
    assert body["suggested"] == []  # the only "yes" answers were the hidden ones
    assert {a["checkpoint_id"] for a in body["achievements"]} == set(lonely["other"])
    assert all(s["hidden"] for s in body["sensitive"])


def test_five_answers_count_everywhere(app, lonely, make_token):
    sensitive, other = lonely["sensitive"], lonely["other"]
    phone = Phone(app.test_client(), lonely["facility"], make_token(lonely["facility"], ""))
    follow_up = _round(phone, [{**{c: "yes" for c in sensitive}, **{c: "no" for c in other}}]
                       * MIN_GROUP, previous_id=lonely["round"])
    headers = {"Authorization": f"Bearer {lonely['tokens'][0]}"}
    body = app.test_client().get(
        f"/api/v1/facilities/{lonely['facility'].id}/rounds/{follow_up}", headers=headers
    ).get_json()
    violence = next(m for m in body["modules"] if m["id"] == VIOLENCE)
    assert violence["share"] == pytest.approx(len(sensitive) / (len(sensitive) + len(other)))
    assert violence["previous_share"] == 0  # the baseline's hidden answers stay hidden
    assert {s["checkpoint_id"] for s in body["suggested"]} == set(sensitive)
    assert all(s["n_action"] == MIN_GROUP for s in body["suggested"])
    assert {(s["answered"], s["action"]) for s in body["sensitive"]
            if s["checkpoint_id"] in sensitive} == {(MIN_GROUP, MIN_GROUP)}
    rounds = app.test_client().get(f"/api/v1/facilities/{lonely['facility'].id}/rounds",
                                   headers=headers).get_json()["rounds"]
    assert [(r["id"], r["participants"]) for r in rounds] == [(follow_up, MIN_GROUP),
                                                             (lonely["round"], 1)]


def test_the_managers_api_keeps_to_the_token_s_districts(app, lonely, make_facility,
                                                         make_user):
    other = make_facility("Far Clinic", District(name="South"))
    headers = {"Authorization": f"Bearer {lonely['tokens'][0]}"}
    client = app.test_client()
    for url in (f"/api/v1/districts/{other.district_id}/summary",
                f"/api/v1/facilities/{other.id}/rounds",
                f"/api/v1/facilities/{other.id}/rounds/{lonely['round']}",
                f"/api/v1/facilities/{lonely['facility'].id}/rounds/{new_id()}",
                f"/api/v1/facilities/{lonely['facility'].id}/rounds/not-an-id",
                f"/api/v1/facilities/{2**70}/rounds", f"/api/v1/districts/{2**70}/summary"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    # An admin's token reaches both districts.
    admin = {"Authorization": f"Bearer {lonely['tokens'][1]}"}
    listed = client.get("/api/v1/districts", headers=admin).get_json()["districts"]
    assert {d["name"] for d in listed} == {"North", "South"}


# The rule itself, pure ------------------------------------------------------------------------


CHECKLIST = {"modules": [
    {"id": "m", "number": 1, "checkpoints": [
        {"id": "S-1", "sensitive": True, "severity": 3, "cost": "low"},
        {"id": "N-1", "severity": 2, "cost": "medium"},
        {"id": "N-2", "severity": 1, "cost": "high"},
        {"id": "S-2", "sensitive": True, "withdrawn": True}]},
    {"id": "n", "number": 2, "checkpoints": [{"id": "N-3"}, {"id": "S-3", "sensitive": True}]},
]}
ACTIONS = st.sampled_from(["yes", "no", "na", None])
SHEETS = st.lists(st.fixed_dictionaries({}, optional={
    cp: st.fixed_dictionaries({"action": ACTIONS, "priority": st.booleans(),
                               "remark": st.text(max_size=3)})
    for cp in ("S-1", "N-1", "N-2", "S-2", "N-3", "S-3", "X-9")}).map(
        lambda answers: {"participant": "Someone", "answers": answers}), max_size=8)


@settings(max_examples=200, deadline=None)
@given(SHEETS)
def test_disclosed_figures_are_the_ranking_s_without_the_hidden_checkpoints(responses):
    figures = disclose(CHECKLIST, responses)
    answered = {cp: sum(1 for r in responses
                        if (r["answers"].get(cp) or {}).get("action") in ("yes", "no", "na"))
                for cp in ("S-1", "S-3")}
    hidden = {cp for cp, n in answered.items() if n < MIN_GROUP}
    assert figures.withheld == hidden
    kept = [{"answers": {cp: a for cp, a in r["answers"].items() if cp not in hidden}}
            for r in responses]
    assert list(figures.modules) == priority.module_shares(CHECKLIST, kept)
    assert list(figures.suggested) == priority.prioritise(CHECKLIST, kept)
    assert list(figures.achievements) == priority.achievements(CHECKLIST, kept)
    assert figures.participants == len(responses)
    assert set(figures.counts) <= {"S-1", "N-1", "N-2", "N-3", "S-3"} - hidden
    for count in figures.sensitive:
        assert count.hidden == (count.checkpoint_id in hidden)
        if not count.hidden:
            assert count.answered == answered[count.checkpoint_id]


def test_a_disclosure_holds_no_name_remark_nor_response():
    responses = [{"participant": NAME, "role": "nurse",
                  "answers": {"N-1": {"action": "yes", "priority": True, "remark": REMARK}}}]
    figures = disclose(CHECKLIST, responses)
    figures.modules, figures.suggested  # noqa: B018 - work out every figure first
    assert NAME not in repr(vars(figures)) and REMARK not in repr(vars(figures))
    assert "responses" not in vars(figures)


def test_the_tokens_page_shows_when_a_manager_s_token_was_last_used(app, lonely):
    from healthwise.devices.models import DeviceToken

    def last_seen():
        with app.app_context():
            return db.session.scalar(db.select(DeviceToken.last_seen_at).where(
                DeviceToken.user_id == lonely["manager"].id))

    assert last_seen() is None
    headers = {"Authorization": f"Bearer {lonely['tokens'][0]}"}
    assert app.test_client().get("/api/v1/districts", headers=headers).status_code == 200
    assert last_seen() is not None


def test_a_removed_round_counts_nowhere_above_facility_level(app, lonely, make_token):
    phone = Phone(app.test_client(), lonely["facility"], make_token(lonely["facility"], ""))
    mistaken = _round(phone, [{c: "yes" for c in lonely["other"]}] * MIN_GROUP,
                      previous_id=lonely["round"])
    removal = phone.change("assessment", mistaken, {"removed": True}, base_rev=1)
    assert phone.sync([removal])["results"][0]["status"] == "applied"
    headers = {"Authorization": f"Bearer {lonely['tokens'][0]}"}
    client = app.test_client()
    facility = lonely["facility"].id
    rounds = client.get(f"/api/v1/facilities/{facility}/rounds", headers=headers).get_json()
    assert [r["id"] for r in rounds["rounds"]] == [lonely["round"]]
    assert client.get(f"/api/v1/facilities/{facility}/rounds/{mistaken}",
                      headers=headers).status_code == 404
    summary = client.get(f"/api/v1/districts/{lonely['district'].id}/summary",
                         headers=headers).get_json()["facilities"][0]
    assert summary["rounds"] == 1 and summary["participants"] == 1
    assert summary["latest_round"]["id"] == lonely["round"]


def test_the_manager_s_home_opens_each_facility_s_plans(client, make_facility, make_user):
    facility = make_facility()
    sign_in(client, make_user("manager", [facility.district]))
    page = client.get("/manage/").get_data(as_text=True)
    plans = f'href="/manage/facilities/{facility.id}/plans"'
    assert plans in page
    # ...and the plans page leads on to the facility's phones and enrolment codes.
    facility_page = client.get(f"/manage/facilities/{facility.id}/plans").get_data(as_text=True)
    assert f'href="/manage/facilities/{facility.id}"' in facility_page
