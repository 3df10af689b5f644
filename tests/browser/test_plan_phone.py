"""The plan on the phone: its language, carried-forward and overdue actions, modules nobody
answered, the one place to discuss, two phones editing one action, a live group view."""

import re

from healthwise.assessments.models import ActionItem

CREATE = """async (f) => (await import('/static/js/outbox.js')).create('action_item', f)"""
SET_LANG = """async (code) => (await import('/static/js/i18n.js')).setLang(code)"""


def action(phone, aid, text, **fields):
    """Add an action to round ``aid`` through the app's own outbox; return its id."""
    base = {
        "assessment_id": aid,
        "checkpoint_id": None,
        "action": text,
        "responsible": "",
        "due_on": None,
        "cost": "low",
        "status": "planned",
        "progress_note": "",
        "rank": 1,
    }
    return phone.page.evaluate(CREATE, {**base, **fields})["id"]


def on_server(server_rows, phone, iid, field, value):
    """Wait until the server has this value of the action (wait_synced may look too early)."""
    phone.wait_until(
        lambda: getattr(server_rows(ActionItem, id=iid)[0], field) == value,
        what=f"{field} = {value} on the server",
    )


def round_with_answers(phone, title="Baseline", answers=("yes", "yes", "no")):
    aid = phone.start_round(title)
    phone.join_round("Amina", "clinical")
    phone.page.get_by_role("link", name="Start").click()
    for a in answers:
        phone.answer(a, priority=(a == "yes"))
    return aid


def test_language_switch_rerenders_plan_and_pill_in_that_language(phones):
    phone = phones()
    phone.join()
    aid = round_with_answers(phone)
    phone.wait_synced()
    phone.goto(f"/plan/{aid}")
    phone.page.get_by_text("propose action").first.wait_for()
    # The plan screen is open when the language changes: it follows at once.
    phone.page.evaluate(SET_LANG, "fr")
    phone.page.get_by_role("heading", name="Actions convenues").wait_for()
    phone.wait_until(lambda: phone.idb("meta", f"plan:{aid}:fr"), what="the French plan kept")
    phone.page.wait_for_function(
        "() => !document.querySelector('#main').innerText.includes('propose action')"
    )
    text = phone.page.locator("#main").inner_text()
    for english in (
        "propose action",
        "need action",
        "Agreed actions",
        "Suggested priorities",
        "By module",
        "Ranking from the server",
        "Add to the plan",
    ):
        assert english not in text, english
    pill = phone.page.locator("#pill")
    phone.page.wait_for_function("() => document.querySelector('#pill').lang === 'fr'")
    assert pill.inner_text() not in ("Synced", "Offline", "Syncing…")
    # Arabic too, the pill included.
    phone.page.evaluate(SET_LANG, "ar")
    phone.page.wait_for_function("() => document.querySelector('#pill').lang === 'ar'")
    phone.wait_until(lambda: phone.idb("meta", f"plan:{aid}:ar"), what="the Arabic plan kept")
    phone.page.wait_for_function(
        "() => !/[A-Za-z]{4,}/.test(document.querySelector('#main h2').innerText)"
    )
    assert not re.search(r"propose action|need action", phone.page.locator("#main").inner_text())
    assert not re.search(r"[A-Za-z]{3,}", pill.inner_text())
    phone.assert_no_errors()


def test_follow_up_plan_shows_carried_forward_actions_and_edits_one_offline(phones, server_rows):
    phone = phones()
    phone.join()
    aid = phone.start_round("Baseline")
    open_id = action(phone, aid, "Fix the hand-wash basin", due_on="2026-01-15")
    action(phone, aid, "Buy gloves", status="done")
    phone.wait_synced()
    phone.goto(f"/round/new?previous={aid}")
    phone.page.get_by_label("Title").fill("Follow-up")
    phone.page.get_by_role("button", name="Start the round").click()
    phone.page.wait_for_url("**/#/round/*/join")
    fid = phone.route().split("/")[2]
    phone.wait_synced()
    phone.set_offline(True)
    phone.goto(f"/plan/{fid}")
    carried = phone.page.locator("ul.carried")
    carried.wait_for()
    assert phone.page.get_by_text("No action in the plan yet").count() == 0
    assert "Fix the hand-wash basin" in carried.inner_text()
    assert "Buy gloves" not in carried.inner_text()  # done: not carried
    # Updated from the follow-up's plan, offline, as the record of the baseline.
    carried.get_by_role("link", name=re.compile("Fix the hand-wash basin")).click()
    phone.page.get_by_label("Status", exact=True).select_option("in_progress")
    phone.page.get_by_label("Responsible").fill("Joseph")
    phone.page.get_by_label("Responsible").press("Tab")
    phone.page.locator(".saved").filter(has_text="Saved").wait_for()
    phone.page.get_by_role("link", name="Save").click()
    phone.page.wait_for_url(f"**/#/plan/{fid}")
    line = phone.page.locator("ul.carried li").first
    line.filter(has_text="In progress").wait_for()
    assert "Joseph" in line.inner_text()
    phone.set_offline(False)
    phone.wait_synced()
    (row,) = server_rows(ActionItem, id=open_id)
    assert (row.status, row.responsible, row.assessment_id) == ("in_progress", "Joseph", aid)
    phone.assert_no_errors()


def test_overdue_actions_stand_out_offline(phones):
    phone = phones()
    phone.join()
    aid = phone.start_round("Baseline")
    phone.set_offline(True)
    action(phone, aid, "Late and open", due_on="2026-01-15")
    action(phone, aid, "Late but done", due_on="2026-01-15", status="done")
    action(phone, aid, "Not due yet", due_on="2999-12-31", status="in_progress")
    phone.goto(f"/plan/{aid}")
    phone.page.get_by_text("Late and open").wait_for()
    lines = {
        li.locator(".name").inner_text(): li.inner_text()
        for li in phone.page.locator("ul.list li").all()
    }
    assert "Overdue" in lines["Late and open"]
    assert "Overdue" not in lines["Late but done"]
    assert "Overdue" not in lines["Not due yet"]
    phone.page.get_by_role("link", name=re.compile("Late and open")).click()
    phone.page.locator(".badge.overdue").filter(has_text="Overdue").wait_for()
    phone.goto("/")
    phone.page.get_by_text("Overdue: 1").wait_for()
    phone.assert_no_errors()


def test_modules_nobody_answered_read_not_answered(phones):
    phone = phones()
    phone.join()
    aid = phone.start_round("Baseline")
    phone.wait_synced()
    phone.set_offline(True)
    plan = {
        "participants": 2,
        "suggested": [],
        "achievements": [],
        "fetched": 1,
        "modules": [
            {"id": "m1", "title": "One", "share": None, "previous_share": 0.25},
            {"id": "m2", "title": "Two", "share": 0.5, "previous_share": None},
        ],
    }
    phone.idb_put("meta", f"plan:{aid}:en", plan)
    phone.goto(f"/plan/{aid}")
    bars = phone.page.locator(".bars")
    bars.wait_for()
    text = bars.inner_text()
    assert "Not answered" in text and "50% need action" in text
    assert not re.search(r"(?<!\d)0% need action", text)
    phone.assert_no_errors()


def test_two_phones_edit_one_action_every_field_is_offered_in_one_place(phones, server_rows):
    ana, ben = phones(), phones()
    ana.join("Amina's phone")
    ben.join("Joseph's phone")
    aid = round_with_answers(ana, answers=("yes",))
    iid = action(ana, aid, "Fix the basin")
    ana.wait_synced()
    ben.sync_now()
    ben.goto(f"/round/{aid}/join")
    ben.join_round("Joseph", "support")
    ben.page.get_by_role("link", name="Start").click()
    ben.answer("no")  # a disagreement with Amina
    ben.wait_synced()
    ben.set_offline(True)  # from now on Joseph's phone has not seen Amina's edits

    # Amina's phone, online: status, synced, then "Responsible" on the newer state.
    ana.goto(f"/plan/{aid}/item/{iid}")
    ana.page.get_by_label("Status", exact=True).select_option("in_progress")
    on_server(server_rows, ana, iid, "status", "in_progress")
    ana.sync_now()
    ana.goto(f"/plan/{aid}/item/{iid}")
    ana.page.get_by_label("Responsible").fill("Amina")
    ana.page.get_by_label("Responsible").press("Tab")
    on_server(server_rows, ana, iid, "responsible", "Amina")
    # Joseph's phone, offline on the older state: both fields.
    ben.goto(f"/plan/{aid}/item/{iid}")
    ben.page.get_by_label("Status", exact=True).select_option("done")
    ben.page.get_by_label("Responsible").fill("Joseph")
    ben.page.get_by_label("Responsible").press("Tab")
    ben.page.locator(".saved").filter(has_text="Saved").wait_for()
    ben.set_offline(False)
    ben.wait_synced()
    ben.sync_now()

    # One place, from the round and from the plan, holds both kinds.
    ben.goto(f"/plan/{aid}")
    ben.page.get_by_role("link", name=re.compile(r"^To discuss \(\d+\)")).click()
    ben.page.wait_for_url(f"**/#/discuss/{aid}")
    ben.page.get_by_role("heading", name="Where participants disagree (1)").wait_for()
    assert ben.page.get_by_text("one proposes action, one says no action is needed").count()
    ben.page.get_by_role("heading", name="Where phones wrote differently (2)").wait_for()
    cards = ben.page.locator(".card.conflict")
    text = cards.all_inner_texts()
    assert any("Status" in c and "In progress" in c and "Done" in c for c in text), text
    assert any("Responsible" in c and "“Joseph”" in c and "“Amina”" in c for c in text), text
    # Amina's edit landed after Joseph's phone last pulled: the server keeps his value
    # open (it names this phone), and Amina's phone lists it too.
    assert any("Responsible" in c and "(this phone)" in c for c in text), text
    ana.sync_now()
    ana.goto(f"/discuss/{aid}")
    theirs = ana.page.locator(".card.conflict").filter(has_text="Responsible")
    theirs.filter(has_text="“Joseph” (another phone)").wait_for()
    ben.goto(f"/round/{aid}")
    ben.page.get_by_role("link", name=re.compile(r"^To discuss \(3\)")).wait_for()
    # The action itself says which value of this phone was replaced.
    ben.goto(f"/plan/{aid}/item/{iid}")
    ben.page.get_by_text("This phone had: Joseph").wait_for()
    # Picking Joseph settles it on the server.
    ben.goto(f"/discuss/{aid}")
    card = cards.filter(has_text="Responsible")
    card.get_by_role("button", name="Use “Joseph”").click()
    on_server(server_rows, ben, iid, "responsible", "Joseph")
    ben.goto(f"/discuss/{aid}")
    ben.page.get_by_role("heading", name="Where phones wrote differently (1)").wait_for()
    ana.assert_no_errors()
    ben.assert_no_errors()


def test_group_view_refreshes_by_itself_while_answers_arrive(phones):
    ana, ben = phones(), phones()
    ana.join()
    ben.join()
    aid = round_with_answers(ana, answers=("yes",))
    ana.wait_synced()
    ben.sync_now()
    ana.goto(f"/group/{aid}")
    ana.page.locator(".vote").first.wait_for()
    ben.goto(f"/round/{aid}/join")
    ben.join_round("Joseph", "support")
    ben.page.get_by_role("link", name="Start").click()
    ben.answer("no")
    ben.wait_synced()
    # No tap on Amina's phone: within a few seconds Joseph's answer is there.
    ana.page.locator(".vote.no", has_text="Joseph").first.wait_for(timeout=12000)
    ana.page.wait_for_timeout(1000)
    # Nothing new: the screen is not rebuilt at each poll.
    ana.page.evaluate("document.querySelector('#main .view').dataset.mark = 'same'")
    ana.page.wait_for_timeout(6000)
    assert ana.page.locator("#main .view[data-mark=same]").count() == 1
    ana.assert_no_errors()
    ben.assert_no_errors()
