"""Every PDF and export route reads ``?lang=`` one way: missing, the request's language;
a language the server offers, that one; anything else, 400 ``unsupported_language``
naming the languages offered, and nothing rendered."""

from datetime import date

import pytest

from healthwise.config import LANGUAGES
from healthwise.devices.service import create_device_token, create_user_token
from healthwise.extensions import db
from healthwise.languages.service import gettext_for
from healthwise.workshops import service as workshops
from tests.conftest import Phone, loaded, sign_in


@pytest.fixture
def world(app, client, make_facility, make_token, make_user, make_workshop):
    """A district's facility with a round, its manager (page and API token), a workshop
    with a named participant and a practice round, and the URL of each document."""
    facility = make_facility()
    phone = Phone(client, facility, make_token(facility))
    assessment_id, _, changes = phone.round_changes(n_answers=2)
    phone.sync(changes)
    manager = make_user("manager", [facility.district])
    trainer = make_user("trainer")
    workshop = make_workshop(trainer=trainer)
    with loaded(app) as session:
        session.add(manager)
        _, manager_token = create_user_token(manager, "reports")
        create_device_token(workshop.facility_id, "Amina Diallo")
        found = session.get(type(workshop), workshop.id)
        practice = workshops.start_round(found, trainer.email, "Ward walk", [],
                                         today=date.today())
        db.session.commit()
    district = facility.district_id
    return {
        "phone": (phone.token, None, [
            f"/api/v1/assessments/{assessment_id}/plan.pdf"]),
        "manager_api": (manager_token, None, [
            f"/api/v1/districts/{district}/report.pdf",
            f"/api/v1/facilities/{facility.id}/rounds/{assessment_id}/plan.pdf"]),
        "anyone": (None, None, ["/api/v1/checklists/healthwise/xlsform"]),
        "manager": (None, manager, [
            f"/manage/districts/{district}/report.pdf",
            f"/manage/facilities/{facility.id}/rounds/{assessment_id}/plan.pdf"]),
        "trainer": (None, trainer, [
            f"/manage/workshops/{workshop.id}/certificates.pdf",
            f"/manage/workshops/{workshop.id}/rounds/{practice}/plan.pdf"]),
    }


def _each(app, world):
    """Yield (client, headers, url) for every document route, signed in as it needs."""
    for token, person, urls in world.values():
        client = app.test_client()
        if person is not None:
            sign_in(client, person)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for url in urls:
            yield client, headers, url


@pytest.mark.parametrize("asked", ["xx", "de", "english", "", "f" * 100])
def test_an_unknown_language_gets_a_400_that_names_the_languages_offered(app, world, asked):
    for client, headers, url in _each(app, world):
        response = client.get(f"{url}?lang={asked}", headers=headers)
        assert response.status_code == 400, (url, response.status_code)
        if url.startswith("/api/"):
            error = response.get_json()["error"]
            assert error["code"] == "unsupported_language", url
            assert error["details"]["supported"] == list(LANGUAGES)
            assert "fr (Français)" in error["message"], error
        else:
            page = response.get_data(as_text=True)
            assert response.mimetype == "text/html", url
            assert "Choose English, French, Spanish, Portuguese or Arabic" in page, url


def test_a_page_refuses_an_unknown_language_in_the_page_s_language(app, world):
    client, headers, url = next((c, h, u) for c, h, u in _each(app, world)
                                if u.endswith("certificates.pdf"))
    english = ("This language is not available. Choose English, French, Spanish, Portuguese "
               "or Arabic.")
    french = gettext_for("fr")[0](english)
    assert french != english
    response = client.get(f"{url}?lang=xx", headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert french.replace("'", "&#39;") in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["fr", "pt-BR", "ar"])
def test_an_offered_language_is_the_document_s(app, world, lang):
    code = lang[:2]
    for client, headers, url in _each(app, world):
        response = client.get(f"{url}?lang={lang}", headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        assert f"{code}." in response.headers["Content-Disposition"], url


def test_without_lang_a_document_is_in_the_request_s_language(app, world):
    for client, headers, url in _each(app, world):
        response = client.get(url, headers={**headers, "Accept-Language": "es"})
        assert response.status_code == 200, (url, response.status_code)
        assert "es." in response.headers["Content-Disposition"], url


def test_the_api_documents_the_400(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/assessments/{assessment_id}/plan.pdf",
                 "/api/v1/districts/{district_id}/report.pdf",
                 "/api/v1/checklists/{checklist_id}/xlsform"):
        assert "400" in paths[path]["get"]["responses"], path
