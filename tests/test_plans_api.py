"""Plan endpoints: ranking with reasons, follow-up comparison, PDF in every language."""

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from healthwise.config import LANGUAGES
from tests.conftest import Phone, new_id


def committee_round(phone, votes, kind="baseline", previous_id=None, title="Walk-through"):
    """Create a round whose participants answer as ``votes`` says; return its id.

    :param votes: one dict per participant: {checkpoint_id: (action, priority)}.
    """
    assessment_id = new_id()
    fields = {"facility_id": phone.facility.id, "checklist_id": "healthwise",
              "checklist_version": 1, "title": title, "kind": kind,
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
    assert get(phone, f"/api/v1/assessments/{assessment_id}/plan?lang=xx").status_code == 400


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


def add_item(phone, assessment_id, checkpoint_id, **fields):
    item_id = new_id()
    results = phone.sync([phone.change("action_item", item_id, {
        "assessment_id": assessment_id, "checkpoint_id": checkpoint_id,
        "action": f"Act on {checkpoint_id}", **fields})])["results"]
    assert results[0]["status"] == "applied"
    return item_id


def pdf_table_numbers(data: bytes) -> list[str]:
    """Return the numbers printed in the first column of the action table, top to bottom."""
    found = []

    def visit(text, cm, tm, font, size):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        if text.strip().isdigit() and x < 70:
            found.append(text.strip())

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return found


def test_plan_numbers_items_1_to_n_in_the_order_shown(phone):
    baseline = committee_round(phone, [{"HZ-01": ("yes", True), "HZ-02": ("yes", False)}])
    carried = add_item(phone, baseline, "HZ-02", status="planned", rank=1)
    follow_up = committee_round(phone, [{"HZ-01": ("yes", True)}], kind="follow_up",
                                previous_id=baseline)
    # The phone's ranks repeat and go missing: 1, 1, none.
    first = add_item(phone, follow_up, "HZ-01", status="planned", rank=1)
    second = add_item(phone, follow_up, "IC-01", status="planned", rank=1)
    unranked = add_item(phone, follow_up, "ER-01", status="planned")
    body = get(phone, f"/api/v1/assessments/{follow_up}/plan").get_json()
    assert [(i["id"], i["number"]) for i in body["items"]] == [(first, 1), (second, 2),
                                                               (unranked, 3)]
    assert [(i["id"], i["number"]) for i in body["carried_forward"]] == [(carried, 4)]
    pdf = get(phone, f"/api/v1/assessments/{follow_up}/plan.pdf").data
    assert pdf_table_numbers(pdf) == ["1", "2", "3", "4"]


def test_an_open_action_is_never_already_good(phone):
    # Nobody proposes action on ER-01 or IC-01, but the committee took up both.
    votes = [{"ER-01": ("no", False), "IC-01": ("no", False), "WT-01": ("no", False)}] * 2
    assessment_id = committee_round(phone, votes)
    add_item(phone, assessment_id, "ER-01", status="in_progress", rank=1)
    add_item(phone, assessment_id, "IC-01", status="planned", rank=2)
    add_item(phone, assessment_id, "WT-01", status="done", rank=3)
    body = get(phone, f"/api/v1/assessments/{assessment_id}/plan").get_json()
    assert [a["checkpoint_id"] for a in body["achievements"]] == ["WT-01"]
    pdf = get(phone, f"/api/v1/assessments/{assessment_id}/plan.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    good = text.split("What is already good", 1)[1]
    assert "WT-01" in good and "ER-01" not in good and "IC-01" not in good


def test_a_module_nobody_answered_is_not_answered(phone):
    baseline = committee_round(phone, [{"VH-01": ("yes", False), "VH-02": ("no", False),
                                        "HZ-01": ("yes", False)}])
    follow_up = committee_round(phone, [{"HZ-01": ("no", False)}], kind="follow_up",
                                previous_id=baseline)
    body = get(phone, f"/api/v1/assessments/{follow_up}/plan?lang=fr").get_json()
    violence = next(m for m in body["modules"] if m["id"] == "violence")
    assert violence["share"] is None and violence["previous_share"] == 0.5
    response = get(phone, f"/api/v1/assessments/{follow_up}/plan.pdf?lang=fr")
    text = "".join(page.extract_text() for page in PdfReader(
        io.BytesIO(response.data)).pages)
    assert "sans réponse" in text


def test_overdue_items_stand_out_in_the_json_and_the_pdf(phone):
    baseline = committee_round(phone, [{"HZ-02": ("yes", False)}])
    late_carried = add_item(phone, baseline, "HZ-02", status="in_progress", rank=1,
                            due_on="2020-01-31")
    follow_up = committee_round(phone, [{"HZ-01": ("yes", True)}], kind="follow_up",
                                previous_id=baseline)
    late = add_item(phone, follow_up, "HZ-01", status="planned", rank=1, due_on="2020-02-01")
    done_late = add_item(phone, follow_up, "IC-01", status="done", rank=2, due_on="2020-02-01")
    later = add_item(phone, follow_up, "ER-01", status="planned", rank=3, due_on="2999-01-01")
    undated = add_item(phone, follow_up, "WT-01", status="planned", rank=4)
    body = get(phone, f"/api/v1/assessments/{follow_up}/plan").get_json()
    overdue = {i["id"]: i["overdue"] for i in [*body["items"], *body["carried_forward"]]}
    assert overdue == {late: True, done_late: False, later: False, undated: False,
                       late_carried: True}
    for lang, word in (("en", "Overdue"), ("fr", "En retard"), ("ar", "متأخر")):
        response = get(phone, f"/api/v1/assessments/{follow_up}/plan.pdf?lang={lang}")
        text = unicodedata.normalize("NFKC", "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(
                response.data)).pages))
        assert text.count(word) == 2, lang


@pytest.mark.parametrize(("facility", "title", "lang", "ascii_name", "real_name"), [
    ("Riverside Health Centre", "Baseline 2026", "fr",
     "Riverside-Health-Centre_Baseline-2026_2026-11-20_fr.pdf", None),
    ("Centre de santé Léo", "Suivi n°2", "fr",
     "Centre-de-sante-Leo_Suivi-n-2_2026-11-20_fr.pdf",
     "Centre-de-santé-Léo_Suivi-n-2_2026-11-20_fr.pdf"),
    ("مركز صحي الزرقاء", "الجولة الأولى", "ar",
     "action-plan_2026-11-20_ar.pdf", "مركز-صحي-الزرقاء_الجولة-الأولى_2026-11-20_ar.pdf"),
])
def test_pdf_is_named_after_facility_round_and_date(client, make_facility, make_token, facility,
                                                    title, lang, ascii_name, real_name):
    from email.message import EmailMessage
    from urllib.parse import unquote

    place = make_facility(facility)
    phone = Phone(client, place, make_token(place))
    assessment_id = committee_round(phone, [{"HZ-01": ("yes", True)}], title=title)
    response = get(phone, f"/api/v1/assessments/{assessment_id}/plan.pdf?lang={lang}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii()
    message = EmailMessage()
    message["Content-Disposition"] = disposition
    params = dict(message["Content-Disposition"].params)
    assert message.get_content_disposition() == "attachment"
    if real_name is None:
        assert params["filename"] == ascii_name and "filename*" not in disposition
    else:
        # RFC 6266: filename for every browser, filename* (RFC 5987) with the real name.
        assert f'filename="{ascii_name}"' in disposition
        encoded = disposition.split("filename*=UTF-8''", 1)[1]
        assert unquote(encoded) == real_name


# What the two extractors give back (poppler 22.12's pdftotext, pypdf 5 to 7). The PDF
# draws Arabic in visual order and helps them read it back (plans/pdf/lines.py): a
# vowel mark raised off the baseline, a neutral of right-to-left text (a space at the
# edge of a Latin word, a bracket, "،", ":", ".") each sit in an ActualText span of one
# character. With it, pdftotext gives every line whole, in logical order, marks in
# place; without it, it put "علاجًا" out as "عل ًاجا" and "العدوى، مع" as "العدوى ،مع".
# pypdf ignores ActualText: it turns each piece drawn in one font and one direction
# into logical order with its marks in place, but keeps the pieces of a line in
# drawing order (left to right), so it is held to every word, and to Latin text whole.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                       "\u2066\u2067\u2068\u2069"))


def folded(text: str) -> str:
    """Fold text as extracted: NFKC, no bidi controls, one space, no line-end hyphen break."""
    text = unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS)
    return re.sub(r"-\s+", "-", " ".join(text.split()))


VOWEL_MARKS = "\u064b-\u065f\u0670"


def words(text: str) -> set[str]:
    """Return a text's words, without the punctuation at their ends."""
    edges = rf"^[^\w{VOWEL_MARKS}]+|[^\w{VOWEL_MARKS}]+$"
    return {re.sub(edges, "", word) for word in folded(text).split()} - {""}


def in_whole_lines(text: str, lines: list[str], *, beside: bool = False, start: int = 0) -> bool:
    """Tell whether a text is a run of whole extracted lines, in order (others may come between).

    :param text: folded text, as the PDF put it in (broken over any number of lines).
    :param lines: the folded lines an extractor gave back.
    :param beside: whether a line may also hold, before or after the text's own words,
        the line of a table cell beside it (pdftotext joins the lines of two cells on
        one baseline when the gap between them is narrow).
    """
    if not text:
        return True
    for i in range(start, len(lines)):
        line = lines[i]
        found = [line]
        if beside:
            cut = line.split(" ")
            found += [" ".join(cut[:n]) for n in range(1, len(cut))]
            found += [" ".join(cut[n:]) for n in range(1, len(cut))]
        for piece in found:
            if (text == piece or text.startswith(piece + " ")) and in_whole_lines(
                    text[len(piece):].lstrip(), lines, beside=beside, start=i + 1):
                return True
    return False


def test_in_whole_lines_finds_whole_lines_only():
    lines = ["Publish the roster two weeks Matron", "ahead on the staff", "1", "notice board"]
    assert in_whole_lines("ahead on the staff notice board", lines)
    assert not in_whole_lines("Publish the roster two weeks ahead on the staff notice board",
                              lines)
    assert in_whole_lines("Publish the roster two weeks ahead on the staff notice board",
                          lines, beside=True)
    assert in_whole_lines("Matron", lines, beside=True)
    assert not in_whole_lines("ahead on the", lines)  # not the whole line
    assert not in_whole_lines("ahead on th", lines, beside=True)  # nor whole words
    assert not in_whole_lines("notice board ahead on the staff", lines)  # out of order
    assert not in_whole_lines("علاجًا", ["عل ًاجا"], beside=True)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_text_extracted_from_the_demo_pdf_is_the_text_put_in(app, lang):
    import shutil
    import subprocess

    from healthwise import demo
    from healthwise.access.service import Scope
    from healthwise.checklists.registry import registry
    from healthwise.extensions import db
    from healthwise.languages.service import gettext_for
    from healthwise.plans import service
    from healthwise.plans.pdf import render_plan
    from healthwise.plans.pdf.text import bounded

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    with app.app_context():
        ids = demo.load(registry())
        db.session.commit()
        round_ = service.load_round(ids["assessment_id"], Scope(frozenset(ids["facility_ids"])))
        checklist = registry().get(round_.assessment["checklist_id"]).localised(lang)
        doc = service.plan_document(round_, checklist, lang)
    gettext, ngettext = gettext_for(lang)
    pdf = render_plan(doc, lang, gettext, ngettext)
    doc = bounded(doc)
    kind = gettext("Follow-up" if doc.kind == "follow_up" else "Baseline")
    # Each line of the page outside tables, as the plan words it.
    own_lines = [
        doc.facility,
        *(f"{line.checkpoint_id} \u2013 {line.text}" for line in doc.achievements),
        *map(gettext, ("Prioritised action plan", "What is already good", "Agreed by the committee",
                       "Chair of the committee", "Name, signature and date")),
    ]
    # Each text of a table cell.
    cells = [doc.district, f"{doc.round_title} ({kind})", *(row.title for row in doc.chart),
             *(text for item in doc.items
               for text in (item.checkpoint_text, item.action, item.responsible)),
             *(f"{line.checkpoint_id} \u2013 {line.text}" for line in doc.discuss),
             gettext("Action agreed"), gettext("Responsible")]
    texts = own_lines + cells
    # The lam-alef ligature, once lost ("السمة" for "السلامة"), vowel marks and a neutral
    # between Arabic and Latin text are among them.
    if lang == "ar":
        assert any("لا" in text or "لأ" in text for text in texts)
        assert any(re.search(f"[{VOWEL_MARKS}]", text) for text in texts)
        assert any(re.search(r"[A-Za-z] \(", text) for text in texts)
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                             capture_output=True, check=True).stdout.decode()
    pypdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for extracted in (poppler, pypdf_text):
        assert not [c for c in extracted if 0xE000 <= ord(c) <= 0xF8FF or c == "\ufffd"]
    # pdftotext joins a word hyphenated at a line's end without its hyphen.
    lines = [line for line in (folded(line).replace("-", "") for line in poppler.splitlines())
             if line]
    for text in own_lines:
        assert in_whole_lines(folded(text).replace("-", ""), lines), text
    for text in cells:
        assert in_whole_lines(folded(text).replace("-", ""), lines, beside=True), text
    pypdf_words = words(pypdf_text)
    for text in texts:
        assert words(text) <= pypdf_words, (text, words(text) - pypdf_words)
        if not re.search("[\u0590-\u08ff]", text):
            assert folded(text) in folded(pypdf_text), text


@pytest.mark.parametrize("lang, heading", [("en", "To discuss"), ("fr", "À discuter")])
def test_the_pdf_lists_what_participants_disagree_on(phone, lang, heading):
    # HZ-01: yes against n/a, a disagreement; IC-01: all no, none; ER-01: no against n/a.
    votes = [{"HZ-01": ("yes", False), "IC-01": ("no", False), "ER-01": ("no", False)},
             {"HZ-01": ("na", False), "IC-01": ("no", False), "ER-01": ("na", False)},
             {"HZ-01": ("yes", True), "IC-01": ("no", False), "ER-01": ("no", False)}]
    assessment_id = committee_round(phone, votes)
    pdf = get(phone, f"/api/v1/assessments/{assessment_id}/plan.pdf?lang={lang}").data
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    section = text.split(heading, 1)[1]
    section = section.split("What is already good" if lang == "en" else "Ce qui va déjà bien",
                            1)[0]
    assert "HZ-01" in section and "IC-01" not in section and "ER-01" not in section
    assert ("Propose action: 2 · No: 0 · Not applicable: 1" if lang == "en"
            else "Action proposée : 2 · Non : 0 · Sans objet : 1") in " ".join(section.split())


def test_the_pdf_has_no_discussion_section_when_everyone_agrees(phone):
    assessment_id = committee_round(phone, [{"HZ-01": ("yes", False)}] * 2)
    pdf = get(phone, f"/api/v1/assessments/{assessment_id}/plan.pdf?lang=en").data
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Prioritised action plan" in text
    assert "To discuss" not in text


def test_the_committee_s_own_actions_carry_forward_beside_new_ones(phone):
    """An action with no checkpoint is the committee's own: a new one of the follow-up
    does not take its place (the phone lists both; the server did not)."""
    baseline = committee_round(phone, [{"HZ-01": ("yes", True)}])
    own, again, taken = new_id(), new_id(), new_id()
    phone.sync([
        phone.change("action_item", own, {"assessment_id": baseline, "action": "Paint the ramp",
                                          "status": "planned"}),
        phone.change("action_item", taken, {"assessment_id": baseline, "checkpoint_id": "HZ-01",
                                            "action": "Form the committee", "status": "planned"})])
    follow_up = committee_round(phone, [{"HZ-01": ("yes", False)}], kind="follow_up",
                                previous_id=baseline)
    phone.sync([
        phone.change("action_item", again, {"assessment_id": follow_up, "action": "Fix a lamp",
                                            "status": "planned"}),
        phone.change("action_item", new_id(), {"assessment_id": follow_up,
                                               "checkpoint_id": "HZ-01", "action": "Committee",
                                               "status": "planned"})])
    body = get(phone, f"/api/v1/assessments/{follow_up}/plan").get_json()
    assert [i["id"] for i in body["carried_forward"]] == [own]
