"""Who may reach what: an access-control matrix generated from the app's own route table.

Every route (except ``static``) is tried by every role, with every kind of object id
(one of facility A's side, one of facility B's side, one that does not exist, one past
the database's integer range), and must
answer as its policy in :data:`POLICIES` says. A route that is not in :data:`POLICIES`
fails the test: a new route is classified before it ships.

The world: district D holds facility A, district E holds facility B. Roles: anonymous,
the committee phone of A, the phone of B, the API token of D's manager, the manager of
D, the manager of E, a trainer and an admin. Each side has a round whose participant and
title are distinctive, and no response may show another side's (nor, on a manager's
pages, any participant's name).
"""

import json
from dataclasses import dataclass, field

import pytest
from flask import url_for

from healthwise import create_app
from healthwise.auth import service
from healthwise.districts.models import District, Facility
from healthwise.extensions import db
from tests.conftest import Phone, csrf_token, new_id, sign_in

ANON, PHONE_A, PHONE_B, TOKEN_D = "anonymous", "phone A", "phone B", "manager D token"
MANAGER_D, MANAGER_E, TRAINER, ADMIN = "manager D", "manager E", "trainer", "admin"
ROLES = (ANON, PHONE_A, PHONE_B, TOKEN_D, MANAGER_D, MANAGER_E, TRAINER, ADMIN)
TOKEN_ROLES = {PHONE_A, PHONE_B, TOKEN_D}
USER_ROLES = {MANAGER_D, MANAGER_E, TRAINER, ADMIN}
#: The sides of the world each role may reach.
REACH = {ANON: set(), PHONE_A: {"A"}, PHONE_B: {"B"}, TOKEN_D: {"A"}, MANAGER_D: {"A"},
         MANAGER_E: {"B"}, TRAINER: set(), ADMIN: {"A", "B"}}
#: Object ids: one of A's side, one of B's, one that does not exist, and one that cannot
#: (an id past the database's integer range, a string too long to be an id).
SIDES = ("A", "B", "missing", "huge")
SIGN_IN = "redirect to sign-in"
MISSING_ID = 987654
HUGE_ID = 2**64


# The world ----------------------------------------------------------------------------------


@dataclass
class World:
    """Ids and secrets of everything the matrix touches, by side."""

    facility: dict = field(default_factory=dict)
    district: dict = field(default_factory=dict)
    assessment: dict = field(default_factory=dict)
    device: dict = field(default_factory=dict)
    code: dict = field(default_factory=dict)
    code_secret: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    markers: dict = field(default_factory=dict)
    names: tuple = ()


def build_world(app, make_user) -> World:
    world = World()
    for side, other in (("A", "Alpha"), ("B", "Bravo")):
        district = District(name=f"District {'D' if side == 'A' else 'E'} {other}")
        facility = Facility(name=f"{other} Clinic", district=district)
        db.session.add(facility)
        db.session.commit()
        world.facility[side], world.district[side] = facility.id, district.id
        _, secret = service.create_device_token(facility.id, f"{other} committee phone")
        device, _ = service.create_device_token(facility.id, f"{other} spare phone")
        code, raw = service.create_enrolment_code(facility.id, uses=1000)
        db.session.commit()
        world.tokens[PHONE_A if side == "A" else PHONE_B] = secret
        world.device[side], world.code[side], world.code_secret[side] = device.id, code.id, raw
        phone = Phone(app.test_client(), facility, secret)
        assessment_id, _, changes = phone.round_changes(n_answers=3)
        changes[0]["fields"]["title"] = f"{other} baseline round"
        changes[1]["fields"]["participant"] = f"Secret {other} Person"
        phone.sync(changes)
        world.assessment[side] = assessment_id
        world.markers[side] = (f"{other} Clinic", f"{other} baseline round",
                               f"Secret {other} Person", assessment_id, f"{other} spare phone")
    world.names = ("Secret Alpha Person", "Secret Bravo Person")
    for kind in (world.device, world.code, world.facility, world.district):
        kind["missing"], kind["huge"] = MISSING_ID, HUGE_ID
    world.assessment["missing"], world.assessment["huge"] = new_id(), "f" * 300
    world.code_secret["missing"], world.code_secret["huge"] = "ZZZZ-ZZZZ", "Z" * 20
    districts = {side: db.session.get(District, world.district[side]) for side in "AB"}
    world.users = {MANAGER_D: make_user("manager", [districts["A"]]),
                   MANAGER_E: make_user("manager", [districts["B"]]),
                   TRAINER: make_user("trainer"), ADMIN: make_user("admin")}
    _, world.tokens[TOKEN_D] = service.create_user_token(world.users[MANAGER_D], "review")
    db.session.commit()
    return world


def role_clients(app, world) -> dict:
    """One test client per role, each with its own session and CSRF token."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        client.csrf = csrf_token(client)
        if role in USER_ROLES:
            sign_in(client, world.users[role])
        client.headers = ({"Authorization": f"Bearer {world.tokens[role]}"}
                          if role in TOKEN_ROLES else {})
        clients[role] = client
    return clients


# Policies -----------------------------------------------------------------------------------


@dataclass
class Policy:
    """How a route answers each role: see :meth:`expect`.

    ``param`` names the URL variable that holds an object id and ``value`` picks it from
    the world for a side ("A", "B", "missing"); ``body`` builds the request's JSON or
    form; ``leaks`` is False where a response may show a side the caller does not reach
    (redeeming a code tells its holder the facility, by design).
    """

    access: str  # public | bearer | page | manager
    ok: int = 200
    param: str | None = None
    value: object = None
    body: object = None
    leaks: bool = True

    @property
    def objects(self) -> tuple:
        return SIDES if self.param else (None,)

    def expect(self, role: str, side: str | None):
        """Return the status (or SIGN_IN) that ``role`` must get for an object of ``side``."""
        if self.access == "public":
            return 404 if side in ("missing", "huge") else self.ok
        if self.access == "bearer":
            if role not in TOKEN_ROLES:
                return 401
            return self.ok if side is None or side in REACH[role] else 404
        if role not in USER_ROLES:
            return SIGN_IN
        if self.access == "manager" and role == TRAINER:
            return 403
        return self.ok if side is None or side in REACH[role] else 404

    def request(self, world: World, side: str | None, client) -> tuple[str, dict]:
        """Return the URL and the keyword arguments of the request."""
        return (self.value(world, side) if self.param else None), (
            self.body(world, side, client) if self.body else {})


def _form(**fields):
    return lambda world, side, client: {"data": {"csrf_token": client.csrf, **fields}}


def _sync_body(world, side, client):
    return {"json": {"device_id": new_id(), "cursor": None, "changes": []}}


def _enrol_body(world, side, client):
    return {"json": {"code": world.code_secret[side], "device_name": "matrix phone"}}


def _by_side(attribute):
    return lambda world, side: getattr(world, attribute)[side]


def _fixed(known, missing):
    return lambda world, side: {"missing": missing, "huge": missing * 100}.get(side, known)


PUBLIC = Policy("public")
POLICIES: dict[tuple[str, str], Policy] = {
    # The phone app shell and public data.
    ("GET", "pwa.index"): PUBLIC,
    ("GET", "pwa.service_worker"): PUBLIC,
    ("GET", "pwa.manifest"): PUBLIC,
    ("GET", "openapi.document"): PUBLIC,
    ("GET", "checklists.list_checklists"): PUBLIC,
    ("GET", "checklists.get_checklist"): Policy("public", param="checklist_id",
                                                value=_fixed("healthwise", "nope")),
    ("GET", "i18n.locales"): PUBLIC,
    ("GET", "i18n.interface_strings"): Policy("public", param="lang", value=_fixed("fr", "xx")),
    # Redeeming a code: anyone holding one (A's or B's), whoever they are.
    ("POST", "auth.enrol"): Policy("public", ok=201, param="code", body=_enrol_body,
                                   value=lambda world, side: None, leaks=False),
    # Bearer-token API.
    ("GET", "auth.me"): Policy("bearer"),
    ("POST", "assessments.sync"): Policy("bearer", body=_sync_body),
    ("GET", "plans.plan"): Policy("bearer", param="assessment_id",
                                  value=_by_side("assessment")),
    ("GET", "plans.plan_pdf"): Policy("bearer", param="assessment_id",
                                      value=_by_side("assessment")),
    # Pages: sign-in is open to all; the rest need a signed-in person.
    ("GET", "manage.sign_in"): PUBLIC,
    ("POST", "manage.sign_in"): Policy("public", body=_form(email="nobody@example.org",
                                                           password="not the password")),
    ("POST", "manage.sign_out"): Policy("public", ok=303, body=_form()),
    ("GET", "manage.home"): Policy("page"),
    ("GET", "manage.tokens"): Policy("manager"),
    ("POST", "manage.create_token"): Policy("manager", body=_form(name="matrix")),
    ("GET", "manage.district"): Policy("manager", param="district_id",
                                       value=_by_side("district")),
    ("GET", "manage.facility"): Policy("manager", param="facility_id",
                                       value=_by_side("facility")),
    ("POST", "manage.create_code"): Policy("manager", param="facility_id",
                                           value=_by_side("facility"),
                                           body=_form(uses="3", days="1")),
    ("POST", "manage.end_code"): Policy("manager", ok=303, param="code_id",
                                        value=_by_side("code"), body=_form()),
    ("POST", "manage.revoke_device"): Policy("manager", ok=303, param="token_id",
                                             value=_by_side("device"), body=_form()),
}


def _routes() -> list[tuple[str, str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "DEMO_DATA": False})
    return sorted((method, rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static"
                  for method in rule.methods - {"HEAD", "OPTIONS"})


ROUTES = _routes()


def test_every_route_is_classified():
    unknown = [f"{method} {rule} ({endpoint})" for method, rule, endpoint in ROUTES
               if (method, endpoint) not in POLICIES]
    assert not unknown, ("Add these routes to POLICIES in tests/test_access.py: "
                         + ", ".join(unknown))
    stale = set(POLICIES) - {(method, endpoint) for method, _, endpoint in ROUTES}
    assert not stale, f"POLICIES names routes that no longer exist: {sorted(stale)}"


def test_the_matrix_is_large():
    cases = sum(len(ROLES) * len(POLICIES[(m, e)].objects) for m, _, e in ROUTES
                if (m, e) in POLICIES)
    assert cases >= len(ROUTES) * len(ROLES)
    print(f"access matrix: {len(ROUTES)} routes x {len(ROLES)} roles -> {cases} requests")


def _text(response) -> str:
    if response.mimetype in ("application/pdf",) or response.mimetype.startswith("image/"):
        response.close()
        return ""
    data = response.get_data()
    response.close()  # file responses (the manifest) hold their file open until closed
    if response.headers.get("Content-Encoding") == "gzip":
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


@pytest.mark.parametrize("method, rule, endpoint", ROUTES,
                         ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_route_answers_each_role_as_its_policy_says(app, make_user, method, rule, endpoint):
    policy = POLICIES.get((method, endpoint))
    if policy is None:
        pytest.fail(f"{method} {rule} is not classified: add it to POLICIES")
    world = build_world(app, make_user)
    clients = role_clients(app, world)
    failures = []
    for role in ROLES:
        client = clients[role]
        for side in policy.objects:
            value, kwargs = policy.request(world, side, client)
            with app.test_request_context():
                values = {policy.param: value} if policy.param and value is not None else {}
                url = url_for(endpoint, **values)
            response = client.open(url, method=method, headers=client.headers, **kwargs)
            expected = policy.expect(role, side)
            where = f"{role} -> {method} {url} ({side or 'no object'})"
            if expected == SIGN_IN:
                response.close()
                if response.status_code != 302 or not response.headers["Location"].startswith(
                        "/manage/sign-in"):
                    failures.append(f"{where}: {response.status_code}, expected {SIGN_IN}")
                continue
            if response.status_code != expected:
                response.close()
                failures.append(f"{where}: {response.status_code}, expected {expected}")
                continue
            text = _text(response)
            if policy.leaks:
                for other in {"A", "B"} - REACH[role]:
                    for marker in world.markers[other]:
                        if marker in text:
                            failures.append(f"{where}: shows {marker!r} of side {other}")
            if url.startswith("/manage/"):
                for name in world.names:
                    if name in text:
                        failures.append(f"{where}: shows the participant name {name!r}")
    assert not failures, "\n".join(failures)


# Nothing leaks in a list or a pull ----------------------------------------------------------


@pytest.fixture
def world(app, make_user):
    return build_world(app, make_user)


def _pull(client, token) -> dict:
    response = client.post("/api/v1/sync", json={"device_id": new_id(), "changes": []},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()


def test_a_phone_pulls_only_its_facility(app, world):
    client = app.test_client()
    for role, side, other in ((PHONE_A, "A", "B"), (PHONE_B, "B", "A")):
        pulled = _pull(client, world.tokens[role])
        facilities = {c["fields"].get("facility_id") for c in pulled["changes"]} - {None}
        assert facilities == {world.facility[side]}
        assert len(pulled["changes"]) == 5  # assessment, response, three answers
        text = json.dumps(pulled)
        assert not any(marker in text for marker in world.markers[other])


def test_the_manager_token_pulls_its_districts_only(app, world):
    pulled = _pull(app.test_client(), world.tokens[TOKEN_D])
    ids = {c["id"] for c in pulled["changes"]}
    assert world.assessment["A"] in ids and world.assessment["B"] not in ids


def test_a_phone_cannot_write_into_another_facility(app, world):
    phone_b = Phone(app.test_client(), None, world.tokens[PHONE_B])
    attempts = [
        phone_b.change("assessment", world.assessment["A"], {"title": "taken over"}, base_rev=1),
        phone_b.change("response", new_id(), {"assessment_id": world.assessment["A"],
                                              "participant": "intruder"}),
        phone_b.change("assessment", new_id(), {
            "facility_id": world.facility["A"], "checklist_id": "healthwise",
            "checklist_version": 1, "title": "planted", "kind": "baseline",
            "status": "open", "started_on": "2026-11-20"}),
    ]
    results = phone_b.sync(attempts)["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    pulled = _pull(app.test_client(), world.tokens[PHONE_A])
    text = json.dumps(pulled)
    assert "taken over" not in text and "intruder" not in text and "planted" not in text


@pytest.mark.parametrize("role, sees, hidden", [
    (MANAGER_D, "A", "B"), (MANAGER_E, "B", "A"), (ADMIN, "AB", ""), (TRAINER, "", "AB"),
])
def test_a_person_lists_only_the_facilities_they_reach(app, world, role, sees, hidden):
    client = app.test_client()
    sign_in(client, world.users[role])
    page = client.get("/manage/").get_data(as_text=True)
    for side in sees:
        assert world.markers[side][0] in page
    for side in hidden:
        assert world.markers[side][0] not in page
        assert f"/manage/facilities/{world.facility[side]}" not in page


def test_a_facility_page_lists_only_its_own_devices(app, world):
    client = app.test_client()
    sign_in(client, world.users[ADMIN])
    page = client.get(f"/manage/facilities/{world.facility['A']}").get_data(as_text=True)
    assert "Alpha spare phone" in page and "Bravo" not in page
