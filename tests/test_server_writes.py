"""Records written by the server for a signed-in person reach phones like any change."""

import pytest

from healthwise.assessments.envelope import Rejected
from healthwise.assessments.service import server_actor, write_record
from healthwise.extensions import db
from tests.conftest import new_id


def test_a_record_written_in_the_pages_is_pulled_by_the_facility_phones(app, phone):
    assessment_id = new_id()
    with app.app_context():
        result = write_record(phone.facility.id, "trainer@example.org", "assessment",
                              assessment_id, {
                                  "facility_id": phone.facility.id, "checklist_id": "healthwise",
                                  "checklist_version": 1, "title": "Practice round",
                                  "kind": "baseline", "status": "open"})
        db.session.commit()
    assert result["status"] == "applied"
    pulled = phone.sync()
    (change,) = [c for c in pulled["changes"] if c["id"] == assessment_id]
    assert change["fields"]["title"] == "Practice round"


def test_a_refused_write_raises_and_leaves_nothing(app, phone):
    with app.app_context():
        with pytest.raises(Rejected):
            write_record(phone.facility.id, "trainer@example.org", "assessment", new_id(),
                         {"facility_id": phone.facility.id + 1, "checklist_id": "healthwise",
                          "checklist_version": 1})
        db.session.rollback()
    assert phone.sync()["changes"] == []


def test_one_person_writes_as_one_device_and_two_people_as_two():
    assert server_actor("a@example.org") == server_actor("a@example.org")
    assert server_actor("a@example.org").device_id != server_actor("b@example.org").device_id
    assert server_actor("a@example.org").server
