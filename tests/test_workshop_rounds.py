"""Trainers' rounds for everyone, groups, the live view and the consensus (issue 13)."""

import io
import time
import uuid

import pypdf
import pytest
from sqlalchemy import event, select

from healthwise.assessments.models import ActionItem, Assessment
from healthwise.assessments.service import write_record
from healthwise.devices import service as devices
from healthwise.extensions import db
from healthwise.workshops import live, service
from healthwise.workshops.models import WorkshopGroup
from tests.conftest import Phone, checklist_ids, count, csrf_token, loaded, new_id, sign_in

MODULES = ("a", "b")


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def _checklist():
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    return registry_for(str(CHECKLISTS_DIR)).get("healthwise")


def module_ids():
    return [m["id"] for m in _checklist().data["modules"]]


def join(app, client, workshop, name):
    """Return a participant's phone of the workshop (joined with a code, as the app does)."""
    with app.app_context():
        token, secret = devices.create_device_token(workshop.facility_id, name)
        db.session.commit()
    return Phone(client, workshop.facility, secret)


def start(app, workshop, title="Practice round", modules=(), group=None):
    with loaded(app):
        found = db.session.merge(workshop)
        group = db.session.get(WorkshopGroup, group) if group else None
        aid = service.start_round(found, "trainer@example.org", title, list(modules), group)
        db.session.commit()
        return aid


def answers(phone, assessment_id, name, marks):
    """Return the changes of a participant joining a round and answering ``marks``:
    {checkpoint_id: (action, priority)}."""
    response_id = new_id()
    changes = [phone.change("response", response_id, {"assessment_id": assessment_id,
                                                      "participant": name, "role": "nurse"})]
    for checkpoint_id, (action, priority) in marks.items():
        changes.append(phone.change("answer", new_id(), {
            "response_id": response_id, "checkpoint_id": checkpoint_id, "action": action,
            "priority": priority, "remark": ""}))
    return changes


@pytest.fixture
def trainer_client(client, make_workshop):
    workshop = make_workshop()
    sign_in(client, workshop.trainer)
    client.csrf = csrf_token(client)
    return client, workshop


# Rounds started by the trainer --------------------------------------------------------------


def test_the_trainer_starts_a_round_and_every_phone_pulls_it(app, client, trainer_client):
    client, workshop = trainer_client
    phones = [join(app, client, workshop, f"Participant {n}") for n in range(3)]
    first = module_ids()[0]
    response = client.post(f"/manage/workshops/{workshop.id}/rounds", data={
        "csrf_token": client.csrf, "title": "Group A — ergonomics", "modules": [first]})
    assert response.status_code == 303
    with app.app_context():
        (round_,) = db.session.scalars(select(Assessment)).all()
        assert (round_.facility_id, round_.title, round_.modules, round_.status) == (
            workshop.facility_id, "Group A — ergonomics", [first], "open")
    for phone in phones:
        pulled = [c for c in phone.sync()["changes"] if c["type"] == "assessment"]
        assert [(c["id"], c["fields"]["modules"]) for c in pulled] == [(round_.id, [first])]
    # A participant joins it and answers a checkpoint of its module.
    checkpoint = next(cp for cp, m in _checklist().module_of.items() if m == first)
    results = phones[0].sync(answers(phones[0], round_.id, "Amina",
                                     {checkpoint: ("yes", True)}))["results"]
    assert {r["status"] for r in results} == {"applied"}
    page = client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert "Group A — ergonomics" in page and "Start the practice round" in page


def test_a_participant_cannot_start_a_round_of_their_own(app, client, make_workshop):
    workshop = make_workshop()
    phone = join(app, client, workshop, "Participant 1")
    aid, _, changes = phone.round_changes(n_answers=1)
    results = phone.sync(changes)["results"]
    assert results[0]["status"] == "rejected"
    assert results[0]["error"]["code"] == "trainer_starts_rounds"
    assert count(app, Assessment) == 0


def test_the_command_starts_the_trainers_round_and_phones_pull_it(app, client, runner,
                                                                 make_workshop):
    from healthwise.cli import main

    workshop = make_workshop()
    phone = join(app, client, workshop, "Participant 1")
    result = runner.invoke(main, ["workshop", "start-round", "--workshop", str(workshop.id),
                                  "--title", "Ward walk", "--module", "hazards"])
    assert result.exit_code == 0, result.output
    (pulled,) = [c for c in phone.sync()["changes"] if c["type"] == "assessment"]
    assert pulled["id"] == result.output.strip()
    assert (pulled["fields"]["title"], pulled["fields"]["modules"]) == ("Ward walk", ["hazards"])
    for args, message in ((["--workshop", "99999999999"], "no workshop"),
                          (["--workshop", str(workshop.id), "--module", "nope"], "modules")):
        bad = runner.invoke(main, ["workshop", "start-round", "--title", "T", *args])
        assert bad.exit_code != 0 and message in bad.output
    assert count(app, Assessment) == 1


def test_a_committee_phone_still_starts_its_own_rounds(phone):
    _, _, changes = phone.round_changes(n_answers=1)
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}


@pytest.mark.parametrize("modules, code", [
    (["no-such-module"], "unknown_module"),
    (["{first}", "{first}"], "unknown_module"),
    ("{first}", "invalid"),
    ([1], "invalid"),
    (["x" * 51], "invalid"),
])
def test_a_rounds_modules_are_checked(phone, modules, code):
    first = module_ids()[0]
    value = [m.format(first=first) if isinstance(m, str) else m for m in modules] \
        if isinstance(modules, list) else modules.format(first=first)
    aid, _, changes = phone.round_changes(n_answers=0)
    changes[0]["fields"]["modules"] = value
    results = phone.sync(changes[:1])["results"]
    assert results[0]["status"] == "rejected" and results[0]["error"]["code"] == code


def test_a_rounds_modules_may_be_set_null_or_empty(phone):
    aid, _, changes = phone.round_changes(n_answers=0)
    changes[0]["fields"]["modules"] = module_ids()[:2]
    assert phone.sync(changes[:1])["results"][0]["status"] == "applied"
    for value in ([], None):
        change = phone.change("assessment", aid, {"modules": value}, base_rev=None)
        result = phone.sync([{**change, "base_rev": 1}])["results"][0]
        assert result["status"] in ("applied", "merged"), result


@pytest.mark.parametrize("form", [
    {"title": ""},
    {"title": "x" * 201},
    {"title": "Round", "modules": ["no-such-module"]},
    {"title": "Round", "group_id": "987"},
    {"title": "Round", "group_id": "many"},
])
def test_a_bad_round_form_is_refused_and_changes_nothing(app, trainer_client, form):
    client, workshop = trainer_client
    response = client.post(f"/manage/workshops/{workshop.id}/rounds",
                           data={"csrf_token": client.csrf, **form})
    assert response.status_code == 422
    assert "Give the round a title" in response.get_data(as_text=True)
    assert count(app, Assessment) == 0


# Groups -------------------------------------------------------------------------------------


def test_groups_each_walk_their_own_round(app, client, trainer_client):
    client, workshop = trainer_client
    amina, baraka, chausiku = (join(app, client, workshop, n) for n in ("Amina", "Baraka",
                                                                        "Chausiku"))
    for name in ("Group A", "Group B"):
        assert client.post(f"/manage/workshops/{workshop.id}/groups", data={
            "csrf_token": client.csrf, "name": name}).status_code == 303
    assert client.post(f"/manage/workshops/{workshop.id}/groups", data={
        "csrf_token": client.csrf, "name": "group a"}).status_code == 422
    with app.app_context():
        groups = {g.name: g.id for g in db.session.scalars(select(WorkshopGroup))}
        tokens = {t.name: t.id for t in devices_of(workshop)}
    response = client.post(f"/manage/workshops/{workshop.id}/groups/phones", data={
        "csrf_token": client.csrf, f"phone-{tokens['Amina']}": groups["Group A"],
        f"phone-{tokens['Baraka']}": groups["Group B"], f"phone-{tokens['Chausiku']}": ""})
    assert response.status_code == 303
    page = client.get(f"/manage/workshops/{workshop.id}/groups").get_data(as_text=True)
    assert "Group A" in page and "Baraka" in page
    first, second = module_ids()[:2]
    for group, module in (("Group A", first), ("Group B", second)):
        assert client.post(f"/manage/workshops/{workshop.id}/rounds", data={
            "csrf_token": client.csrf, "title": f"{group} — module {module}",
            "modules": [module], "group_id": groups[group]}).status_code == 303
    state = client.get(f"/manage/workshops/{workshop.id}/live.json").get_json()
    assert [(p["name"], p["group"]) for p in state["phones"]] == [
        ("Amina", "Group A"), ("Baraka", "Group B"), ("Chausiku", None)]
    rounds = {r["group"]: r for r in state["rounds"]}
    assert rounds["Group A"]["modules"] == [first] and rounds["Group B"]["modules"] == [second]
    assert {g["name"]: g["round"] for g in state["groups"]} == {
        "Group A": rounds["Group A"]["id"], "Group B": rounds["Group B"]["id"]}
    # A phone of another workshop, or a group of another workshop, cannot be placed.
    other = service_workshop(app, workshop)
    bad = client.post(f"/manage/workshops/{workshop.id}/groups/phones", data={
        "csrf_token": client.csrf, f"phone-{other}": groups["Group A"]})
    assert bad.status_code == 422
    bad = client.post(f"/manage/workshops/{workshop.id}/groups/phones", data={
        "csrf_token": client.csrf, f"phone-{tokens['Amina']}": "99999"})
    assert bad.status_code == 422
    with app.app_context():
        placed = {g.name: g.token_ids for g in db.session.scalars(select(WorkshopGroup))}
    assert placed == {"Group A": [tokens["Amina"]], "Group B": [tokens["Baraka"]]}


def devices_of(workshop):
    from healthwise.devices.models import DeviceToken

    return db.session.scalars(select(DeviceToken).where(
        DeviceToken.facility_id == workshop.facility_id).order_by(DeviceToken.id))


def service_workshop(app, workshop):
    """Return the id of a phone of another workshop (same trainer)."""
    with loaded(app):
        trainer = db.session.merge(workshop.trainer)
        other = service.create_workshop(trainer, "Other training", workshop.starts_on)
        token, _ = devices.create_device_token(other.facility_id, "Stranger")
        db.session.commit()
        return token.id


# Scoping ------------------------------------------------------------------------------------


def test_a_participant_sees_only_their_workshop(app, client, make_workshop, make_user):
    trainer = make_user("trainer")
    alpha, bravo = make_workshop("Alpha", trainer=trainer), make_workshop("Bravo",
                                                                          trainer=trainer)
    alpha_round, bravo_round = start(app, alpha, "Alpha round"), start(app, bravo, "Bravo round")
    a_phone, b_phone = join(app, client, alpha, "In Alpha"), join(app, client, bravo, "In Bravo")
    b_phone.sync(answers(b_phone, bravo_round, "Secret Bravo Person",
                         {checklist_ids()[0]: ("yes", True)}))
    pulled = a_phone.sync()["changes"]
    assert {c["id"] for c in pulled if c["type"] == "assessment"} == {alpha_round}
    assert "Secret Bravo Person" not in str(pulled) and "Bravo" not in str(pulled)
    # Nor can it write into the other workshop's round.
    results = a_phone.sync(answers(a_phone, bravo_round, "Intruder",
                                   {checklist_ids()[0]: ("no", False)}))["results"]
    assert {r["status"] for r in results} == {"rejected"}
    # The trainer's live view of Alpha knows nothing of Bravo.
    sign_in(client, trainer)
    state = client.get(f"/manage/workshops/{alpha.id}/live.json").get_json()
    assert "Bravo" not in str(state) and [r["id"] for r in state["rounds"]] == [alpha_round]
    assert client.get(f"/manage/workshops/{alpha.id}/live.json",
                      query_string={"round": bravo_round}).get_json()["round"]["id"] == alpha_round


# The live view ------------------------------------------------------------------------------


def _response(name, marks):
    return {"participant": name, "role": "",
            "answers": {cp: {"action": a, "priority": p} for cp, (a, p) in marks.items()}}


def test_live_counts_match_hand_made_answers():
    checklist = {"modules": [
        {"id": "m1", "checkpoints": [{"id": "c1", "severity": 3, "cost": "low"},
                                     {"id": "c2", "severity": 1, "cost": "high"},
                                     {"id": "c3", "severity": 2, "cost": "low",
                                      "withdrawn": True}]},
        {"id": "m2", "checkpoints": [{"id": "c4", "severity": 2, "cost": "medium"}]},
        {"id": "m3", "optional": True, "checkpoints": [{"id": "c5", "severity": 1,
                                                        "cost": "low"}]}]}
    responses = [
        _response("Amina", {"c1": ("yes", True), "c2": ("no", True), "c4": ("na", False)}),
        _response("Baraka", {"c1": ("yes", False), "c2": ("yes", True), "c4": (None, False)}),
        _response("Chausiku", {"c1": ("no", False), "c4": ("yes", True), "c3": ("yes", True),
                               "c5": ("yes", False)}),
        _response("", {}),
    ]
    figures = live.round_figures(checklist, None, responses)
    assert figures["total"] == 3  # c3 is withdrawn, m3 optional
    assert [(p["name"], p["answered"]) for p in figures["participants"]] == [
        ("Amina", 3), ("Baraka", 2), ("Chausiku", 2), ("", 0)]
    assert figures["answered"] == 7
    by_id = {c["id"]: c for c in figures["checkpoints"]}
    assert {k: by_id["c1"][k] for k in ("yes", "no", "na", "priority", "answered",
                                        "disagree")} == {
        "yes": 2, "no": 1, "na": 0, "priority": 1, "answered": 3, "disagree": True}
    # A priority mark on "no" is not a priority (as in the plan).
    assert (by_id["c2"]["yes"], by_id["c2"]["no"], by_id["c2"]["priority"]) == (1, 1, 1)
    assert (by_id["c4"]["yes"], by_id["c4"]["na"], by_id["c4"]["answered"],
            by_id["c4"]["disagree"]) == (1, 1, 2, True)
    # Each split one against at least one: in checklist order.
    assert [c["id"] for c in figures["disputes"]] == ["c1", "c2", "c4"]
    # Two against two comes before one against three.
    split = [_response(n, {"c1": ("yes" if n in "AB" else "no", False),
                           "c2": ("yes" if n in "AB" else "na", False),
                           "c4": ("yes" if n == "A" else "no", False)}) for n in "ABCDE"]
    assert [c["id"] for c in live.round_figures(checklist, None, split)["disputes"]] == [
        "c1", "c2", "c4"]
    split[1]["answers"]["c1"]["action"] = "no"
    assert [c["id"] for c in live.round_figures(checklist, None, split)["disputes"]] == [
        "c2", "c1", "c4"]
    # An optional module's answers count for its checkpoint, not for progress.
    assert (by_id["c5"]["yes"], by_id["c5"]["answered"]) == (1, 1)
    assert [p["checkpoint_id"] for p in figures["priorities"]][0] == "c1"
    assert {p["checkpoint_id"] for p in figures["priorities"]} == {"c1", "c2", "c4", "c5"}
    # Chosen by the trainer, an optional module counts for progress too.
    assert live.round_figures(checklist, ["m3"], responses)["total"] == 1
    # Only the round's modules count.
    only = live.round_figures(checklist, ["m2"], responses)
    assert only["total"] == 1 and only["answered"] == 2
    assert [c["id"] for c in only["checkpoints"]] == ["c4"]
    assert [p["checkpoint_id"] for p in only["priorities"]] == ["c4"]
    assert live.progress(7, 3, 4) == 58 and live.progress(0, 3, 0) == 0


def test_the_live_json_counts_answers_synced_by_phones(app, client, trainer_client):
    client, workshop = trainer_client
    aid = start(app, workshop)
    first, second = checklist_ids()[:2]
    for name, marks in (("Amina", {first: ("yes", True), second: ("no", False)}),
                        ("Baraka", {first: ("no", False)})):
        phone = join(app, client, workshop, f"{name}'s phone")
        phone.sync(answers(phone, aid, name, marks))
    state = client.get(f"/manage/workshops/{workshop.id}/live.json").get_json()
    assert [p["name"] for p in state["phones"]] == ["Amina's phone", "Baraka's phone"]
    detail = state["round"]
    assert detail["id"] == aid and detail["answered"] == 3
    assert [(p["name"], p["answered"]) for p in detail["participants"]] == [("Amina", 2),
                                                                           ("Baraka", 1)]
    counts = {c["id"]: c for c in detail["checkpoints"]}
    assert (counts[first]["yes"], counts[first]["no"], counts[first]["priority"],
            counts[first]["disagree"]) == (1, 1, 1, True)
    assert [p["checkpoint_id"] for p in detail["priorities"]] == [first]
    page = client.get(f"/manage/workshops/{workshop.id}/live").get_data(as_text=True)
    assert "Amina" in page and "Emerging priorities" in page and "live.js" in page


def test_the_live_view_answers_304_until_something_changes(app, client, trainer_client):
    client, workshop = trainer_client
    aid = start(app, workshop)
    phone = join(app, client, workshop, "Phone 1")
    for url in (f"/manage/workshops/{workshop.id}/live.json",
                f"/manage/workshops/{workshop.id}/live/panel"):
        first = client.get(url)
        etag = first.headers["ETag"]
        assert first.status_code == 200
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        changes = answers(phone, aid, "Amina", {checklist_ids()[0]: ("yes", False)})
        phone.sync(changes)
        changed = client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        # A new phone joining, or a group, changes it too.
        etag = changed.headers["ETag"]
        join(app, client, workshop, f"Late phone {url[-4:]}")
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_the_live_view_costs_the_same_queries_for_ten_or_a_hundred_phones(
        app, client, trainer_client):
    client, workshop = trainer_client
    aid = start(app, workshop)
    ids = checklist_ids()

    def queries_for(n_phones):
        for n in range(n_phones):
            phone = join(app, client, workshop, f"Phone {uuid.uuid4().hex[:6]}")
            phone.sync(answers(phone, aid, f"P{n}", {cp: ("yes", n % 2 == 0)
                                                     for cp in ids[:5]}))
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = client.get(f"/manage/workshops/{workshop.id}/live.json")
                cached = client.get(f"/manage/workshops/{workshop.id}/live.json",
                                    headers={"If-None-Match": response.headers["ETag"]})
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        assert cached.status_code == 304
        return len(statements), response.get_json()

    few, _ = queries_for(10)
    many, state = queries_for(90)
    assert few == many
    assert state["round"]["answered"] == 100 * 5 and len(state["phones"]) == 100


def test_a_hundred_phones_answer_and_the_live_view_counts_them_all(app, client,
                                                                   trainer_client):
    client, workshop = trainer_client
    aid = start(app, workshop)
    ids = checklist_ids()[:70]
    phones = [join(app, client, workshop, f"Phone {n:03d}") for n in range(100)]
    started = time.perf_counter()
    for n, phone in enumerate(phones):
        assert phone.sync()["changes"][0]["id"] == aid  # every phone pulls the round
        marks = {cp: ("yes" if (n + i) % 3 == 0 else "no" if (n + i) % 3 == 1 else "na",
                      (n + i) % 5 == 0) for i, cp in enumerate(ids)}
        results = phone.sync(answers(phone, aid, f"Participant {n:03d}", marks))["results"]
        assert {r["status"] for r in results} == {"applied"}
    synced = time.perf_counter() - started
    state = client.get(f"/manage/workshops/{workshop.id}/live.json").get_json()
    detail = state["round"]
    assert len(state["phones"]) == 100 and len(detail["participants"]) == 100
    assert detail["answered"] == 100 * 70
    assert all(p["answered"] == 70 for p in detail["participants"])
    first = {c["id"]: c for c in detail["checkpoints"]}[ids[0]]
    expected_yes = sum(1 for n in range(100) if n % 3 == 0)
    expected_priority = sum(1 for n in range(100) if n % 3 == 0 and n % 5 == 0)
    assert (first["yes"], first["priority"], first["answered"]) == (
        expected_yes, expected_priority, 100)
    assert detail["total"] == 74  # the modules that are not optional
    assert state["rounds"][0]["progress"] == round(100 * 70 / detail["total"])
    assert synced < 120


# The consensus ------------------------------------------------------------------------------


def test_the_room_agrees_a_plan_and_its_pdf_renders(app, client, trainer_client):
    client, workshop = trainer_client
    aid = start(app, workshop, "Consensus round")
    first, second, third = checklist_ids()[:3]
    phone = join(app, client, workshop, "Amina's phone")
    phone.sync(answers(phone, aid, "Amina", {first: ("yes", True), second: ("yes", False),
                                             third: ("no", False)}))
    page = client.get(f"/manage/workshops/{workshop.id}/rounds/{aid}/agree")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index(f'value="{first}"') < text.index(f'value="{second}"')
    assert f'value="{third}"' not in text  # nobody proposes action on it
    response = client.post(f"/manage/workshops/{workshop.id}/rounds/{aid}/agree", data={
        "csrf_token": client.csrf, "pick": [second, first],
        f"action-{first}": "Buy two lifting belts", f"responsible-{first}": "Matron",
        f"due_on-{first}": "2027-01-15", f"cost-{first}": "medium",
        f"action-{second}": "Fix the lock", f"cost-{second}": "low"})
    assert response.status_code == 303
    with app.app_context():
        items = db.session.scalars(select(ActionItem).order_by(ActionItem.rank)).all()
        assert [(i.checkpoint_id, i.action, i.responsible, i.due_on, i.cost, i.rank, i.status)
                for i in items] == [
            (second, "Fix the lock", "", None, "low", 1, "planned"),
            (first, "Buy two lifting belts", "Matron", "2027-01-15", "medium", 2, "planned")]
        assert db.session.get(Assessment, aid).status == "agreed"
    # The phone sees the agreed plan at its next sync.
    pulled = phone.sync()["changes"]
    assert {c["fields"]["action"] for c in pulled if c["type"] == "action_item"} == {
        "Buy two lifting belts", "Fix the lock"}
    assert [c["fields"]["status"] for c in pulled if c["type"] == "assessment"] == ["agreed"]
    # Agreeing the same line again adds nothing.
    client.post(f"/manage/workshops/{workshop.id}/rounds/{aid}/agree", data={
        "csrf_token": client.csrf, "pick": [first], f"action-{first}": "Again"})
    assert count(app, ActionItem) == 2
    for lang, word in (("en", "Buy two lifting belts"), ("fr", "Buy two lifting belts"),
                       ("es", "Matron"), ("pt", "Matron"), ("ar", "Matron")):
        pdf = client.get(f"/manage/workshops/{workshop.id}/rounds/{aid}/plan.pdf",
                         query_string={"lang": lang})
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
        assert word in text or lang == "ar"


@pytest.mark.parametrize("form", [
    {},
    {"pick": ["{first}"]},
    {"pick": ["{first}"], "action-{first}": "x" * 1001},
    {"pick": ["{first}"], "action-{first}": "Do it", "due_on-{first}": "soon"},
    {"pick": ["{first}"], "action-{first}": "Do it", "cost-{first}": "free"},
    {"pick": ["nope"], "action-nope": "Do it"},
])
def test_a_bad_agreement_is_refused_and_changes_nothing(app, trainer_client, form):
    client, workshop = trainer_client
    aid = start(app, workshop)
    first = checklist_ids()[0]
    data = {key.format(first=first): ([v.format(first=first) for v in value]
                                      if isinstance(value, list) else value)
            for key, value in form.items()}
    response = client.post(f"/manage/workshops/{workshop.id}/rounds/{aid}/agree",
                           data={"csrf_token": client.csrf, **data})
    assert response.status_code == 422
    assert count(app, ActionItem) == 0
    with app.app_context():
        assert db.session.get(Assessment, aid).status == "open"


def test_rounds_of_another_workshop_are_not_found(app, trainer_client, make_workshop):
    client, workshop = trainer_client
    other_round = start(app, make_workshop("Someone else's"), "Theirs")
    for url in (f"/manage/workshops/{workshop.id}/rounds/{other_round}/agree",
                f"/manage/workshops/{workshop.id}/rounds/{other_round}/plan.pdf"):
        assert client.get(url).status_code == 404


def test_write_record_names_the_trainer_in_the_history(app, make_workshop):
    from healthwise.assessments.models import Change

    workshop = make_workshop()
    aid = start(app, workshop)
    with app.app_context():
        (change,) = db.session.scalars(select(Change)).all()
        assert (change.record_id, change.actor, change.token_id) == (
            aid, "trainer@example.org", None)
    assert write_record  # the trainer writes through the one server-side write
