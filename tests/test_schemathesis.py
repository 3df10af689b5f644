"""Fuzz the API from its own OpenAPI document: no 5xx, and answers that match the document.

Schemathesis generates requests for every operation in ``/api/v1/openapi.json``:
valid ones (which must get answers that conform to the document) and invalid ones
(which must be refused with a 4xx, never a 500). The requests carry a valid bearer
token of a facility that has a round, so the token-protected operations are reached.
Bounded per operation, so the whole run takes well under a minute on two cores.
"""

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from healthwise.devices import service
from healthwise.extensions import db
from tests.conftest import Phone

#: Generated requests per operation and mode (positive, negative); fewer where the
#: operation's inputs have fewer distinct values (no parameters: one request).
MAX_EXAMPLES = 100
MIN_REQUESTS = 1000
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection]


def test_the_api_survives_generated_requests(app, make_facility, make_token, make_user):
    facility = make_facility()
    secret = make_token(facility)
    phone = Phone(app.test_client(), facility, secret)
    assessment_id, _, changes = phone.round_changes(n_answers=5)
    phone.sync(changes)
    manager = make_user("manager", [facility.district])
    with app.app_context():
        service.create_enrolment_code(facility.id, uses=5)
        # The managers' API takes a manager's token (a phone's gets 403 there).
        _, manager_secret = service.create_user_token(db.session.merge(manager))
        db.session.commit()
    real_ids = (("assessment_id", assessment_id), ("checklist_id", "healthwise"),
                ("district_id", facility.district_id), ("facility_id", facility.id),
                ("table", "action_items"))

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # identity: the in-process WSGI transport does not undo Flask-Compress's encodings.
    headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    sent: Counter = Counter()
    statuses: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:
        tokens = [headers]
        if {"districts_api", "exports_api"} & set(operation.definition.raw.get("tags") or ()):
            tokens.append({**headers, "Authorization": f"Bearer {manager_secret}"})
        for token in tokens:
            _fuzz(operation, GenerationMode.POSITIVE, POSITIVE_CHECKS, token, sent, statuses)
            _fuzz(operation, GenerationMode.NEGATIVE, NEGATIVE_CHECKS, token, sent, statuses)
            # Random ids only find "not found": reach the real thing too, in any language.
            names = [name for name, _ in real_ids if f"{{{name}}}" in operation.path]
            if names:
                _fuzz(operation, GenerationMode.POSITIVE, POSITIVE_CHECKS, token, sent,
                      statuses, max_examples=25,
                      path_parameters={name: value for name, value in real_ids
                                       if name in names})

    total = sum(sent.values())
    print(f"schemathesis: {total} requests over {len(operations)} operations; "
          f"statuses {dict(sorted(statuses.items()))}")
    for (label, mode), n in sorted(sent.items()):
        print(f"  {n:4d} {mode:18s} {label}")
    assert total >= MIN_REQUESTS
    assert not any(status >= 500 for status in statuses)


def _fuzz(operation, mode, checks, headers, sent, statuses, max_examples=MAX_EXAMPLES,
          **fixed) -> None:
    """Send generated requests to one operation and check every response.

    :param fixed: values to keep fixed, e.g. ``path_parameters`` (see ``as_strategy``).
    """

    @settings(max_examples=max_examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def run(case):
        response = case.call_and_validate(headers=headers, checks=checks)
        sent[(operation.label, mode.value + (" (real id)" if fixed else ""))] += 1
        statuses[response.status_code] += 1

    try:
        run()
    except Unsatisfiable:
        # No invalid request can be made for an operation without inputs.
        assert mode == GenerationMode.NEGATIVE, operation.label



# What the fuzzer found, pinned ---------------------------------------------------------------


def test_a_cursor_past_the_integer_range_is_refused_not_a_500(phone):
    """A 500 on PostgreSQL once: a cursor beyond the INTEGER range reached the query."""
    for cursor in ["165241103068155927", "1652411030", "165241103068155927.0000abcd"]:
        assert phone.sync(cursor=cursor, expect=422)["error"]["code"] == "bad_cursor"
    assert phone.sync(cursor="1" * 19, expect=422)["error"]["code"] == "invalid"


def test_every_language_of_a_checklist_matches_the_document(app):
    """Translations may be longer than the English source's limits: the document says so."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/checklists/{checklist_id}"]["GET"]
    for lang in app.config["LANGUAGES"]:
        case = operation.Case(path_parameters={"checklist_id": "healthwise"},
                              query={"lang": lang})
        response = case.call_and_validate(headers={"Accept-Encoding": "identity"},
                                          checks=POSITIVE_CHECKS)
        assert response.status_code == 200
