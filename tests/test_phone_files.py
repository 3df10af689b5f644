"""A phone's exported file brought back in /manage and synced (issue 9, case 8)."""

import io
import json

from sqlalchemy import select

from healthwise.assessments.models import Answer, Change
from healthwise.extensions import db
from tests.conftest import count, csrf_token, new_id, sign_in


def export_of(phone, changes, facility_id=None) -> bytes:
    """Return a file as the phone's Settings export writes it (stores as key/value pairs)."""
    return json.dumps({
        "exported": "2026-12-01T10:00:00Z", "app": "healthwise",
        "records": [], "checklists": [],
        "outbox": [[n + 1, {**c, "status": "pending", "at": "2026-12-01T09:00:00Z"}]
                   for n, c in enumerate(changes)],
        "meta": [["device_id", phone.device_id], ["device_name", "Ana's phone"],
                 ["scope", {"kind": "facility", "facility": {"id": facility_id
                                                             or phone.facility.id}}]],
    }).encode()


def upload(client, facility_id, content: bytes, name="healthwise-2026-12-01.json"):
    return client.post(f"/manage/facilities/{facility_id}/phone-file", data={
        "csrf_token": csrf_token(client), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_a_manager_brings_back_a_phones_file_and_it_syncs_once(app, client, phone, make_user):
    _, _, changes = phone.round_changes(n_answers=4)
    manager = make_user("manager", [phone.facility.district])
    sign_in(client, manager)
    page = client.get(f"/manage/facilities/{phone.facility.id}")
    assert f"/manage/facilities/{phone.facility.id}/phone-file" in page.get_data(as_text=True)
    response = upload(client, phone.facility.id, export_of(phone, changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "File synced" in html
    assert count(app, Answer) == 4
    with app.app_context():
        actors = set(db.session.scalars(select(Change.actor)))
    assert actors == {f"file via {manager.email}"}
    # Twice, or the phone syncing the same changes itself: stored once.
    upload(client, phone.facility.id, export_of(phone, changes))
    assert {r["status"] for r in phone.sync(changes)["results"]} == {"duplicate"}
    assert count(app, Change) == 6


def test_a_file_of_another_facility_or_not_an_export_changes_nothing(app, client, phone,
                                                                     make_user, make_facility):
    sign_in(client, make_user("manager", [phone.facility.district]))
    _, _, changes = phone.round_changes(n_answers=1)
    other = make_facility("Elsewhere", phone.facility.district)
    for content in [export_of(phone, changes, facility_id=other.id), b"not json",
                    b'{"app": "other"}', b"[" * 100000, b""]:
        response = upload(client, phone.facility.id, content)
        assert response.status_code == 422, content[:20]
        assert 'role="alert"' in response.get_data(as_text=True)
    assert count(app, Change) == 0


def test_a_file_with_broken_changes_syncs_the_good_ones(app, client, phone, make_user):
    sign_in(client, make_user("admin"))
    _, _, changes = phone.round_changes(n_answers=2)
    broken = [{"change_id": "nope", "type": "answer"}, {"change_id": new_id(), "type": "x",
                                                        "id": new_id(), "fields": {}}]
    response = upload(client, phone.facility.id, export_of(phone, changes + broken))
    assert response.status_code == 200
    assert count(app, Answer) == 2
    assert "Refused changes" in response.get_data(as_text=True)


def test_only_those_who_manage_the_facility_may_bring_a_file(app, client, phone, make_user,
                                                             make_facility):
    from healthwise.facilities.models import District

    stranger = make_user("manager", [District(name="Far away")])
    sign_in(client, stranger)
    _, _, changes = phone.round_changes(n_answers=1)
    assert client.get(f"/manage/facilities/{phone.facility.id}/phone-file").status_code == 404
    assert upload(client, phone.facility.id, export_of(phone, changes)).status_code == 404
    assert count(app, Change) == 0
