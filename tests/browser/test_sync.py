"""Several phones, one round: answers made offline on each arrive and meet in the group view."""

import re

from healthwise.assessments.models import Answer, Assessment, Response


def test_two_phones_answer_the_same_round_offline(phones, server_rows):
    ana, ben = phones(), phones()
    ana.join("Ana's phone")
    ben.join("Ben's phone")
    aid = ana.start_round("Baseline")
    ana.wait_synced()
    ana.goto("/")
    # Ben's phone pulls the round Ana started.
    ben.sync_now()
    ben.page.get_by_role("link", name="Baseline").first.wait_for()
    for phone in (ana, ben):
        phone.wait_checklist()
        phone.set_offline(True)

    answers = {"Ana": ["yes", "yes", "no", "na"], "Ben": ["no", "yes", "no", "yes"]}
    rids = {}
    for phone, name in ((ana, "Ana"), (ben, "Ben")):
        phone.goto(f"/round/{aid}/join")
        rids[name] = phone.join_round(name, "clinical")
        phone.page.get_by_role("link", name="Start").click()
        for i, action in enumerate(answers[name]):
            phone.answer(action, priority=(name == "Ana" and i == 0))

    for phone in (ana, ben):
        phone.set_offline(False)
    for phone in (ana, ben):
        phone.wait_synced()
    ana.sync_now()  # pulls Ben's answers

    assert {r.participant for r in server_rows(Response, assessment_id=aid)} == {"Ana", "Ben"}
    for name, rid in rids.items():
        got = sorted((a.checkpoint_id, a.action) for a in server_rows(Answer, response_id=rid))
        assert [action for _, action in got] == answers[name]

    # Ana's group view shows both participants side by side.
    ana.goto(f"/group/{aid}")
    first = ana.page.locator(".card", has=ana.page.locator(".votes")).first
    first.wait_for()
    votes = first.locator(".vote").all_inner_texts()
    assert any("Ana" in v and "Yes" in v and "★" in v for v in votes), votes
    assert any("Ben" in v and "No" in v for v in votes), votes
    assert "1 of 2 proposes action" in first.inner_text()
    assert first.get_by_text("Disagree").is_visible()
    ana.assert_no_errors()
    ben.assert_no_errors()


def test_conflict_is_shown_to_discuss_and_resolved(phones, server_rows):
    """Two phones set one field offline: the loser is "to discuss"; a pick resolves it."""
    ana, ben = phones(), phones()
    ana.join()
    ben.join()
    aid = ana.start_round("Baseline")
    ana.wait_synced()
    ben.sync_now()
    for phone, status in ((ana, "agreed"), (ben, "closed")):
        phone.goto(f"/round/{aid}")
        phone.page.get_by_label("Status", exact=True).wait_for()
        phone.set_offline(True)
        phone.page.get_by_label("Status", exact=True).select_option(status)
        if status == "closed":  # closing a round asks first
            phone.page.get_by_role("dialog").get_by_role("button", name="Close the round").click()
        phone.page.locator("#toast").filter(has_text="Saved").wait_for()
    for phone in (ana, ben):
        phone.set_offline(False)
        phone.wait_synced()
    ana.sync_now()
    ben.sync_now()
    # At least one of the phones sees the other value kept as "to discuss".
    discussing = [
        p for p in (ana, ben) if p.page.get_by_role("link", name="One item to discuss").count()
    ]
    assert discussing, "no phone shows the conflict"
    phone = discussing[0]
    phone.page.get_by_role("link", name="One item to discuss").first.click()
    # The sync screen sends to the round's one place to discuss.
    # The round's title is isolated (<bdi>): Chromium names the link "Baseline : one...".
    phone.page.get_by_role("link", name=re.compile(r"^Baseline\s?: one value to discuss$")).click()
    phone.page.get_by_role("heading", name="Where phones wrote differently (1)").wait_for()
    use = phone.page.get_by_role("button", name="Use “")
    picked = {"“Plan agreed”": "agreed", "“Closed”": "closed"}[
        use.inner_text().removeprefix("Use ")
    ]
    use.click()
    phone.page.locator("#toast").filter(has_text="sent with the next sync").wait_for()
    phone.wait_synced()
    phone.sync_now()
    assert phone.page.get_by_role("link", name="One item to discuss").count() == 0
    (row,) = server_rows(Assessment, id=aid)
    assert row.status == picked
    assert row.conflicts == []
    ana.assert_no_errors()
    ben.assert_no_errors()
