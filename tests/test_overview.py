"""The district overview (issue 12): its counts against hand-made data, overdue and
stalled, sorting and filtering, the charts, the manager's facility page and its PDF."""

import io
from datetime import date, datetime, timedelta

import pytest

from healthwise.assessments.models import ActionItem
from healthwise.districts import charts, overview
from healthwise.extensions import db
from healthwise.facilities.models import District
from tests.conftest import Phone, checklist_ids, loaded, new_id, sign_in

TODAY = date.today()
PEOPLE = "Sister Achieng Otieno"
RESPONSIBLE = "Mr Responsible Person"


def _day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _round(phone, started_on, answers_of=(), status="open", kind="baseline",
           previous_id=None):
    """Sync a round with one response per list of (checkpoint, action); return its id."""
    assessment_id = new_id()
    changes = [phone.change("assessment", assessment_id, {
        "facility_id": phone.facility.id, "checklist_id": "healthwise",
        "checklist_version": 2, "title": f"Round {started_on}", "kind": kind,
        "status": status, "started_on": started_on, "previous_id": previous_id})]
    for answers in answers_of:
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": PEOPLE, "role": "nurse"}))
        changes += [phone.change("answer", new_id(), {
            "response_id": response_id, "checkpoint_id": checkpoint, "action": action,
            "priority": action == "yes", "remark": "a remark"})
            for checkpoint, action in answers]
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return assessment_id


def _item(phone, assessment_id, checkpoint_id, status, due_on, rank=None):
    item_id = new_id()
    result = phone.sync([phone.change("action_item", item_id, {
        "assessment_id": assessment_id, "checkpoint_id": checkpoint_id,
        "action": f"Fix {checkpoint_id}", "responsible": RESPONSIBLE, "due_on": due_on,
        "cost": "low", "status": status, "rank": rank})])
    assert result["results"][0]["status"] == "applied"
    return item_id


@pytest.fixture
def district(app, make_facility, make_token, make_user):
    """North: Alpha (old baseline answered, a new round with no answer yet, three items),
    Beta (never assessed), Gamma (an open round half answered); and South's Delta."""
    ids = checklist_ids()
    alpha = make_facility("Alpha Hospital", District(name="North"))
    with loaded(app) as session:
        north = session.merge(alpha.district)
        from healthwise.facilities.models import Facility
        beta = Facility(name="Beta Clinic", district=north)
        gamma = Facility(name="Gamma Health Centre", district=north)
        session.add_all([beta, gamma])
        session.commit()
    delta = make_facility("Delta Dispensary", District(name="South"))
    a = Phone(app.test_client(), alpha, make_token(alpha))
    g = Phone(app.test_client(), gamma, make_token(gamma))
    d = Phone(app.test_client(), delta, make_token(delta))
    everyone = [[(c, "yes" if i < 4 else "no") for i, c in enumerate(ids)]] * 3
    baseline = _round(a, _day(-400), everyone, status="agreed")
    newest = _round(a, _day(-5), kind="follow_up", previous_id=baseline)
    overdue = _item(a, baseline, "HZ-01", "planned", _day(-30), rank=1)
    _item(a, baseline, "ER-01", "done", _day(-60), rank=2)
    _item(a, baseline, "VH-01" if "VH-01" in ids else ids[1], "in_progress", _day(30))
    half = [[(c, "no") for c in ids[: len(ids) // 2]]] * 2
    _round(g, _day(-10), half)
    _round(d, _day(-10), everyone)
    manager = make_user("manager", [north])
    return {"north": north, "alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta,
            "baseline": baseline, "newest": newest, "overdue": overdue,
            "manager": manager, "n_checkpoints": len(ids)}


def _lines(app, world, today=TODAY):
    from healthwise.checklists.registry import registry

    with app.app_context():
        return {line.name: line for line in overview.district_overview(
            world["north"].id, registry(), today)}


def test_the_overview_counts_match_the_hand_made_district(app, district):
    lines = _lines(app, district)
    assert list(lines) == ["Alpha Hospital", "Beta Clinic", "Gamma Health Centre"]
    alpha, beta, gamma = lines.values()
    # The last round that has answers, not the newest created.
    assert alpha.last.id == district["baseline"] and alpha.rounds == 2
    assert alpha.open_round.id == district["newest"] and alpha.completeness == 0.0
    assert (alpha.items.open, alpha.items.overdue, alpha.items.done) == (2, 1, 1)
    assert alpha.next_review_on == date.fromisoformat(_day(-400)) + timedelta(days=180)
    # A new round was started since: the review is not overdue, the action is.
    assert alpha.flags == ("overdue_items",)
    assert beta.last is None and beta.flags == ("never_assessed",)
    assert beta.items == overview.ItemCounts()
    expected = 2 * (district["n_checkpoints"] // 2) / (2 * district["n_checkpoints"])
    assert gamma.completeness == pytest.approx(expected)
    assert gamma.last.participants == 2 and gamma.flags == ()


def test_high_priority_counts_open_items_of_the_four_areas_only(app, district):
    alpha = _lines(app, district)["Alpha Hospital"]
    # HZ-01 (safety) is open and ranked first; ER-01 (ergonomics) is done and no area.
    assert alpha.high_priority["safety"] == 1
    assert alpha.high_priority_total >= 1
    assert set(alpha.high_priority) == {area for area, _ in overview.AREAS}


def test_a_plan_nobody_touched_for_90_days_has_stalled(app, district):
    later = TODAY + overview.STALL_AFTER + timedelta(days=1)
    alpha = _lines(app, district, later)["Alpha Hospital"]
    assert alpha.items.stalled == alpha.items.open == 2
    assert "stalled" in alpha.flags
    # One open item updated since: the plan moves again.
    with app.app_context():
        item = db.session.get(ActionItem, district["overdue"])
        item.updated_at = datetime.combine(later, datetime.min.time())
        db.session.commit()
    alpha = _lines(app, district, later)["Alpha Hospital"]
    assert alpha.items.stalled == 1 and "stalled" not in alpha.flags


def test_review_is_overdue_six_months_after_the_last_round_when_none_started_since():
    started = date(2026, 1, 10)
    found = overview.RoundFacts(
        id="r1", facility_id=1, title="", kind="baseline", status="agreed",
        started_on=started.isoformat(), created_at=datetime(2026, 1, 10), previous_id=None,
        checklist_id="healthwise", participants=5, answers=0, has_answers=True)

    class Registry(list):
        def get(self, _):
            return None

    class Place:
        id, name, kind = 1, "Somewhere", "clinic"

    def line(today):
        return overview.facility_line(Place(), [found], [], {}, Registry(), today, {})

    assert "review_overdue" not in line(started + timedelta(days=180)).flags
    assert "review_overdue" in line(started + timedelta(days=181)).flags


def test_sorting_and_filtering_keep_to_what_was_asked(app, district):
    lines = list(_lines(app, district).values())
    assert [f.name for f in overview.sort_and_filter(lines, "attention")][:2] == [
        "Alpha Hospital", "Beta Clinic"]
    assert [f.name for f in overview.sort_and_filter(lines, show="never_assessed")] == [
        "Beta Clinic"]
    assert [f.name for f in overview.sort_and_filter(lines, "name", query="gAmMa")] == [
        "Gamma Health Centre"]
    assert [f.name for f in overview.sort_and_filter(lines, "overdue")][0] == "Alpha Hospital"
    assert not overview.sort_and_filter(lines, show="attention", query="Gamma")


def test_the_overview_costs_the_same_queries_whatever_the_number_of_facilities(
        app, district, make_token):
    from sqlalchemy import event

    def queries():
        with app.app_context():
            seen = []
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                overview.facts(district["north"].id)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

    before = queries()
    with loaded(app) as session:
        from healthwise.facilities.models import Facility
        north = session.merge(district["north"])
        extra = [Facility(name=f"Extra {n}", district=north) for n in range(5)]
        session.add_all(extra)
        session.commit()
    for facility in extra[:3]:
        _round(Phone(app.test_client(), facility, make_token(facility)), _day(-3),
               [[(checklist_ids()[0], "yes")]])
    assert queries() == before


def test_the_page_shows_the_overview_and_its_charts_with_their_numbers(app, district):
    client = app.test_client()
    sign_in(client, district["manager"])
    page = client.get(f"/manage/districts/{district['north'].id}?sort=name")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("Alpha Hospital", "Beta Clinic", "Gamma Health Centre"):
        assert name in html
    assert "Delta Dispensary" not in html and PEOPLE not in html and RESPONSIBLE not in html
    assert html.count('role="img"') == 2 and "<title id=\"modules-chart-t\">" in html
    assert "Never assessed" in html and "Overdue actions" in html
    # A filter the page does not know falls back to every facility.
    html = client.get(f"/manage/districts/{district['north'].id}?show=evil&sort=%00"
                      ).get_data(as_text=True)
    assert "Beta Clinic" in html
    html = client.get(f"/manage/districts/{district['north'].id}?show=never_assessed"
                      ).get_data(as_text=True)
    assert "Beta Clinic" in html and "Gamma Health Centre" not in html


def test_the_api_serves_the_overview_for_the_token_s_districts_only(app, district):
    from healthwise.devices import service

    with app.app_context():
        _, token = service.create_user_token(db.session.merge(district["manager"]), "dash")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/districts/{district['north'].id}/overview",
                      headers=headers).get_json()
    alpha = next(f for f in body["facilities"] if f["name"] == "Alpha Hospital")
    assert alpha["last_round"]["id"] == district["baseline"]
    assert alpha["items"] == {"open": 2, "overdue": 1, "stalled": 0, "done": 1, "dropped": 0}
    assert alpha["flags"] == ["overdue_items"]
    assert {m["id"] for m in body["modules"]} >= {"hazards", "violence"}
    south = district["delta"].district_id
    assert client.get(f"/api/v1/districts/{south}/overview",
                      headers=headers).status_code == 404


def _statements(app, url, headers):
    """GET ``url``; return its JSON and the SQL statements it ran."""
    from sqlalchemy import event

    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = app.test_client().get(url, headers=headers)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(), len(seen)


def test_the_summary_api_costs_the_same_queries_whatever_the_number_of_facilities(
        app, district, make_token):
    from healthwise.devices import service
    from healthwise.facilities.models import Facility

    with app.app_context():
        _, token = service.create_user_token(db.session.merge(district["manager"]), "dash")
        db.session.commit()
    url = f"/api/v1/districts/{district['north'].id}/summary"
    headers = {"Authorization": f"Bearer {token}"}
    _statements(app, url, headers)  # the token's first use notes when it was last seen
    before, queries = _statements(app, url, headers)
    assert len(before["facilities"]) == 3
    with loaded(app) as session:
        north = session.merge(district["north"])
        extra = [Facility(name=f"Extra {n}", district=north) for n in range(6)]
        session.add_all(extra)
        session.commit()
    ids = checklist_ids()
    for facility in extra[:4]:
        phone = Phone(app.test_client(), facility, make_token(facility))
        baseline = _round(phone, _day(-300), [[(ids[0], "yes"), (ids[1], "no")]] * 2)
        _round(phone, _day(-3), [[(ids[0], "no")]], previous_id=baseline)
    after, more = _statements(app, url, headers)
    assert len(after["facilities"]) == 9
    assert more == queries
    # The figures are still each facility's own: its latest round, rounds and people.
    extra_line = next(f for f in after["facilities"] if f["name"] == "Extra 0")
    assert extra_line["rounds"] == 2 and extra_line["participants"] == 1
    assert extra_line["latest_round"]["started_on"] == _day(-3)
    assert next(f for f in after["facilities"] if f["name"] == "Extra 5")["rounds"] == 0


def test_the_summary_names_the_newest_round_even_before_it_has_answers(app, district):
    from healthwise.devices import service

    with app.app_context():
        _, token = service.create_user_token(db.session.merge(district["manager"]), "dash")
        db.session.commit()
    body, _queries = _statements(app, f"/api/v1/districts/{district['north'].id}/summary",
                                 {"Authorization": f"Bearer {token}"})
    lines = {f["name"]: f for f in body["facilities"]}
    assert list(lines) == ["Alpha Hospital", "Beta Clinic", "Gamma Health Centre"]
    alpha = lines["Alpha Hospital"]
    assert alpha["latest_round"]["id"] == district["newest"]
    assert alpha["rounds"] == 2 and alpha["participants"] == 0
    assert all(m["n_answered"] == 0 for m in alpha["modules"])
    assert lines["Beta Clinic"]["latest_round"] is None and lines["Beta Clinic"]["rounds"] == 0
    gamma = lines["Gamma Health Centre"]
    assert gamma["participants"] == 2
    # Two people answered: every sensitive checkpoint is hidden, none is counted.
    assert gamma["sensitive"] and all(s["hidden"] for s in gamma["sensitive"])
    assert sum(m["n_answered"] for m in gamma["modules"]) > 0


def test_the_facility_page_lists_plans_with_status_history_and_no_names(app, district):
    client = app.test_client()
    sign_in(client, district["manager"])
    html = client.get(f"/manage/facilities/{district['alpha'].id}/plans").get_data(
        as_text=True)
    assert "Fix HZ-01" in html and "Overdue" in html and "assigned" in html
    assert RESPONSIBLE not in html and PEOPLE not in html
    assert html.count("plan.pdf?lang=") == 5 * 2  # every round, every language
    south = district["delta"].id
    assert client.get(f"/manage/facilities/{south}/plans").status_code == 404


def test_the_status_history_keeps_each_change_of_status(app, district, make_token):
    phone = Phone(app.test_client(), district["alpha"], make_token(district["alpha"]))
    item = district["overdue"]
    result = phone.sync([phone.change("action_item", item, {"status": "in_progress"},
                                      base_rev=1)])
    assert result["results"][0]["status"] == "applied"
    from healthwise.districts.facility import status_history

    with app.app_context():
        history = status_history([item])[item]
    assert [h.status for h in history] == ["planned", "in_progress"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_manager_s_plan_pdf_leaves_out_names_and_who_is_responsible(app, district, lang):
    from pypdf import PdfReader

    client = app.test_client()
    sign_in(client, district["manager"])
    response = client.get(f"/manage/facilities/{district['alpha'].id}/rounds/"
                          f"{district['baseline']}/plan.pdf?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"_{lang}.pdf" in response.headers["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Fix HZ-01" in text
    assert RESPONSIBLE not in text and PEOPLE not in text


def test_the_language_picker_remembers_the_choice_and_stays_on_this_site(client):
    response = client.get("/language/fr", headers={"Referer": "http://localhost/manage/x?a=1"})
    assert response.status_code == 303 and response.location.endswith("/manage/x?a=1")
    assert "lang=fr" in response.headers["Set-Cookie"]
    response = client.get("/language/ar", headers={"Referer": "https://evil.example/steal"})
    assert response.location.endswith("/manage/")
    response = client.get("/language/xx")
    assert response.status_code == 303 and "Set-Cookie" not in response.headers


def test_charts_carry_a_title_a_description_and_mirror_right_to_left():
    bars = [charts.Bar("Hazards", 0.5, 0.25), charts.Bar("Violence", None)]
    svg = charts.shares(bars, "T <b>", "D", lambda v: f"{v:.0%}", "not answered", "x")
    assert '<title id="x-t">T &lt;b&gt;</title>' in svg and '<desc id="x-d">D</desc>' in svg
    assert "50%" in svg and "not answered" in svg
    rtl = charts.shares(bars, "T", "D", lambda v: f"{v:.0%}", "n/a", "x", rtl=True)
    assert rtl != charts.shares(bars, "T", "D", lambda v: f"{v:.0%}", "n/a", "x")
    stacked = charts.stacked([("Q1", {"done": 2, "overdue": 1})], overview.CHART_STATES,
                             {"done": "Fait", "overdue": "En retard"}, "T", "D")
    assert "Fait: 2" in stacked and "En retard: 1" in stacked


def test_a_round_s_figures_are_kept_only_for_the_same_read_only_counts():
    """The overview keeps disclose_counts per tally read: the same shared counts give the
    same figures object, new counts are worked out again, and a plain dict is never kept."""
    from types import MappingProxyType

    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR
    from healthwise.districts.disclosure import disclose_counts

    data = registry_for(CHECKLISTS_DIR).get("healthwise").data
    counts = MappingProxyType({"HZ-01": (5, 4, 2, 1)})
    first = overview.disclosed(data, counts, 5)
    assert overview.disclosed(data, counts, 5) is first
    assert first == disclose_counts(data, counts, 5)
    changed = MappingProxyType({"HZ-01": (5, 1, 0, 4)})
    assert overview.disclosed(data, changed, 5).counts["HZ-01"] == (5, 1, 0, 4)
    assert overview.disclosed(data, counts, 6) is not first  # other participants
    plain = {"HZ-01": (5, 4, 2, 1)}
    assert overview.disclosed(data, plain, 5) is not overview.disclosed(data, plain, 5)
