"""A district manager's review of a round's plan: saved in the pages, pulled by the phones,
read-only on them (issue 12)."""

import pytest
from sqlalchemy import select

from healthwise.assessments.models import Change, Review, SyncClock
from healthwise.districts.review import review_id
from healthwise.extensions import db
from tests.conftest import Phone, count, csrf_token, fetch, new_id, sign_in


@pytest.fixture
def world(app, client, make_facility, make_token, make_user):
    """A facility with a round, its phone, and its district's manager signed in."""
    facility = make_facility()
    phone = Phone(app.test_client(), facility, make_token(facility))
    assessment_id, _response_id, changes = phone.round_changes()
    phone.sync(changes)
    manager = make_user("manager", [facility.district], email="dm@example.org")
    sign_in(client, manager)
    client.csrf = csrf_token(client)
    return {"facility": facility, "phone": phone, "round": assessment_id, "manager": manager}


def _url(world, assessment_id=None) -> str:
    return (f"/manage/facilities/{world['facility'].id}/rounds/"
            f"{assessment_id or world['round']}/review")


def _save(client, world, expect=303, **form):
    response = client.post(_url(world), data={"csrf_token": client.csrf, **form})
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response


def _pulled_reviews(phone, cursor=None) -> list[dict]:
    return [c for c in phone.sync(cursor=cursor)["changes"] if c["type"] == "review"]


def _history(app) -> tuple[int, int]:
    """Return the sync clock and the number of changes in the history."""
    with app.app_context():
        return db.session.scalar(select(SyncClock.value)), count(app, Change)


# Phones only read reviews ---------------------------------------------------------------


def test_a_phone_cannot_create_a_review(world):
    phone = world["phone"]
    body = phone.sync([
        phone.change("review", new_id(), {"assessment_id": world["round"], "comment": "ok",
                                          "reviewed": True}),
        phone.change("assessment", world["round"], {"title": "Still mine"}, base_rev=1)])
    rejected, applied = body["results"]
    assert rejected["status"] == "rejected" and rejected["error"]["code"] == "read_only"
    assert "phones only read it" in rejected["error"]["message"]
    assert applied["status"] == "applied"


def test_a_phone_cannot_change_a_manager_s_review(app, client, world):
    _save(client, world, comment="Good plan.", reviewed="on")
    phone = world["phone"]
    (pulled,) = _pulled_reviews(phone)
    before = _history(app)
    body = phone.sync([phone.change("review", pulled["id"], {"reviewed": False},
                                    base_rev=pulled["rev"])])
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["code"] == "read_only"
    assert _history(app) == before
    assert fetch(app, Review, pulled["id"]).reviewed is True


def test_the_phone_limits_leave_out_what_phones_only_read(client):
    assert "review" not in client.get("/api/v1/limits").get_json()["fields"]


# A manager saves, the phones pull ---------------------------------------------------------


def test_a_manager_saves_a_review_and_the_phone_pulls_it(app, client, world):
    phone = world["phone"]
    cursor = phone.sync()["cursor"]
    response = _save(client, world, comment="Good plan.\r\nStart with the sharps boxes.",
                     reviewed="on")
    assert response.headers["Location"].endswith(
        f"/manage/facilities/{world['facility'].id}/plans#round-{world['round']}")
    (pulled,) = _pulled_reviews(phone, cursor)
    assert pulled["id"] == review_id(world["round"])
    assert pulled["rev"] == 1
    fields = pulled["fields"]
    assert fields["assessment_id"] == world["round"]
    assert fields["comment"] == "Good plan.\nStart with the sharps boxes."
    assert fields["reviewed"] is True and fields["reviewer"] == "dm@example.org"
    assert len(fields["reviewed_on"]) == 10
    page = client.get(f"/manage/facilities/{world['facility'].id}/plans").get_data(as_text=True)
    assert "Start with the sharps boxes." in page and "Review saved." in page
    assert "dm@example.org" in page and "Reviewed" in page


def test_a_second_save_updates_the_same_review(app, client, world, make_user):
    phone = world["phone"]
    _save(client, world, comment="First look.")
    (first,) = _pulled_reviews(phone)
    assert first["fields"]["reviewed"] is False
    cursor = phone.sync()["cursor"]
    # Another manager of the district, on the revision they saw.
    other = app.test_client()
    sign_in(other, make_user("manager", [world["facility"].district], email="dm2@example.org"))
    other.csrf = csrf_token(other)
    _save(other, world, comment="Reviewed with the committee.", reviewed="on",
          base_rev=str(first["rev"]))
    (second,) = _pulled_reviews(phone, cursor)
    assert second["id"] == first["id"] and second["rev"] == 2
    assert second["fields"]["comment"] == "Reviewed with the committee."
    assert second["fields"]["reviewed"] is True
    assert second["fields"]["reviewer"] == "dm2@example.org"
    assert count(app, Review) == 1


def test_a_save_on_a_stale_page_stays_open_until_a_save_on_the_current_one(app, client,
                                                                           world, make_user):
    _save(client, world, comment="First look.")
    other = app.test_client()
    sign_in(other, make_user("manager", [world["facility"].district]))
    other.csrf = csrf_token(other)
    # Their page was loaded before the first save: it knew of no review, so their
    # "reviewed" and the first manager's "not reviewed" were set side by side.
    _save(other, world, reviewed="on", comment="First look.", base_rev="")
    assert count(app, Review) == 1
    (pulled,) = _pulled_reviews(world["phone"])
    assert pulled["rev"] == 2 and pulled["fields"]["comment"] == "First look."
    assert "reviewed" in {c["field"] for c in pulled["conflicts"]}
    page = client.get(f"/manage/facilities/{world['facility'].id}/plans").get_data(as_text=True)
    assert "Two managers saved this review at the same time" in page
    # A save on the current revision settles it.
    _save(client, world, reviewed="on", comment="First look, agreed.", base_rev="2")
    (settled,) = _pulled_reviews(world["phone"])
    assert settled["rev"] == 3 and settled["conflicts"] == []
    assert settled["fields"]["reviewed"] is True
    page = client.get(f"/manage/facilities/{world['facility'].id}/plans").get_data(as_text=True)
    assert "at the same time" not in page


def test_saving_the_form_unchanged_writes_nothing(app, client, world):
    _save(client, world, comment="Fine.", reviewed="on")
    before = _history(app)
    response = _save(client, world, comment="Fine.", reviewed="on", base_rev="1")
    assert _history(app) == before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing to save" in page


def test_a_comment_of_the_longest_length_with_line_breaks_fits(client, world):
    comment = ("x" * 99 + "\r\n") * 20  # 2000 characters once each line break is one
    _save(client, world, comment=comment)
    (pulled,) = _pulled_reviews(world["phone"])
    assert pulled["fields"]["comment"] == comment.replace("\r\n", "\n").strip()


# Bad input: 422, a clear message, nothing changes ------------------------------------------


@pytest.mark.parametrize("form, message", [
    ({"comment": "x" * 2001}, "A comment has at most 2000 characters."),
    ({"comment": "Fine \u202e.gpj"}, "control or text direction characters"),
    ({"comment": "\u200b\u200b \u2800"}, "nothing visible"),
    ({"comment": "Bell\x07"}, "control or text direction characters"),
    ({"comment": "Nul\x00"}, "control or text direction characters"),
    ({"comment": "Fine.", "base_rev": "two"}, "reload the page"),
    ({"comment": "Fine.", "base_rev": "-1"}, "reload the page"),
])
def test_a_bad_review_is_refused_with_a_reason_and_changes_nothing(app, client, world, form,
                                                                   message):
    before = _history(app)
    response = _save(client, world, expect=422, reviewed="on", **form)
    text = response.get_data(as_text=True)
    assert message in text
    assert 'role="alert"' in text and 'aria-invalid="true"' in text
    assert _history(app) == before and count(app, Review) == 0
    assert _pulled_reviews(world["phone"]) == []


def test_a_bad_review_keeps_what_was_typed(client, world):
    text = _save(client, world, expect=422, comment="Keep this \u202e", reviewed="on"
                 ).get_data(as_text=True)
    assert "Keep this \u202e</textarea>" in text


# Who may review -----------------------------------------------------------------------------


def test_only_managers_who_reach_the_facility_may_review(app, world, make_user, make_facility,
                                                         make_workshop):
    from healthwise.facilities.models import District

    elsewhere = make_user("manager", [make_facility("Far", District(name="South")).district])
    for user, status in ((elsewhere, 404), (make_user("trainer"), 403),
                         (make_user("admin"), 303)):
        client = app.test_client()
        sign_in(client, user)
        client.csrf = csrf_token(client)
        _save(client, world, expect=status, comment=f"by {user.role}")
    assert count(app, Review) == 1  # the admin's
    anonymous = app.test_client()
    anonymous.csrf = csrf_token(anonymous)
    response = anonymous.post(_url(world), data={"csrf_token": anonymous.csrf, "comment": "x"})
    assert response.status_code in (302, 303) and "sign-in" in response.headers["Location"]


def test_a_round_of_another_facility_or_removed_is_not_found(app, client, world,
                                                             make_facility, make_token):
    other = make_facility("Hill Clinic", world["facility"].district)
    phone = Phone(app.test_client(), other, make_token(other))
    assessment_id, _, changes = phone.round_changes()
    phone.sync(changes)
    response = client.post(_url(world, assessment_id),
                           data={"csrf_token": client.csrf, "comment": "x"})
    assert response.status_code == 404
    assert client.post(_url(world, new_id()),
                       data={"csrf_token": client.csrf, "comment": "x"}).status_code == 404
    world["phone"].sync([world["phone"].change("assessment", world["round"], {"removed": True},
                                               base_rev=1)])
    _save(client, world, expect=404, comment="x")
    assert count(app, Review) == 0


def test_a_review_without_the_csrf_token_is_refused(app, client, world):
    response = client.post(_url(world), data={"comment": "x"})
    assert response.status_code == 400
    assert count(app, Review) == 0


# The managers' API ----------------------------------------------------------------------------


def test_the_managers_api_shows_the_review(app, client, world):
    from healthwise.devices import service

    with app.app_context():
        _, token = service.create_user_token(db.session.merge(world["manager"]), "api")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/facilities/{world['facility'].id}/rounds"
    assert client.get(base, headers=headers).get_json()["rounds"][0]["review"] is None
    assert client.get(f"{base}/{world['round']}", headers=headers
                      ).get_json()["round"]["review"] is None
    _save(client, world, comment="Good plan.", reviewed="on")
    expected = {"comment": "Good plan.", "reviewed": True, "reviewer": "dm@example.org"}
    for review in (client.get(base, headers=headers).get_json()["rounds"][0]["review"],
                   client.get(f"{base}/{world['round']}", headers=headers
                              ).get_json()["round"]["review"]):
        assert {k: review[k] for k in expected} == expected
        assert len(review["reviewed_on"]) == 10


# The district's export ------------------------------------------------------------------------


def test_the_district_export_has_each_round_s_review(app, client, world, tmp_path):
    import csv
    import io

    import sqlite_utils

    district_id = world["facility"].district_id
    _save(client, world, comment="=Good plan.", reviewed="on")
    response = client.get(f"/manage/districts/{district_id}/export/rounds.csv")
    (row,) = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    # A comment a spreadsheet would run as a formula is defused, as every cell.
    assert (row["reviewed"], row["review_comment"]) == ("yes", "'=Good plan.")
    assert len(row["reviewed_on"]) == 10
    path = tmp_path / "export.sqlite"
    path.write_bytes(client.get(f"/manage/districts/{district_id}/export.sqlite").data)
    (latest,) = sqlite_utils.Database(path)["latest_round_per_facility"].rows
    assert latest["reviewed"] == 1 and latest["review_comment"] == "=Good plan."
