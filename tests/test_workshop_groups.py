"""A participant's phone knows its group; a workshop set up from another copies its
groups; the trainer's "Start the round" sent twice starts one round (issue 13)."""

import uuid

from sqlalchemy import select

from healthwise.assessments.models import Assessment
from healthwise.extensions import db
from healthwise.facilities.models import Workshop
from healthwise.workshops.models import WorkshopGroup
from tests.conftest import count
from tests.test_workshop_rounds import auth, devices_of, join, module_ids, trainer_client

__all__ = ["trainer_client"]  # the fixture, shared


def _groups(app, workshop) -> dict[str, WorkshopGroup]:
    with app.app_context():
        found = db.session.scalars(select(WorkshopGroup).where(
            WorkshopGroup.workshop_id == workshop.id).order_by(WorkshopGroup.id)).all()
        db.session.expunge_all()
        return {g.name: g for g in found}


def _split(app, client, workshop):
    """Two groups, Amina in A and Baraka in B, Chausiku in none; each group's round
    started with its own modules. Return the phones, the groups and the module ids."""
    phones = {n: join(app, client, workshop, n) for n in ("Amina", "Baraka", "Chausiku")}
    for name in ("Group A", "Group B"):
        client.post(f"/manage/workshops/{workshop.id}/groups",
                    data={"csrf_token": client.csrf, "name": name})
    groups = _groups(app, workshop)
    with app.app_context():
        tokens = {t.name: t.id for t in devices_of(workshop)}
    assert client.post(f"/manage/workshops/{workshop.id}/groups/phones", data={
        "csrf_token": client.csrf, f"phone-{tokens['Amina']}": groups["Group A"].id,
        f"phone-{tokens['Baraka']}": groups["Group B"].id}).status_code == 303
    first, second, third = module_ids()[:3]
    for group, title, modules in (("Group A", "Maternity ward", [first]),
                                  ("Group B", "Outpatients", [second, third])):
        assert client.post(f"/manage/workshops/{workshop.id}/rounds", data={
            "csrf_token": client.csrf, "title": title, "modules": modules,
            "group_id": groups[group].id}).status_code == 303
    return phones, _groups(app, workshop), (first, second, third)


def test_a_phone_learns_its_group_its_round_and_whose_each_round_is(app, client,
                                                                    trainer_client):
    client, workshop = trainer_client
    phones, groups, (first, second, third) = _split(app, client, workshop)
    mine = client.get("/api/v1/workshop", headers=auth(phones["Amina"].token))
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["workshop"]["id"] == workshop.id
    assert body["group"] == {"id": groups["Group A"].id, "name": "Group A",
                             "walks": "Maternity ward", "modules": [first],
                             "round": groups["Group A"].assessment_id}
    assert {r["id"]: r["group"] for r in body["rounds"]} == {
        groups["Group A"].assessment_id: "Group A", groups["Group B"].assessment_id: "Group B"}
    # The group's round is what the phone pulls, with its modules.
    pulled = {c["id"]: c["fields"] for c in phones["Amina"].sync()["changes"]
              if c["type"] == "assessment"}
    assert pulled[body["group"]["round"]]["modules"] == [first]
    baraka = client.get("/api/v1/workshop", headers=auth(phones["Baraka"].token)).get_json()
    assert baraka["group"]["name"] == "Group B"
    assert baraka["group"]["modules"] == [second, third]
    nobody = client.get("/api/v1/workshop", headers=auth(phones["Chausiku"].token)).get_json()
    assert nobody["group"] is None and len(nobody["rounds"]) == 2
    # No names of other phones, no answers: only the groups' names and rounds.
    assert "Baraka" not in mine.get_data(as_text=True)


def test_the_group_endpoint_refuses_committee_phones_and_managers(client, phone, make_user):
    response = client.get("/api/v1/workshop", headers=auth(phone.token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "workshop_phone_required"
    assert client.get("/api/v1/workshop").status_code == 401


def test_a_new_workshop_from_this_one_copies_its_groups_not_its_people(app, client,
                                                                        trainer_client):
    client, workshop = trainer_client
    phones, groups, (first, second, third) = _split(app, client, workshop)
    form = client.get(f"/manage/workshops/?from={workshop.id}").get_data(as_text=True)
    assert f'name="from" value="{workshop.id}"' in form
    assert "Group A, Group B" in form
    response = client.post("/manage/workshops/", data={
        "csrf_token": client.csrf, "name": "Mombasa training 2", "starts_on": "2027-01-04",
        "from": str(workshop.id)})
    assert response.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Workshop).where(Workshop.name == "Mombasa training 2"))
        new_id = new.id
    copied = _groups(app, new)
    assert [(g.name, g.walks, g.modules, g.token_ids, g.assessment_id)
            for g in copied.values()] == [
        ("Group A", "Maternity ward", [first], [], None),
        ("Group B", "Outpatients", [second, third], [], None)]
    # The old workshop keeps its own, untouched; the new one has no round yet.
    assert _groups(app, workshop)["Group A"].token_ids == groups["Group A"].token_ids
    assert count(app, Assessment, Assessment.facility_id == new.facility_id) == 0
    # The groups page offers each copied group's round, with what it walks.
    page = client.get(f"/manage/workshops/{new_id}/groups").get_data(as_text=True)
    assert "Maternity ward" in page and "Start this group's round" in page
    assert client.post(f"/manage/workshops/{new_id}/rounds", data={
        "csrf_token": client.csrf, "title": "Maternity ward", "modules": [first],
        "group_id": copied["Group A"].id, "round_id": str(uuid.uuid4())}).status_code == 303
    started = _groups(app, new)["Group A"]
    with app.app_context():
        assert db.session.get(Assessment, started.assessment_id).modules == [first]


def test_copying_another_trainer_s_workshop_is_refused_and_creates_nothing(
        app, client, trainer_client, make_workshop):
    client, workshop = trainer_client
    other = make_workshop(name="Someone else's")
    before = count(app, Workshop)
    response = client.post("/manage/workshops/", data={
        "csrf_token": client.csrf, "name": "Copy", "starts_on": "2027-01-04",
        "from": str(other.id)})
    assert response.status_code == 422
    assert count(app, Workshop) == before
    for bad in ("x", "-1", "99999999999"):
        assert client.post("/manage/workshops/", data={
            "csrf_token": client.csrf, "name": "Copy", "starts_on": "2027-01-04",
            "from": bad}).status_code == 422
    assert count(app, Workshop) == before


def test_start_the_round_sent_twice_starts_one_round(app, client, trainer_client):
    client, workshop = trainer_client
    page = client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert 'name="round_id"' in page
    form = {"csrf_token": client.csrf, "title": "Ward walk", "round_id": str(uuid.uuid4())}
    for _ in range(2):  # a double tap, or the browser sending the form again
        assert client.post(f"/manage/workshops/{workshop.id}/rounds",
                           data=form).status_code == 303
    assert count(app, Assessment, Assessment.facility_id == workshop.facility_id) == 1
    # Another page load makes another id: a second round on purpose is still possible.
    form["round_id"] = str(uuid.uuid4())
    client.post(f"/manage/workshops/{workshop.id}/rounds", data=form)
    assert count(app, Assessment, Assessment.facility_id == workshop.facility_id) == 2
    for bad in ("not-a-uuid", "1" * 40):
        assert client.post(f"/manage/workshops/{workshop.id}/rounds", data={
            **form, "round_id": bad}).status_code == 422
    assert count(app, Assessment, Assessment.facility_id == workshop.facility_id) == 2


def test_a_round_id_of_another_facility_is_refused(app, client, trainer_client, phone):
    client, workshop = trainer_client
    assessment_id, _, changes = phone.round_changes(n_answers=0)
    phone.sync(changes)
    response = client.post(f"/manage/workshops/{workshop.id}/rounds", data={
        "csrf_token": client.csrf, "title": "Ward walk", "round_id": assessment_id})
    assert response.status_code == 422
    assert count(app, Assessment, Assessment.facility_id == workshop.facility_id) == 0
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).title == "Baseline"


def test_a_closed_workshop_s_projector_shows_no_code(app, client, trainer_client):
    client, workshop = trainer_client
    client.post(f"/manage/workshops/{workshop.id}/projector", data={"csrf_token": client.csrf})
    assert client.post(f"/manage/workshops/{workshop.id}/close", data={
        "csrf_token": client.csrf, "confirm": "yes"}).status_code == 303
    page = client.get(f"/manage/workshops/{workshop.id}/projector")
    assert page.status_code == 200 and 'class="projector-code"' not in page.get_data(
        as_text=True)
    # The same press on a closed workshop makes no code and says why.
    again = client.post(f"/manage/workshops/{workshop.id}/projector",
                        data={"csrf_token": client.csrf}, follow_redirects=True)
    assert again.status_code == 200
    assert "no longer work" in again.get_data(as_text=True)
    assert 'class="projector-code"' not in again.get_data(as_text=True)



def test_a_closed_workshop_starts_no_round(app, client, trainer_client, runner):
    client, workshop = trainer_client
    assert client.post(f"/manage/workshops/{workshop.id}/close", data={
        "csrf_token": client.csrf, "confirm": "yes"}).status_code == 303
    response = client.post(f"/manage/workshops/{workshop.id}/rounds", data={
        "csrf_token": client.csrf, "title": "Ward walk", "round_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert "no round can start" in response.get_data(as_text=True)
    from healthwise.cli import main

    result = runner.invoke(main, ["workshop", "start-round", "--workshop", str(workshop.id),
                                  "--title", "Ward walk"])
    assert result.exit_code != 0 and "no round can start" in result.output
    assert count(app, Assessment, Assessment.facility_id == workshop.facility_id) == 0
