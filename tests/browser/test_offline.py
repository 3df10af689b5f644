"""The phone loses nothing: offline walk-through, reload, close and reopen, then sync."""

from healthwise.assessments.models import Answer, Assessment, Response


def test_full_walkthrough_offline(phones, enrolment, server_rows):
    phone = phones()
    phone.join("Ana's phone")
    phone.wait_sw()
    phone.wait_checklist()  # it must be on the phone before the network goes
    phone.set_offline(True)
    phone.page.reload()
    phone.page.get_by_role("heading", name="Assessment rounds").wait_for()
    phone.page.locator("#pill").filter(has_text="Offline").wait_for()

    aid = phone.start_round("Baseline, ward 2")
    rid = phone.join_round("Ana", "clinical")
    phone.page.get_by_role("link", name="Start").click()
    expected = {}
    plan = [
        ("yes", True, "Sharps boxes are full"),
        ("no", False, None),
        ("na", False, None),
        ("yes", False, "Only on day shift"),
        ("no", False, ""),
    ]
    for action, priority, remark in plan:
        cp = phone.answer(action, priority, remark)
        expected[cp] = (action, priority, remark or "")
    where = phone.route()

    # Close the tab while offline and open the app again: it resumes where it was.
    phone.reopen()
    phone.page.wait_for_function("where => location.hash === '#' + where", arg=where)
    phone.page.locator(".cp-action").wait_for()
    for action, priority, remark in [("yes", False, None), ("yes", True, "Broken since May")]:
        cp = phone.answer(action, priority, remark)
        expected[cp] = (action, priority, remark or "")
    # The answers are kept on the phone and shown again.
    first = next(iter(expected))
    phone.goto(f"/walk/{rid}/{first}")
    phone.page.locator(".cp-head .mono", has_text=first).wait_for()
    assert phone.page.locator("input[value=yes]").is_checked()
    assert phone.page.locator("input[name=priority]").is_checked()
    assert phone.page.get_by_label("Remark (optional)").input_value() == "Sharps boxes are full"
    assert phone.idb("outbox", "count") > len(expected)
    assert server_rows(Answer) == []

    phone.set_offline(False)
    phone.wait_synced()

    assert [a.id for a in server_rows(Assessment)] == [aid]
    (response,) = server_rows(Response)
    assert (response.id, response.participant, response.role) == (rid, "Ana", "clinical")
    got = {
        a.checkpoint_id: (a.action, a.priority, a.remark)
        for a in server_rows(Answer, response_id=rid)
    }
    assert got == expected
    phone.assert_no_errors()


def test_answer_typed_then_tab_closed_is_kept(phones):
    """A remark typed just before the tab closes is saved (no blur, no Next)."""
    phone = phones()
    phone.join()
    phone.start_round()
    rid = phone.join_round("Bea")
    phone.page.get_by_role("link", name="Start").click()
    phone.set_offline(True)
    phone.page.locator(".choice:has(input[value=yes])").click()
    phone.page.get_by_label("Remark (optional)").fill("Typed, then the phone died")
    phone.page.close(run_before_unload=True)
    phone.page = phone.open_page()
    phone.page.goto(f"{phone.base}/")
    phone.page.locator(".cp-action").wait_for()
    assert (
        phone.page.get_by_label("Remark (optional)").input_value() == "Typed, then the phone died"
    )
    answers = [r for r in phone.records("answer") if r["fields"]["response_id"] == rid]
    assert [a["fields"]["remark"] for a in answers] == ["Typed, then the phone died"]
    phone.assert_no_errors()


# Rewrite the checklist kept on the phone into the format of version 1 (each checkpoint
# carrying its sources itself), as a phone that has not been online since still has it.
AS_OLD_FORMAT = """async (key) => {
  const done = (q) => new Promise((ok, ko) => { q.onsuccess = () => ok(q.result);
                                                q.onerror = () => ko(q.error); });
  const db = await done(indexedDB.open("healthwise"));
  const store = () => db.transaction("checklists", "readwrite").objectStore("checklists");
  const cl = await done(store().get(key));
  for (const m of cl.modules) {
    for (const c of m.checkpoints) c.sources = c.sources.map((i) => cl.sources[i]);
  }
  delete cl.sources;
  await done(store().put(cl, key));
  db.close();
}"""


def shown_details(phone, checkpoint_id):
    """Open "Why and how" on a checkpoint; return its lists by heading."""
    phone.page.locator(".cp-head .mono", has_text=checkpoint_id).wait_for()
    phone.page.get_by_text("Why and how").click()
    return phone.page.evaluate("""() => Object.fromEntries(
      [...document.querySelectorAll("details.more[open] h3")].map((h) => [h.innerText,
        h.nextElementSibling.tagName === "UL"
          ? [...h.nextElementSibling.querySelectorAll("li")].map((li) => li.innerText)
          : h.nextElementSibling.innerText]))""")


def test_walkthrough_shows_why_how_hints_and_sources_on_demand(phones):
    phone = phones()
    phone.join()
    phone.wait_checklist()
    phone.start_round("Baseline")
    rid = phone.join_round("Ana")
    cl = phone.idb("checklists", "healthwise:en")
    cp = next(c for m in cl["modules"] for c in m["checkpoints"] if c["id"] == "IC-04")
    expected = {
        "Why it matters": cp["why"],
        "How to do it": cp["how"],
        "More hints": cp["hints"],
        "Sources": [f"{cl['sources'][i]['title']} ({cl['sources'][i]['year']})"
                    for i in cp["sources"]],
    }
    assert len(expected["Sources"]) == 2 and all(expected.values())
    phone.goto(f"/walk/{rid}/IC-04")
    assert shown_details(phone, "IC-04") == expected

    # A checklist saved by an older version of the app still shows its sources, offline.
    phone.page.evaluate(AS_OLD_FORMAT, "healthwise:en")
    assert "sources" not in phone.idb("checklists", "healthwise:en")
    phone.wait_sw()
    phone.set_offline(True)
    phone.page.reload()
    assert shown_details(phone, "IC-04") == expected
    phone.assert_no_errors()
