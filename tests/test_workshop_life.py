"""A workshop's life: the trainer's landing, the projector, joining with a name, closing,
the end after the last day, results, certificates, reuse and reset (issue 13)."""

import csv
import io
import re
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import date, timedelta

import pypdf
import pytest
from sqlalchemy import select

from healthwise.assessments.models import Assessment
from healthwise.cli import main
from healthwise.devices import service as devices
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.extensions import db
from healthwise.facilities.models import District, Workshop
from healthwise.workshops import service
from tests.conftest import DEFAULT_PASSWORD, Phone, count, csrf_token, loaded, sign_in
from tests.test_plans_api import folded

TODAY = date.today()
PRACTICE_MARK = "Zanzibarpractice"
SECRET_PERSON = "Secretparticipant Wanjiru"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def _join(app, raw, name):
    response = app.test_client().post("/api/v1/enrol", json={"code": raw, "device_name": name})
    return response


def _code(app, workshop, uses=100):
    with app.app_context():
        code, raw = devices.create_enrolment_code(workshop.facility_id, uses=uses)
        db.session.commit()
        return code.id, raw


def _practise(app, workshop, name="Wanjiru Kamau"):
    """Join the workshop with a named phone and sync a round; return the phone."""
    _, raw = _code(app, workshop)
    token = _join(app, raw, name).get_json()["token"]
    phone = Phone(app.test_client(), workshop.facility, token)
    assessment_id, _, changes = phone.round_changes(n_answers=3)
    # The trainer starts the round (participants join it: they do not start their own).
    with loaded(app) as session:
        found = session.get(Workshop, workshop.id)
        assessment_id = service.start_round(found, "trainer@example.org",
                                                      f"{PRACTICE_MARK} round", [])
        session.commit()
    changes = changes[1:]
    changes[0]["fields"]["assessment_id"] = assessment_id
    changes[0]["fields"]["participant"] = SECRET_PERSON
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    phone.assessment_id = assessment_id
    return phone


def _medium(day: date) -> str:
    from babel.dates import format_date

    return format_date(day, "medium", locale="en")


def _post(client, url, **form):
    return client.post(url, data={"csrf_token": csrf_token(client), **form})


# Landing ------------------------------------------------------------------------------------


def test_a_trainer_lands_on_their_workshops_with_dates_phones_and_status(
        app, client, make_user, make_workshop):
    trainer = make_user("trainer", email="tom@example.org")
    running = make_workshop("Running training", trainer=trainer)
    make_workshop("Upcoming training", trainer=trainer, starts_on=TODAY + timedelta(days=7))
    make_workshop("Ended training", trainer=trainer, starts_on=TODAY - timedelta(days=3),
                  ends_on=TODAY - timedelta(days=1))
    closed = make_workshop("Closed training", trainer=trainer)
    with loaded(app) as session:
        service.close_workshop(session.merge(closed))
        session.commit()
    _, raw = _code(app, running)
    for name in ("Ana", "Baraka"):
        assert _join(app, raw, name).status_code == 201
    response = client.post("/manage/sign-in", data={
        "csrf_token": csrf_token(client), "email": "tom@example.org",
        "password": DEFAULT_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/manage/workshops/"
    # The brand link and /manage/ take a trainer to the workshops too.
    home = client.get("/manage/")
    assert home.status_code == 303 and home.headers["Location"] == "/manage/workshops/"
    page = client.get("/manage/workshops/").get_data(as_text=True)
    items = {re.sub(r"<[^>]+>", " ", item).split()[0]: " ".join(re.sub(r"<[^>]+>", " ",
                                                                       item).split())
             for item in re.findall(r"<li>(.*?)</li>", page, re.S)}
    assert items["Running"] == f"Running training Running {_medium(TODAY)} · 2 phones"
    assert "Upcoming training Upcoming" in items["Upcoming"]
    assert "Ended training Ended" in items["Ended"] and "0 phones" in items["Ended"]
    assert "Closed training Closed" in items["Closed"]
    assert items["Ended"].startswith(f"Ended training Ended {_medium(TODAY - timedelta(days=3))}"
                                     f" – {_medium(TODAY - timedelta(days=1))}")


def test_a_manager_still_lands_on_the_facilities(app, client, make_user, make_facility):
    manager = make_user("manager", [make_facility().district], email="amina@example.org")
    response = client.post("/manage/sign-in", data={
        "csrf_token": csrf_token(client), "email": manager.email,
        "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_statuses():
    workshop = Workshop(starts_on=TODAY, ends_on=TODAY + timedelta(days=2))
    assert workshop.status(TODAY - timedelta(days=1)) == "upcoming"
    assert workshop.status(TODAY) == workshop.status(TODAY + timedelta(days=2)) == "running"
    assert workshop.status(TODAY + timedelta(days=3)) == "ended"
    assert not workshop.over(TODAY + timedelta(days=2))
    assert workshop.over(TODAY + timedelta(days=3))
    workshop.closed_at = TODAY
    assert workshop.status(TODAY) == "closed" and workshop.over(TODAY)


# The projector ------------------------------------------------------------------------------


def test_the_projector_shows_the_join_code_again_and_again(app, client, make_workshop,
                                                           make_facility):
    workshop = make_workshop("Mombasa training")
    sign_in(client, workshop.trainer)
    url = f"/manage/workshops/{workshop.id}/projector"
    page = client.get(url).get_data(as_text=True)
    assert "No join code can be used now." in page and 'name="csrf_token"' in page
    assert _post(client, url).headers["Location"] == url
    assert _post(client, url).status_code == 303  # a second press makes no second code
    with loaded(app) as session:
        (code,) = session.scalars(select(EnrolmentCode)).all()
    assert code.uses_left == 100 and re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code.code)
    assert code.expires_at.date() == TODAY + timedelta(days=1)
    first, again = client.get(url), client.get(url)
    for response in (first, again):
        page = response.get_data(as_text=True)
        assert f'<p class="projector-code" dir="ltr" translate="no">{code.code}</p>' in page
        assert f"#/join?code={code.code}&amp;workshop=1" in page
        assert 'src="data:image/svg+xml' in page
        assert "<script" not in page and " style=" not in page
        assert response.headers["Cache-Control"] == "no-store"
    # A phone that scanned it before the page was opened again still joins with it.
    assert _join(app, code.code, "Late arrival").status_code == 201
    assert "1 phone has joined." in client.get(url).get_data(as_text=True)
    # A code made on the workshop page shows on the projector too; a committee's code
    # stays hash-only.
    page = _post(client, f"/manage/workshops/{workshop.id}/codes", uses="5",
                 days="1").get_data(as_text=True)
    raw = re.search(r'<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', page).group(1)
    assert "Show it again on the projector" in page and "shown only now" not in page
    assert f"#/join?code={raw}&amp;workshop=1" in page
    assert raw in client.get(url).get_data(as_text=True)
    with app.app_context():
        committee, _ = devices.create_enrolment_code(make_facility().id)
        assert committee.code is None


def test_another_trainer_gets_404_and_a_manager_403(app, client, make_user, make_workshop,
                                                    make_facility):
    workshop = make_workshop()
    urls = [f"/manage/workshops/{workshop.id}/projector",
            f"/manage/workshops/{workshop.id}/certificates.pdf?lang=fr",
            f"/manage/workshops/{workshop.id}/export.zip",
            f"/manage/workshops/{workshop.id}/export.sqlite",
            f"/manage/workshops/?from={workshop.id}"]
    sign_in(client, make_user("trainer"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in ("close", "reset", "projector"):
        assert _post(client, f"/manage/workshops/{workshop.id}/{url}",
                     confirm="yes").status_code == 404
    manager = app.test_client()
    sign_in(manager, make_user("manager", [make_facility().district]))
    for url in urls:
        assert manager.get(url).status_code == 403, url
    with loaded(app) as session:
        assert session.get(Workshop, workshop.id).closed_at is None


# Closing and the end after the last day -----------------------------------------------------


def test_the_new_forms_without_their_csrf_token_change_nothing(app, client, make_workshop):
    workshop = make_workshop()
    _practise(app, workshop)
    sign_in(client, workshop.trainer)
    for action in ("close", "reset", "projector"):
        for token in (None, "forged"):
            data = {"confirm": "yes", **({"csrf_token": token} if token else {})}
            response = client.post(f"/manage/workshops/{workshop.id}/{action}", data=data)
            assert response.status_code == 400, (action, token)
    with loaded(app) as session:
        found = session.get(Workshop, workshop.id)
        assert (found.closed_at, found.reset_at) == (None, None)
        assert session.scalar(select(Assessment.removed)) is False
    assert count(app, EnrolmentCode) == 1


def test_an_ended_workshop_offers_closing_but_no_reset(app, client, make_workshop):
    workshop = make_workshop(starts_on=TODAY - timedelta(days=3),
                             ends_on=TODAY - timedelta(days=1))
    sign_in(client, workshop.trainer)
    page = client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert "Close the workshop" in page and "Reset the practice facility" not in page
    assert "Ended" in page


def test_closing_ends_the_phones_and_the_codes_and_keeps_the_data(app, client, make_workshop):
    workshop = make_workshop()
    phone = _practise(app, workshop)
    code_id, raw = _code(app, workshop)
    sign_in(client, workshop.trainer)
    url = f"/manage/workshops/{workshop.id}/close"
    refused = _post(client, url)  # the box not ticked
    assert refused.status_code == 422 and "Tick the box to confirm." in refused.get_data(
        as_text=True)
    assert _post(client, url, confirm="no").status_code == 422
    assert client.get("/api/v1/me", headers=auth(phone.token)).status_code == 200
    response = _post(client, url, confirm="yes")
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The workshop is closed" in page and "Close the workshop" not in page
    for response in (client.get("/api/v1/me", headers=auth(phone.token)),
                     phone.client.post("/api/v1/sync", headers=auth(phone.token), json={
                         "device_id": phone.device_id, "changes": []})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "workshop_closed"
        assert "workshop has ended" in response.get_json()["error"]["message"]
    joined = _join(app, raw, "Too late")
    assert joined.status_code == 410 and joined.get_json()["error"]["code"] == "workshop_closed"
    with loaded(app) as session:
        assert session.get(EnrolmentCode, code_id).uses_left == 0
        assert session.scalar(select(Assessment.removed)) is False
    assert count(app, Assessment) == 1
    assert "This workshop is over" in client.get(
        f"/manage/workshops/{workshop.id}/projector").get_data(as_text=True)
    # The results and the certificates are still there.
    assert client.get(f"/manage/workshops/{workshop.id}/export.zip").status_code == 200
    assert client.get(f"/manage/workshops/{workshop.id}/certificates.pdf").status_code == 200


def test_a_workshop_ends_by_itself_after_its_last_day(app, make_workshop):
    workshop = make_workshop(starts_on=TODAY - timedelta(days=2),
                             ends_on=TODAY - timedelta(days=1))
    with app.app_context():
        _, secret = devices.create_device_token(workshop.facility_id, "Yesterday's phone")
        _, raw = devices.create_enrolment_code(workshop.facility_id)
        db.session.commit()
    response = app.test_client().get("/api/v1/me", headers=auth(secret))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "workshop_closed"
    joined = _join(app, raw, "Too late")
    assert joined.status_code == 410 and joined.get_json()["error"]["code"] == "workshop_closed"
    with loaded(app) as session:  # the refusal took no use of the code
        assert session.scalar(select(EnrolmentCode.uses_left)) == 30
    # Its last day itself still works.
    today = make_workshop("Ends today", starts_on=TODAY - timedelta(days=1), ends_on=TODAY)
    with app.app_context():
        _, secret = devices.create_device_token(today.facility_id, "Today's phone")
        db.session.commit()
    assert app.test_client().get("/api/v1/me", headers=auth(secret)).status_code == 200


# Training data stays out of every district view ---------------------------------------------


def test_no_workshop_data_in_district_pages_reports_exports_or_the_api(
        app, make_user, make_facility, make_token, make_workshop):
    district = District(name="North")
    facility = make_facility("Riverside", district)
    committee = Phone(app.test_client(), facility, make_token(facility))
    committee.sync(committee.round_changes(n_answers=3)[2])
    admin = make_user("admin")
    workshop = make_workshop(f"{PRACTICE_MARK} training")
    phone = _practise(app, workshop)
    markers = [PRACTICE_MARK, SECRET_PERSON, phone.assessment_id, "Wanjiru Kamau"]
    pages = app.test_client()
    sign_in(pages, admin)
    with app.app_context():
        _, token = devices.create_user_token(db.session.merge(admin), "admin")
        db.session.commit()
    district_id, facility_id = district.id, facility.id
    api_urls = ["/api/v1/districts", f"/api/v1/districts/{district_id}/summary",
                f"/api/v1/districts/{district_id}/overview",
                f"/api/v1/districts/{district_id}/report.pdf",
                f"/api/v1/facilities/{facility_id}/rounds",
                f"/api/v1/districts/{district_id}/export.sqlite",
                f"/api/v1/districts/{district_id}/export.zip",
                f"/api/v1/districts/{district_id}/export/rounds.csv"]
    page_urls = ["/manage/", f"/manage/districts/{district_id}",
                 f"/manage/districts/{district_id}/report.pdf",
                 f"/manage/facilities/{facility_id}/plans",
                 f"/manage/districts/{district_id}/export.sqlite",
                 f"/manage/districts/{district_id}/export.zip", "/manage/registry/"]
    seen = 0
    for client, urls, headers in ((app.test_client(), api_urls, auth(token)),
                                  (pages, page_urls, {})):
        for url in urls:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            data = response.get_data()
            response.close()
            texts = [data]
            if response.mimetype == "application/pdf":
                texts.append("".join(p.extract_text() for p in pypdf.PdfReader(
                    io.BytesIO(data)).pages).encode())
            if response.mimetype == "application/zip":
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    texts += [archive.read(name) for name in archive.namelist()]
            for text in texts:
                for marker in markers:
                    assert marker.encode() not in text, (url, marker)
            seen += 1
    assert seen == len(api_urls) + len(page_urls)
    # The district's own round is there: the walk saw real data.
    overview = pages.get(f"/manage/districts/{district_id}").get_data(as_text=True)
    assert "Riverside" in overview


# The workshop's results ---------------------------------------------------------------------


def test_the_workshop_export_holds_its_rounds_and_no_names(app, client, make_workshop,
                                                           tmp_path):
    workshop = make_workshop(f"{PRACTICE_MARK} training")
    phone = _practise(app, workshop)
    sign_in(client, workshop.trainer)
    page = client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)
    assert f'href="/manage/workshops/{workshop.id}/export.zip"' in page
    assert f'href="/manage/workshops/{workshop.id}/export.sqlite"' in page
    response = client.get(f"/manage/workshops/{workshop.id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="healthwise-workshop-zanzibarpractice-training-{TODAY}.zip"')
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert set(members) == {"facilities.csv", "rounds.csv", "action_items.csv",
                            "module_figures.csv", "checkpoint_figures.csv"}
    rows = {name: list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            for name, data in members.items()}
    assert [(r["id"], r["district_id"], r["name"]) for r in rows["facilities.csv"]] == [
        (str(workshop.facility_id), "", f"{PRACTICE_MARK} training")]
    assert [(r["id"], r["title"], r["participants"]) for r in rows["rounds.csv"]] == [
        (phone.assessment_id, f"{PRACTICE_MARK} round", "1")]
    assert rows["module_figures.csv"]
    for data in members.values():
        assert SECRET_PERSON.encode() not in data and b"Wanjiru Kamau" not in data
    response = client.get(f"/manage/workshops/{workshop.id}/export.sqlite")
    path = tmp_path / "workshop.sqlite"
    path.write_bytes(response.data)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM districts").fetchone() == (0,)
        assert con.execute("SELECT id FROM rounds").fetchall() == [(phone.assessment_id,)]
        meta = dict(con.execute("SELECT key, value FROM metadata").fetchall())
    assert meta["workshop"] == str(workshop.id) and "districts" not in meta
    assert "participants' names" in meta["leaves_out"]
    assert SECRET_PERSON.encode() not in path.read_bytes()
    # The command writes the same files.
    out = tmp_path / "cli.sqlite"
    result = app.test_cli_runner().invoke(main, ["export", "sqlite", "--workshop",
                                                 str(workshop.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out) as con:
        assert con.execute("SELECT id FROM rounds").fetchall() == [(phone.assessment_id,)]
    out = tmp_path / "cli.zip"
    result = app.test_cli_runner().invoke(main, ["export", "csv", "--workshop",
                                                 str(workshop.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rounds.csv" in zipfile.ZipFile(out).namelist()
    for args, message in ((["--workshop", "987654"], "no workshop 987654"),
                          (["--workshop", "1", "--all"], "--district ID or --all")):
        result = app.test_cli_runner().invoke(main, ["export", "csv", *args,
                                                     "--out", str(tmp_path / "x")])
        assert result.exit_code != 0 and message in result.output


# Certificates -------------------------------------------------------------------------------

CERTIFICATE_WORDS = {
    "en": ("Certificate of participation", "took part in the HealthWISE workshop"),
    "fr": ("Certificat de participation", "a participé à l'atelier HealthWISE"),
    "es": ("Certificado de participación", "participó en el taller HealthWISE"),
    "pt": ("Certificado de participação", "participou na oficina HealthWISE"),
    "ar": ("شهادة مشاركة", "شارك في ورشة عمل HealthWISE"),
}


@pytest.mark.parametrize("lang", sorted(CERTIFICATE_WORDS))
def test_certificates_in_every_language(app, client, make_user, make_workshop, lang):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    trainer = make_user("trainer", email="tom@example.org")
    workshop = make_workshop("Formation de Mombasa", trainer=trainer,
                             starts_on=TODAY, ends_on=TODAY + timedelta(days=2))
    _practise(app, workshop, "Wanjiru Kamau")
    _, raw = _code(app, workshop)
    for name in ("فاطمة الزهراء", "  José   Müller ", "", "Wanjiru Kamau"):
        _join(app, raw, name)
    sign_in(client, trainer)
    response = client.get(f"/manage/workshops/{workshop.id}/certificates.pdf",
                          query_string={"lang": lang})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="Formation-de-Mombasa_certificates_{lang}.pdf"')
    pages = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=response.data,
                           capture_output=True, check=True).stdout.decode().split("\f")
    pages = [page for page in pages if page.strip()]
    # One page per participant: a phone with no name gets none, the same name one.
    assert len(pages) == 3
    title, took_part = CERTIFICATE_WORDS[lang]
    for page, name in zip(pages, ("Wanjiru Kamau", "فاطمة الزهراء", "José Müller"),
                          strict=True):
        lines = [folded(line) for line in page.splitlines() if line.strip()]
        for text in (name, title, took_part, "Formation de Mombasa", "tom@example.org"):
            assert any(folded(text) in line for line in lines), (lang, text, lines)
        assert any(str(TODAY.year) in line for line in lines)
        # The module of the checkpoints answered in the practice round.
        assert len([line for line in lines if "HealthWISE" in line]) >= 2
    assert len(pypdf.PdfReader(io.BytesIO(response.data)).pages) == 3


def test_certificates_refuse_an_unknown_language_and_an_empty_workshop(app, client,
                                                                       make_workshop):
    workshop = make_workshop()
    sign_in(client, workshop.trainer)
    url = f"/manage/workshops/{workshop.id}/certificates.pdf"
    assert client.get(url, query_string={"lang": "xx"}).status_code == 400
    empty = client.get(url)
    assert empty.status_code == 409 and "no certificate to print" in empty.get_data(
        as_text=True)


def test_certificate_text_is_never_markup(app):
    from healthwise.languages.service import gettext_for
    from healthwise.workshops import certificates

    facts = certificates.Workshop("<b>Training</b> & co", TODAY, TODAY, "t@example.org",
                                  ("Module <i>one</i>",))
    pdf = certificates.render_certificates(facts, ['<img src="http://x/y.png"/> Ana'], "en",
                                           gettext_for("en")[0])
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "<b>Training</b> & co" in text and '<img src="http://x/y.png"/> Ana' in text


# Reuse and reset ----------------------------------------------------------------------------


def test_a_new_workshop_from_a_previous_ones_set_up(app, client, make_workshop):
    previous = make_workshop("Mombasa training, group 1", starts_on=TODAY - timedelta(days=10),
                             ends_on=TODAY - timedelta(days=8))
    sign_in(client, previous.trainer)
    page = client.get(f"/manage/workshops/{previous.id}").get_data(as_text=True)
    assert f'href="/manage/workshops/?from={previous.id}#new"' in page
    form = client.get(f"/manage/workshops/?from={previous.id}").get_data(as_text=True)
    starts, ends = TODAY + timedelta(days=4), TODAY + timedelta(days=6)
    assert 'value="Mombasa training, group 2"' in form
    assert f'name="starts_on" required value="{starts}"' in form
    assert f'name="ends_on" value="{ends}"' in form
    assert starts.weekday() == previous.starts_on.weekday()
    assert client.get("/manage/workshops/?from=987654").status_code == 404
    assert [service.next_name(n) for n in ("Nakuru 2026 (group 9)", "Kisumu", "Cohort 1B")] == [
        "Nakuru 2026 (group 10)", "Kisumu", "Cohort 2B"]
    # A workshop yet to come keeps its dates.
    later = Workshop(name="Later", starts_on=TODAY + timedelta(days=3),
                     ends_on=TODAY + timedelta(days=3))
    assert service.setup_from(later, TODAY)["starts_on"] == later.starts_on.isoformat()


def test_resetting_the_practice_facility_for_the_next_group(app, client, make_workshop):
    workshop = make_workshop()
    first = _practise(app, workshop, "First group")
    watcher = _practise(app, workshop, "Watcher")
    code_id, _raw = _code(app, workshop)
    sign_in(client, workshop.trainer)
    url = f"/manage/workshops/{workshop.id}/reset"
    assert _post(client, url).status_code == 422
    assert count(app, DeviceToken, DeviceToken.revoked_at.is_not(None)) == 0
    response = _post(client, url, confirm="yes")
    assert response.status_code == 303
    assert "2 rounds removed, 2 phones signed out" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    with loaded(app) as session:
        assert set(session.scalars(select(Assessment.removed))) == {True}
        assert session.get(EnrolmentCode, code_id).uses_left == 0
    for phone in (first, watcher):
        response = phone.client.get("/api/v1/me", headers=auth(phone.token))
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_token"
    # The next group starts clean: its phone pulls the rounds as removed, and the
    # certificates name only the new group.
    _, raw = _code(app, workshop)
    token = _join(app, raw, "Second group").get_json()["token"]
    pulled = Phone(app.test_client(), workshop.facility, token).sync()
    removed = {c["id"]: c["fields"]["removed"] for c in pulled["changes"]
               if c["type"] == "assessment"}
    assert removed == {first.assessment_id: True, watcher.assessment_id: True}
    with loaded(app) as session:
        assert service.participant_names(session.get(Workshop, workshop.id)) == ["Second group"]
