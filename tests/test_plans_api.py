"""Plan endpoints: ranking with reasons, follow-up comparison, PDF in every language."""

import pytest
from pypdf import PdfReader

from healthwise.config import LANGUAGES
from tests.conftest import Phone, new_id


def committee_round(phone, votes, kind="baseline", previous_id=None):
    """Create a round whose participants answer as ``votes`` says; return its id.

    :param votes: one dict per participant: {checkpoint_id: (action, priority)}.
    """
    assessment_id = new_id()
    fields = {"facility_id": phone.facility.id, "checklist_id": "healthwise",
              "checklist_version": 1, "title": "Walk-through", "kind": kind,
              "started_on": "2026-11-20"}
    if previous_id:
        fields["previous_id"] = previous_id
    changes = [phone.change("assessment", assessment_id, fields)]
    for number, answers in enumerate(votes):
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": f"P{number}"}))
        for checkpoint_id, (action, priority) in answers.items():
            changes.append(phone.change("answer", new_id(), {
                "response_id": response_id, "checkpoint_id": checkpoint_id,
                "action": action, "priority": priority}))
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"applied"}
    return assessment_id


def get(phone, path):
    return phone.client.get(path, headers={"Authorization": f"Bearer {phone.token}"})


def test_plan_ranks_with_reasons(phone):
    # HZ-01: 3 of 3 yes, 2 priority. IC-01: 1 of 3 yes. ER-01: nobody: an achievement.
    votes = [{"HZ-01": ("yes", True), "IC-01": ("yes", False), "ER-01": ("no", False)},
             {"HZ-01": ("yes", True), "IC-01": ("no", False), "ER-01": ("no", False)},
             {"HZ-01": ("yes", False), "IC-01": ("no", False), "ER-01": ("na", False)}]
    assessment_id = committee_round(phone, votes)
    body = get(phone, f"/api/v1/assessments/{assessment_id}/plan?lang=en").get_json()
    assert body["participants"] == 3
    assert [s["checkpoint_id"] for s in body["suggested"]] == ["HZ-01", "IC-01"]
    top = body["suggested"][0]
    assert (top["n_action"], top["n_priority"], top["n_participants"]) == (3, 2, 3)
    assert "3 of 3" in top["reasons"]
    assert top["reason_codes"][:2] == [{"code": "action_proposed", "count": 3, "total": 3},
                                       {"code": "priority", "count": 2, "total": 3}]
    assert [a["checkpoint_id"] for a in body["achievements"]] == ["ER-01"]
    # IC-01: one proposes action, two say no. ER-01: "no" against "n/a" is no disagreement.
    assert body["disagreements"] == [{
        "checkpoint_id": "IC-01", "module_id": body["suggested"][1]["module_id"],
        "n_answered": 3, "n_action": 1, "n_priority": 0, "n_no": 2, "n_na": 0}]


def test_plan_reasons_in_french_and_disagreement_with_not_applicable(phone):
    votes = [{"HZ-01": ("yes", True)}, {"HZ-01": ("na", False)}]
    assessment_id = committee_round(phone, votes)
    body = get(phone, f"/api/v1/assessments/{assessment_id}/plan?lang=fr").get_json()
    assert body["suggested"][0]["reasons"].startswith("1 sur 2 propose d'agir, 1 en fait")
    (disagreement,) = body["disagreements"]
    assert (disagreement["checkpoint_id"], disagreement["n_action"], disagreement["n_na"]) == (
        "HZ-01", 1, 1)


def test_follow_up_compares_modules_and_carries_open_items(phone):
    baseline = committee_round(phone, [{"HZ-01": ("yes", True), "HZ-02": ("yes", False)}])
    item = new_id()
    phone.sync([phone.change("action_item", item, {
        "assessment_id": baseline, "checkpoint_id": "HZ-01", "action": "Form the committee",
        "status": "planned", "rank": 1})])
    follow_up = committee_round(phone, [{"HZ-01": ("no", False), "HZ-02": ("yes", False)}],
                                kind="follow_up", previous_id=baseline)
    body = get(phone, f"/api/v1/assessments/{follow_up}/plan").get_json()
    hazards = next(m for m in body["modules"] if m["id"] == "hazards")
    assert hazards["previous_share"] == 1.0 and hazards["share"] == 0.5
    assert [i["id"] for i in body["carried_forward"]] == [item]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_pdf_in_every_language(phone, lang, tmp_path):
    assessment_id = committee_round(phone, [{"HZ-01": ("yes", True)}])
    phone.sync([phone.change("action_item", new_id(), {
        "assessment_id": assessment_id, "checkpoint_id": "HZ-01",
        "action": "<b>Fix</b> the fire exit", "responsible": "Ana", "rank": 1})])
    response = get(phone, f"/api/v1/assessments/{assessment_id}/plan.pdf?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "plan.pdf"
    path.write_bytes(response.data)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Riverside Health Centre" in text
    # The markup is drawn as text, never read as markup. On a right-to-left page the
    # opening "<" takes the page's direction: it is drawn mirrored, at the right end.
    drawn = ("b>Fix</b> the fire exit>" if LANGUAGES[lang][1] == "rtl"
             else "<b>Fix</b> the fire exit")
    assert drawn in text, text


def test_plan_of_another_facility_is_not_found(client, make_facility, make_token, phone):
    assessment_id = committee_round(phone, [{"HZ-01": ("yes", True)}])
    other_facility = make_facility("Elsewhere")
    other = Phone(client, other_facility, make_token(other_facility))
    for path in (f"/api/v1/assessments/{assessment_id}/plan",
                 f"/api/v1/assessments/{assessment_id}/plan.pdf",
                 "/api/v1/assessments/not-a-uuid/plan"):
        response = get(other, path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/assessments/{assessment_id}/plan").status_code == 401
    assert get(phone, f"/api/v1/assessments/{assessment_id}/plan?lang=xx").status_code == 422


def test_pdf_renders_past_the_servers_slots_wait_then_get_503(app, phone):
    from pathlib import Path

    from healthwise.plans.slots import render_slot

    assessment_id = committee_round(phone, [{"HZ-01": ("yes", True)}])
    path = f"/api/v1/assessments/{assessment_id}/plan.pdf"
    app.config.update(PDF_RENDER_SLOTS=1, PDF_RENDER_WAIT=0.1)
    # Another worker holds the only slot (flock excludes descriptors of one process too).
    with render_slot(Path(app.instance_path), 1, 0):
        busy = get(phone, path)
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
    assert busy.get_json()["error"]["code"] == "busy"
    assert "busy" in busy.get_json()["error"]["message"]
    assert get(phone, path).status_code == 200  # free again
