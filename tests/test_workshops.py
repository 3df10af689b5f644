"""Workshops: the service, joining with a code, participants' tokens, the trainer's pages, CLI."""

import io
import re
from datetime import date, timedelta

import pypdf
import pytest
from sqlalchemy import select

from healthwise.access import service as access
from healthwise.access.service import Scope
from healthwise.assessments.service import write_record
from healthwise.cli import main
from healthwise.devices import service as devices
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.extensions import db
from healthwise.facilities.models import Facility, Workshop
from healthwise.workshops import service
from tests.conftest import Phone, count, csrf_token, loaded, sign_in

DAY = date(2026, 12, 1)
TODAY = date.today().isoformat()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


# The service --------------------------------------------------------------------------------


def test_a_workshop_has_its_own_practice_facility_in_no_district(app, make_user,
                                                                  make_workshop):
    trainer = make_user("trainer")
    workshop = make_workshop("  Mombasa   training ", trainer=trainer)
    assert workshop.name == "Mombasa training" and workshop.trainer is trainer
    assert workshop.starts_on == workshop.ends_on == date.today()
    practice = workshop.facility
    assert practice.district_id is None and practice.district is None
    assert practice.name == "Mombasa training" and practice.kind == service.PRACTICE_KIND
    with app.app_context():
        assert access.workshop_of(practice.id).id == workshop.id
    assert make_workshop("Another", trainer=trainer).facility_id != practice.id


@pytest.mark.parametrize("role, name, ends_on, message", [
    ("manager", "Training", None, "not a trainer"),
    ("admin", "Training", None, "not a trainer"),
    ("trainer", "   ", None, "name of 1 to 200"),
    ("trainer", "x" * 201, None, "name of 1 to 200"),
    ("trainer", "Training", DAY - timedelta(days=1), "cannot end before it starts"),
    ("trainer", "Training", DAY + timedelta(days=367), "at most 366 days"),
])
def test_bad_workshops_are_refused(app, make_user, role, name, ends_on, message):
    person = make_user(role)
    with app.app_context(), pytest.raises(service.WorkshopError, match=message):
        service.create_workshop(db.session.merge(person), name, DAY, ends_on)
    assert count(app, Workshop) == 0 and count(app, Facility) == 0


def test_find_trainer(app, make_user):
    trainer = make_user("trainer", email="tom@example.org")
    make_user("manager", email="amina@example.org")
    with app.app_context():
        assert service.find_trainer(" Tom@Example.org").id == trainer.id
        with pytest.raises(service.WorkshopError, match="no account for ana@example.org"):
            service.find_trainer("ana@example.org")
        with pytest.raises(service.WorkshopError, match="not a trainer"):
            service.find_trainer("amina@example.org")


def test_a_participant_token_reaches_its_workshop_only(app, make_workshop):
    workshop = make_workshop()
    with app.app_context():
        token, _ = devices.create_device_token(workshop.facility_id, "participant")
        assert access.scope_of(token) == Scope(frozenset({workshop.facility_id}))


# Joining a workshop, as the phone does ------------------------------------------------------


def test_a_join_code_makes_a_workshop_participant(app, client, make_workshop):
    workshop = make_workshop("Mombasa training")
    with app.app_context():
        _, raw = devices.create_enrolment_code(workshop.facility_id, uses=100)
        db.session.commit()
    response = client.post("/api/v1/enrol", json={"code": raw, "device_name": "Participant 7"})
    assert response.status_code == 201
    scope = {"kind": "workshop",
             "workshop": {"id": workshop.id, "name": "Mombasa training",
                          "starts_on": TODAY, "ends_on": TODAY},
             "facility": {"id": workshop.facility_id, "name": "Mombasa training",
                          "kind": "workshop", "district": None},
             "facility_ids": [workshop.facility_id]}
    assert response.get_json()["scope"] == scope
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers=auth(token)).get_json()
    assert me["scope"] == scope and me["device"]["name"] == "Participant 7"
    with app.app_context():
        assert db.session.scalar(select(DeviceToken.facility_id)) == workshop.facility_id

    # The real walk-through, on the practice facility: the trainer's round, its plan and
    # the PDF (the trainer starts rounds: tests/test_workshop_rounds.py).
    phone = Phone(client, workshop.facility, token)
    assessment_id, _, changes = phone.round_changes(n_answers=3)
    with app.app_context():
        write_record(workshop.facility_id, "trainer@example.org", "assessment",
                     assessment_id, changes[0]["fields"])
        db.session.commit()
    assert {r["status"] for r in phone.sync(changes[1:])["results"]} == {"applied"}
    plan = client.get(f"/api/v1/assessments/{assessment_id}/plan", headers=auth(token))
    assert plan.status_code == 200
    pdf = client.get(f"/api/v1/assessments/{assessment_id}/plan.pdf", headers=auth(token),
                     query_string={"lang": "fr"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    first_page = pypdf.PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Mombasa training" in first_page and "Atelier" in first_page
    assert "hors district" in first_page and "District" not in first_page


def test_a_committee_phone_is_still_kind_facility(client, make_facility, make_token):
    facility = make_facility()
    me = client.get("/api/v1/me", headers=auth(make_token(facility))).get_json()
    assert me["scope"]["kind"] == "facility" and "workshop" not in me["scope"]


# The trainer's pages ------------------------------------------------------------------------


def test_a_trainer_runs_a_workshop_from_the_pages(app, client, make_user):
    trainer = make_user("trainer")
    sign_in(client, trainer)
    assert "/manage/workshops/" in client.get("/manage/").get_data(as_text=True)
    response = client.post("/manage/workshops/", data={
        "csrf_token": csrf_token(client), "name": "Nakuru training",
        "starts_on": "2026-12-01", "ends_on": "2026-12-03"})
    assert response.status_code == 303
    with loaded(app) as session:
        workshop = session.scalar(select(Workshop))
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    assert (workshop.trainer_id, workshop.starts_on, workshop.ends_on) == (
        trainer.id, DAY, date(2026, 12, 3))
    assert "Nakuru training" in client.get("/manage/workshops/").get_data(as_text=True)

    # A join code with its QR image, shown once.
    page = client.post(f"/manage/workshops/{workshop.id}/codes", data={
        "csrf_token": csrf_token(client), "uses": "40", "days": "2"}).get_data(as_text=True)
    raw = re.search(r'<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', page).group(1)
    assert 'src="data:image/svg+xml' in page and f"#/join?code={raw}" in page
    with loaded(app) as session:
        code = session.scalar(select(EnrolmentCode))
    assert (code.facility_id, code.uses_left) == (workshop.facility_id, 40)
    joined = app.test_client().post("/api/v1/enrol", json={"code": raw,
                                                           "device_name": "Wanjiru phone"})
    assert joined.get_json()["scope"]["kind"] == "workshop"
    token = joined.get_json()["token"]

    # Its phones, with "Revoke"; and "End" for the code. Both come back to the workshop.
    response = client.get(f"/manage/workshops/{workshop.id}")
    page = response.get_data(as_text=True)
    assert "Wanjiru phone" in page and raw not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in page and " style=" not in page
    with app.app_context():
        device_id = db.session.scalar(select(DeviceToken.id))
    response = client.post(f"/manage/devices/{device_id}/revoke",
                           data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    response = client.post(f"/manage/codes/{code.id}/end",
                           data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    again = app.test_client().post("/api/v1/enrol", json={"code": raw})
    assert again.status_code == 410


def test_a_blank_last_day_makes_a_one_day_workshop(app, client, make_user):
    sign_in(client, make_user("trainer"))
    response = client.post("/manage/workshops/", data={
        "csrf_token": csrf_token(client), "name": "One day", "starts_on": "2026-12-01",
        "ends_on": ""})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Workshop.ends_on)) == DAY


@pytest.mark.parametrize("form", [
    {"name": "", "starts_on": "2026-12-01"},
    {"name": "x" * 201, "starts_on": "2026-12-01"},
    {"name": "Training"},
    {"name": "Training", "starts_on": "soon"},
    {"name": "Training", "starts_on": "2026-12-03", "ends_on": "2026-12-01"},
    {"name": "Training", "starts_on": "2026-12-01", "ends_on": "2028-12-01"},
])
def test_a_bad_workshop_form_is_refused(app, client, make_user, form):
    sign_in(client, make_user("trainer"))
    response = client.post("/manage/workshops/", data={"csrf_token": csrf_token(client), **form})
    assert response.status_code == 422
    assert "Give the workshop a name" in response.get_data(as_text=True)
    assert count(app, Workshop) == 0 and count(app, Facility) == 0


def test_a_bad_join_code_form_is_refused(app, client, make_workshop):
    workshop = make_workshop()
    sign_in(client, workshop.trainer)
    response = client.post(f"/manage/workshops/{workshop.id}/codes",
                           data={"csrf_token": csrf_token(client), "uses": "0", "days": "1"})
    assert response.status_code == 422
    assert count(app, EnrolmentCode) == 0


def test_workshop_forms_without_their_csrf_token_change_nothing(app, client, make_workshop):
    workshop = make_workshop()
    sign_in(client, workshop.trainer)
    for url, form in (("/manage/workshops/", {"name": "Sneaky", "starts_on": "2026-12-01"}),
                      (f"/manage/workshops/{workshop.id}/codes", {"uses": "5", "days": "1"})):
        for token in (None, "forged", csrf_token(app.test_client())):
            data = dict(form, **({"csrf_token": token} if token else {}))
            assert client.post(url, data=data).status_code == 400, (url, token)
    assert count(app, Workshop) == 1 and count(app, EnrolmentCode) == 0


def test_an_admin_sees_every_workshop_with_its_trainer(client, make_user, make_workshop):
    tom, ana = make_user("trainer", email="tom@example.org"), make_user("trainer",
                                                                        email="ana@example.org")
    make_workshop("Tom's training", trainer=tom)
    make_workshop("Ana's training", trainer=ana)
    sign_in(client, make_user("admin"))
    page = client.get("/manage/workshops/").get_data(as_text=True)
    assert "Tom&#39;s training" in page and "Ana&#39;s training" in page
    assert "tom@example.org" in page and "ana@example.org" in page
    assert 'name="starts_on"' not in page  # admins create workshops with the command


# The command --------------------------------------------------------------------------------


def test_cli_creates_and_lists_workshops(app, runner, monkeypatch):
    monkeypatch.setenv("HEALTHWISE_PASSWORD", "a long password")
    result = runner.invoke(main, ["user", "create", "--email", "tom@example.org",
                                  "--role", "trainer"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["workshop", "create", "--trainer", "Tom@example.org",
                                  "--name", "Mombasa training", "--starts", "2026-12-01",
                                  "--ends", "2026-12-03"])
    assert result.exit_code == 0, result.output
    with loaded(app) as session:
        workshop = session.scalar(select(Workshop))
    assert result.output == (f'Created workshop {workshop.id} "Mombasa training" for '
                             f"tom@example.org, practice facility {workshop.facility_id}.\n")
    listing = runner.invoke(main, ["workshop", "list"]).output
    assert listing == (f"{workshop.id}\tMombasa training\t2026-12-01\t2026-12-03\t"
                       f"tom@example.org\t{workshop.facility_id}\n")
    assert "Mombasa" not in runner.invoke(main, ["facility", "list"]).output
    # Its join code from a terminal: an enrolment code of the practice facility.
    raw = runner.invoke(main, ["code", "create", "--facility",
                               str(workshop.facility_id)]).output.strip()
    joined = app.test_client().post("/api/v1/enrol", json={"code": raw})
    assert joined.get_json()["scope"]["workshop"]["id"] == workshop.id


def test_cli_workshop_starts_today_by_default(app, runner, make_user):
    make_user("trainer", email="tom@example.org")
    result = runner.invoke(main, ["workshop", "create", "--trainer", "tom@example.org",
                                  "--name", "Today"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Workshop.starts_on)) == date.today()


@pytest.mark.parametrize("args, message", [
    (["--trainer", "nobody@example.org", "--name", "X"], "no account for nobody@example.org"),
    (["--trainer", "amina@example.org", "--name", "X"], "not a trainer"),
    (["--trainer", "tom@example.org", "--name", "X", "--starts", "2026-12-03", "--ends",
      "2026-12-01"], "cannot end before it starts"),
    (["--trainer", "tom@example.org", "--name", "X", "--starts", "tomorrow"], "tomorrow"),
])
def test_cli_refuses_bad_workshops(app, runner, make_user, make_facility, args, message):
    make_user("trainer", email="tom@example.org")
    make_user("manager", [make_facility().district], email="amina@example.org")
    result = runner.invoke(main, ["workshop", "create", *args])
    assert result.exit_code != 0 and message in result.output
    assert count(app, Workshop) == 0
