"""The district report (issue 12): the district page as a PDF for the district health team.

It names every facility of the district and none of another, carries no participant's
name, remark, "responsible" or progress note (markers are planted in each), counts a
sensitive checkpoint only where five or more answered it, renders in the five
languages, and is reached by the district's managers and admins only (the route
matrix of ``tests/test_access.py`` tries every role; here, the few answers it does not
look at).
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pypdf
import pytest

from healthwise.checklists.registry import registry_for
from healthwise.config import CHECKLISTS_DIR, LANGUAGES
from healthwise.devices import service
from healthwise.districts import report
from healthwise.districts.disclosure import MIN_GROUP
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility
from healthwise.languages.service import gettext_for
from tests.conftest import Phone, new_id, sign_in

NAME, REMARK = "Witness Marker Person", "Remark marker in the store room"
RESPONSIBLE, NOTE = "Responsible Marker Matron", "Progress note marker"
OPEN_ACTION, DONE_ACTION = "Fix the alarm button (open marker)", "Paint the ward (done marker)"
FACILITIES = ("Alpha Clinic", "Beta Health Centre", "Gamma Hospital", "Delta Clinic",
              "Epsilon Dispensary", "Zeta Dispensary")
VIOLENCE = "violence"


def registry():
    """Return the shipped checklists (no application context needed)."""
    return registry_for(str(CHECKLISTS_DIR))


def _violence() -> tuple[list[str], list[str]]:
    """Return the violence module's sensitive and other checkpoint ids."""
    module = next(m for m in registry().get("healthwise").data["modules"]
                  if m["id"] == VIOLENCE)
    live = [c for c in module["checkpoints"] if not c.get("withdrawn")]
    return ([c["id"] for c in live if c.get("sensitive")],
            [c["id"] for c in live if not c.get("sensitive")])


def _round(phone: Phone, people: list[dict[str, str]], items=(), started="2026-06-01") -> str:
    """Sync a round with a response per dict of {checkpoint_id: action}, and its items."""
    assessment_id = new_id()
    changes = [phone.change("assessment", assessment_id, {
        "facility_id": phone.facility.id, "checklist_id": "healthwise", "checklist_version": 1,
        "title": "Walk-through", "kind": "baseline", "status": "agreed",
        "started_on": started})]
    for number, answers in enumerate(people):
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": f"{NAME} {number}",
            "role": "nurse"}))
        changes += [phone.change("answer", new_id(), {
            "response_id": response_id, "checkpoint_id": checkpoint_id, "action": action,
            "priority": action == "yes", "remark": REMARK})
            for checkpoint_id, action in answers.items()]
    changes += [phone.change("action_item", new_id(), {
        "assessment_id": assessment_id, "responsible": RESPONSIBLE, "progress_note": NOTE,
        "cost": "low", **fields}) for fields in items]
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return assessment_id


@pytest.fixture
def north(app, make_token, make_user):
    """A district of six facilities (one never assessed) and one of another district.

    Alpha: five participants answer every violence checkpoint "yes" (counted), with an
    open overdue action and a done one. Beta: one participant answers the sensitive
    ones "yes" and the others "no" (withheld). The rest: two or three participants.
    """
    sensitive, other = _violence()
    with app.app_context():
        district = District(name="North")
        facilities = [Facility(name=name, district=district, kind="clinic")
                      for name in FACILITIES]
        far = Facility(name="Far Away Clinic", district=District(name="South"))
        db.session.add_all([*facilities, far])
        db.session.commit()
        ids = {f.name: f.id for f in facilities}
        district_id, far_id = district.id, far.id
    client = app.test_client()

    def phone(name: str, facility_id: int) -> Phone:
        with app.app_context():
            facility = db.session.get(Facility, facility_id)
            db.session.expunge(facility)
        return Phone(client, facility, make_token(facility))

    everything = sensitive + other
    _round(phone("Alpha Clinic", ids["Alpha Clinic"]), [dict.fromkeys(everything, "yes")] * 5,
           items=[{"checkpoint_id": sensitive[0], "action": OPEN_ACTION, "status": "planned",
                   "due_on": "2026-07-01", "rank": 1},
                  {"checkpoint_id": other[0], "action": DONE_ACTION, "status": "done",
                   "due_on": "2026-07-01", "rank": 2}])
    _round(phone("Beta", ids["Beta Health Centre"]),
           [{**dict.fromkeys(sensitive, "yes"), **dict.fromkeys(other, "no")}])
    for number, name in enumerate(FACILITIES[2:5]):
        _round(phone(name, ids[name]), [dict.fromkeys(other, "no")] * (2 + number % 2))
    _round(phone("Far", far_id), [dict.fromkeys(other, "yes")])
    manager = make_user("manager", [district])
    with app.app_context():
        _, token = service.create_user_token(db.session.merge(manager), "report")
        db.session.commit()
    return {"district_id": district_id, "ids": ids, "manager": manager,
            "token": token, "sensitive": sensitive, "other": other}


def _document(app, world, lang="en"):
    with app.app_context():
        district = db.session.get(District, world["district_id"])
        return report.report_document(district, registry(), lang, date(2026, 12, 2))


def _text(pdf: bytes) -> str:
    """Return a PDF's text as pypdf extracts it, presentation forms folded, one space."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pages))
    return " ".join(text.split())


def _get(client, world, lang="en", api=False):
    if api:
        return client.get(f"/api/v1/districts/{world['district_id']}/report.pdf?lang={lang}",
                          headers={"Authorization": f"Bearer {world['token']}"})
    return client.get(f"/manage/districts/{world['district_id']}/report.pdf?lang={lang}")


@pytest.fixture
def manager_client(app, north):
    client = app.test_client()
    sign_in(client, north["manager"])
    return client


def test_the_report_names_every_facility_and_nobody(app, north, manager_client):
    response = _get(manager_client, north)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    for name in FACILITIES:
        assert name in text
    assert "Far Away Clinic" not in text  # another district's
    assert OPEN_ACTION in text  # the open action, as the committee worded it
    assert DONE_ACTION not in text  # only open actions are listed
    for marker in (NAME, REMARK, RESPONSIBLE, NOTE, "Witness", "Matron", "marker in"):
        assert marker not in text, marker


def test_the_report_says_the_rule_of_five_and_counts_sensitive_answers_only_from_five(
        app, north, manager_client):
    text = _text(_get(manager_client, north).data)
    assert (f"A sensitive checkpoint counts only where at least {MIN_GROUP} people "
            "answered it") in text
    assert "Names are never shown" in text
    document = _document(app, north)
    sections = {section.name: section for section in document.facilities}
    violence_title = next(m["title"] for m in registry().get("healthwise").localised("en")
                          ["modules"] if m["id"] == VIOLENCE)

    def violence(name: str):
        return next(row.share for row in sections[name].modules if row.title == violence_title)

    every_sensitive = sum(1 for m in registry().get("healthwise").data["modules"]
                          for c in m["checkpoints"]
                          if c.get("sensitive") and not c.get("withdrawn"))
    # Beta: one person's "yes" on the sensitive checkpoints counts nowhere; every
    # sensitive checkpoint is left out, answered by one or by nobody.
    assert violence("Beta Health Centre") == 0
    assert sections["Beta Health Centre"].withheld == every_sensitive
    assert (f"{every_sensitive} sensitive checkpoints left out: fewer than "
            f"{MIN_GROUP} people answered them") in text
    # Alpha: five people answered the module, so each of its checkpoints counts.
    assert violence("Alpha Clinic") == 1
    assert sections["Alpha Clinic"].withheld == every_sensitive - len(north["sensitive"])
    # The district's mean share is worked out from the disclosed shares alone.
    mean = next(row.share for row in document.modules if row.title == violence_title)
    shares = [violence(name) for name in FACILITIES[:5]]
    assert mean == pytest.approx(sum(shares) / len(shares))


def test_the_overview_and_the_blocks_add_up(app, north):
    document = _document(app, north)
    assert [line.name for line in document.lines] == sorted(FACILITIES)
    alpha = next(line for line in document.lines if line.name == "Alpha Clinic")
    assert (alpha.open, alpha.overdue, alpha.done) == (1, 1, 1)
    assert "overdue_items" in alpha.flags
    zeta = next(section for section in document.facilities if section.name == "Zeta Dispensary")
    assert zeta.flags == ("never_assessed",) and zeta.modules == () and zeta.actions == ()
    assert document.totals.facilities == 6 and document.totals.assessed == 5
    actions = next(s for s in document.facilities if s.name == "Alpha Clinic").actions
    assert [(a.action, a.overdue, a.status) for a in actions] == [(OPEN_ACTION, True, "planned")]
    assert sum(count for quarter in document.quarters for _, count in quarter.counts) == 2


def test_the_report_renders_in_every_language(app, north, manager_client):
    """One district, the five languages (one fixture: building the district is the cost)."""
    today = date.today().isoformat()
    headings = ("Facility by facility", "The district in figures",
                "Checkpoints needing action, by module")
    for lang in LANGUAGES:
        response = _get(manager_client, north, lang)
        assert response.status_code == 200, lang
        assert f'filename="healthwise-North-report-{today}-{lang}.pdf"' in (
            response.headers["Content-Disposition"])
        text = _text(response.data)
        gettext, _ngettext = gettext_for(lang)
        for english in headings:
            translated = unicodedata.normalize("NFKC", gettext(english))
            if lang == "en":
                assert translated in text
                continue
            assert translated != english, f"{english!r} is not translated into {lang}"
            # pypdf keeps the pieces of a right-to-left line in drawing order: each word.
            found = set(re.findall(r"[\w\u064b-\u065f\u0670'-]+", text))
            assert set(re.findall(r"[\w\u064b-\u065f\u0670'-]+", translated)) <= found, lang
            assert english not in text, lang
        for name in FACILITIES:
            assert name in text, lang


def test_the_managers_api_sends_the_same_report(app, north):
    client = app.test_client()
    response = _get(client, north, "fr", api=True)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Alpha Clinic" in _text(response.data)
    assert client.get(f"/api/v1/districts/{north['district_id']}/report.pdf?lang=xx",
                      headers={"Authorization": f"Bearer {north['token']}"}
                      ).get_json()["error"]["code"] == "unsupported_language"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/districts/{district_id}/report.pdf" in spec["paths"]


def test_another_district_s_manager_gets_404_and_a_phone_403(app, north, make_user,
                                                            make_token):
    with app.app_context():
        south = db.session.scalar(db.select(District).where(District.name == "South"))
        db.session.expunge(south)
    stranger = app.test_client()
    sign_in(stranger, make_user("manager", [south]))
    assert _get(stranger, north).status_code == 404
    assert stranger.get("/manage/districts/999999/report.pdf").status_code == 404
    with app.app_context():
        alpha = db.session.get(Facility, north["ids"]["Alpha Clinic"])
        db.session.expunge(alpha)
    phone = app.test_client().get(f"/api/v1/districts/{north['district_id']}/report.pdf",
                                  headers={"Authorization": f"Bearer {make_token(alpha)}"})
    assert phone.status_code == 403


def test_the_district_page_links_the_report_in_every_language(app, north, manager_client):
    page = manager_client.get(f"/manage/districts/{north['district_id']}").get_data(
        as_text=True)
    for lang in LANGUAGES:
        assert f"/manage/districts/{north['district_id']}/report.pdf?lang={lang}" in page


def test_a_district_name_in_another_script_keeps_an_ascii_file_name():
    district = District(id=7, name="Région Côte-Nord")
    assert report.report_filename(district, date(2026, 12, 2), "fr", ascii_only=True) == (
        "healthwise-Region-Cote-Nord-report-2026-12-02-fr.pdf")
    north = District(id=7, name="الشمال")
    assert report.report_filename(north, date(2026, 12, 2), "ar", ascii_only=True) == (
        "healthwise-district-7-report-2026-12-02-ar.pdf")
    assert report.report_filename(north, date(2026, 12, 2), "ar") == (
        "healthwise-الشمال-report-2026-12-02-ar.pdf")


def _pure_report(name: str, action: str, facilities: int = 1) -> report.DistrictReport:
    """Make a report by hand, for the renderer alone (no Flask, no database)."""
    from healthwise.districts.overview import ItemCounts, Totals

    section = report.FacilitySection(
        name=name, kind="a kind of our own", round_kind="baseline", round_date="1 June 2026",
        participants=3, next_review="", modules=(), withheld=0,
        actions=(report.OpenAction("HZ-01", action, "", "planned", False),), more_actions=40,
        flags=("stalled",))
    line = report.ReportLine(name=name, last_round="", next_review="", review_overdue=False,
                             open=1, overdue=0, done=0, high_priority=(("safety", 0),),
                             flags=("stalled",))
    totals = Totals(facilities=facilities, assessed=facilities, never_assessed=0,
                    review_overdue=0, stalled=facilities, items=ItemCounts(open=facilities),
                    high_priority={"safety": 0})
    return report.DistrictReport(district=name, date="2 December 2026", min_group=MIN_GROUP,
                                 totals=totals, lines=(line,) * facilities, modules=(),
                                 quarters=(), facilities=(section,) * facilities)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_markup_and_giant_text_in_names_and_actions_are_printed_as_text(lang):
    from healthwise.districts.report_pdf import render_district_report

    name = '<img src="/etc/passwd"/> <b>Bold</b> & Co'
    pdf = render_district_report(_pure_report(name, "word " * 1000 + "<link href='x'>"), lang,
                                 *gettext_for(lang))
    text = _text(pdf)
    # In Arabic, bidi puts the neutral "<" that starts the name at its other end.
    assert ('<img src="/etc/passwd"/> <b>Bold</b> & Co' if lang == "en"
            else 'img src="/etc/passwd"/> <b>Bold</b> & Co') in text
    assert 40 <= text.count("word") <= 60  # clipped to 300 characters, with an ellipsis
    assert "word..." in text or "...word" in text  # the ellipsis, as NFKC folds it
    assert "40 more open actions" in text or lang != "en"


def test_an_empty_district_renders():
    from healthwise.districts.report_pdf import render_district_report

    empty = _pure_report("Empty", "", facilities=0)
    text = _text(render_district_report(empty, "en"))
    assert "No facility in this district yet." in text and "No action planned yet." in text


def test_a_language_the_page_does_not_know_is_refused_as_every_pdf_refuses_it(
        app, north, manager_client):
    # One rule for every PDF and export (tests/test_document_languages.py): 400, not a
    # document in some other language.
    response = _get(manager_client, north, "xx")
    assert response.status_code == 400 and response.mimetype == "text/html"
