"""The /manage pages isolate what people typed: an English name inside an Arabic page."""

import pytest
from flask import url_for

from tests.conftest import loaded, sign_in

NAME = "St. Mary (Annex)"


@pytest.fixture
def arabic(app, make_facility, make_user, make_workshop):
    facility = make_facility(NAME)
    manager = make_user("manager", [facility.district], email="head.nurse@example.org")
    admin = make_user("admin")
    workshop = make_workshop("Mombasa (March)")
    with loaded(app) as session:
        session.add(workshop)
        workshop.trainer.email  # noqa: B018 - loaded for the test
    return facility, manager, admin, workshop


def page(app, user, endpoint, **args):
    client = app.test_client()
    sign_in(client, user)
    with app.test_request_context():
        url = url_for(endpoint, **args)
    response = client.get(url, headers={"Accept-Language": "ar"})
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert 'dir="rtl"' in html
    return html


def test_names_and_emails_are_isolated_in_arabic_pages(app, arabic):
    facility, manager, admin, workshop = arabic
    home = page(app, manager, "districts.home")
    assert f"<bdi>{NAME}</bdi>" in home
    assert "<bdi>head.nurse@example.org</bdi>" in home
    assert f"<bdi>{facility.district.name}</bdi>" in home
    assert f"<h1><bdi>{NAME}</bdi></h1>" in page(
        app, manager, "devices.facility", facility_id=facility.id)
    assert f"<bdi>{NAME}</bdi>" in page(
        app, manager, "districts.district", district_id=facility.district_id)
    shown = page(app, admin, "workshops.workshop", workshop_id=workshop.id)
    assert "<h1><bdi>Mombasa (March)</bdi></h1>" in shown
    assert f"<bdi>{workshop.trainer.email}</bdi>" in shown
    assert "<bdi>Mombasa (March)</bdi>" in page(app, admin, "workshops.index")
