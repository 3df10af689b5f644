"""Who may reach what: an access-control matrix generated from the app's own route table.

Every route (except ``static``) is tried by every role, with every kind of object id
(one of each side of the world, one that does not exist, one past the database's integer
range), and must answer as its policy in :data:`POLICIES` says. A route that is not in
:data:`POLICIES` fails the test: a new route is classified before it ships.

The world: district D holds facility A, district E holds facility B; trainer W runs
workshop W, trainer V workshop V, each with its practice facility (in no district).
Roles: anonymous, the committee phone of A, the phone of B, the API token of D's
manager, an admin's API token, a participant's phone in workshop W, the manager of D,
the manager of E, trainer W, trainer V and an admin. Each side has a round whose
participant and title are distinctive, and no response may show another side's (nor,
above facility level, on a person's pages or through a person's token, any
participant's name).

What each kind of token may read and write is the table in ``docs/security.md``:
phones (a committee's, a participant's) the phones' API of their facility, people's
tokens (a manager's, an admin's) the managers' API of their districts, read only.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from flask import url_for

from healthwise.access import service as access
from healthwise.assessments.service import write_record
from healthwise.devices import service
from healthwise.extensions import db
from healthwise.facilities.models import District, Facility
from healthwise.workshops.service import create_workshop
from tests.conftest import Phone, csrf_token, loaded, new_app, new_id, sign_in

ANON, PHONE_A, PHONE_B, TOKEN_D = "anonymous", "phone A", "phone B", "manager D token"
TOKEN_ADMIN = "admin token"
PARTICIPANT = "participant W"
MANAGER_D, MANAGER_E, ADMIN = "manager D", "manager E", "admin"
TRAINER, TRAINER_V = "trainer W", "trainer V"
ROLES = (ANON, PHONE_A, PHONE_B, TOKEN_D, TOKEN_ADMIN, PARTICIPANT, MANAGER_D, MANAGER_E,
         TRAINER, TRAINER_V, ADMIN)
#: Phones' tokens (the phones' API) and people's tokens (the managers' API).
PHONE_TOKENS, PERSON_TOKENS = {PHONE_A, PHONE_B, PARTICIPANT}, {TOKEN_D, TOKEN_ADMIN}
TOKEN_ROLES = PHONE_TOKENS | PERSON_TOKENS
USER_ROLES = {MANAGER_D, MANAGER_E, TRAINER, TRAINER_V, ADMIN}
MANAGERS, TRAINERS = {MANAGER_D, MANAGER_E}, {TRAINER, TRAINER_V}
#: The sides of the world: two district facilities, two workshops.
DISTRICTS, WORKSHOPS = frozenset("AB"), frozenset("WV")
EVERYWHERE = DISTRICTS | WORKSHOPS
#: The sides of the world each role may reach.
REACH = {ANON: set(), PHONE_A: {"A"}, PHONE_B: {"B"}, TOKEN_D: {"A"}, TOKEN_ADMIN: {"A", "B"},
         PARTICIPANT: {"W"},
         MANAGER_D: {"A"}, MANAGER_E: {"B"}, TRAINER: {"W"}, TRAINER_V: {"V"},
         ADMIN: set(EVERYWHERE)}
#: Object ids: one of each side, one that does not exist, and one that cannot (an id past
#: the database's integer range, a string too long to be an id).
SIDES = ("A", "B", "W", "V", "missing", "huge")
DISTRICT_SIDES = ("A", "B", "missing", "huge")
WORKSHOP_SIDES = ("W", "V", "missing", "huge")
SIGN_IN = "redirect to sign-in"
MISSING_ID = 987654
HUGE_ID = 2**64


# The world ----------------------------------------------------------------------------------


@dataclass
class World:
    """Ids and secrets of everything the matrix touches, by side."""

    facility: dict = field(default_factory=dict)
    district: dict = field(default_factory=dict)
    workshop: dict = field(default_factory=dict)
    assessment: dict = field(default_factory=dict)
    device: dict = field(default_factory=dict)
    code: dict = field(default_factory=dict)
    code_secret: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    markers: dict = field(default_factory=dict)
    names: tuple = ()
    #: Per side, the photo of the round's action item: (name, bytes), uploaded.
    photo: dict = field(default_factory=dict)


def _practise(world, app, side, facility, other, place) -> str:
    """Give one side two phones, a code and a round of its own; return the first phone's
    token."""
    with app.app_context():
        _, secret = service.create_device_token(facility.id, f"{other} committee phone")
        device, _ = service.create_device_token(facility.id, f"{other} spare phone")
        code, raw = service.create_enrolment_code(facility.id, uses=1000)
        db.session.commit()
        world.device[side], world.code[side], world.code_secret[side] = device.id, code.id, raw
    phone = Phone(app.test_client(), facility, secret)
    assessment_id, _, changes = phone.round_changes(n_answers=3)
    changes[0]["fields"]["title"] = f"{other} baseline round"
    changes[1]["fields"]["participant"] = f"Secret {other} Person"
    # An action item with a photo (of a checkpoint that is not sensitive), uploaded.
    photo = b"\xff\xd8\xff\xe0" + f"{other} photo".encode()
    name = hashlib.sha256(photo).hexdigest()
    changes.append(phone.change("action_item", new_id(), {
        "assessment_id": assessment_id, "checkpoint_id": changes[-1]["fields"]["checkpoint_id"],
        "action": "Fix it", "photos": [name]}))
    if side in WORKSHOPS:  # the trainer starts a workshop's rounds, not a participant
        with app.app_context():
            write_record(facility.id, f"trainer of {other}", "assessment", assessment_id,
                         changes.pop(0)["fields"])
            db.session.commit()
    phone.sync(changes)
    assert phone.client.put(f"/api/v1/photos/{name}", data=photo, content_type="image/jpeg",
                            headers={"Authorization": f"Bearer {secret}"}).status_code == 201
    world.photo[side] = (name, photo)
    world.facility[side], world.assessment[side] = facility.id, assessment_id
    world.markers[side] = (place, f"{other} baseline round", f"Secret {other} Person",
                           assessment_id, f"{other} spare phone")
    return secret


def build_world(app, make_user) -> World:
    world = World()
    districts = {}
    for side, other, role in (("A", "Alpha", PHONE_A), ("B", "Bravo", PHONE_B)):
        with loaded(app) as session:
            district = District(name=f"District {'D' if side == 'A' else 'E'} {other}")
            facility = Facility(name=f"{other} Clinic", district=district)
            session.add(facility)
            session.commit()
        world.district[side], districts[side] = district.id, district
        world.tokens[role] = _practise(world, app, side, facility, other, f"{other} Clinic")
    world.users = {TRAINER: make_user("trainer"), TRAINER_V: make_user("trainer")}
    for side, other, trainer in (("W", "Whiskey", TRAINER), ("V", "Victor", TRAINER_V)):
        with loaded(app) as session:
            workshop = create_workshop(session.merge(world.users[trainer]),
                                       f"{other} Workshop", date.today())
            session.commit()
        world.workshop[side] = workshop.id
        secret = _practise(world, app, side, workshop.facility, other, f"{other} Workshop")
        if side == "W":
            world.tokens[PARTICIPANT] = secret
    world.names = tuple(markers[2] for markers in world.markers.values())
    for kind in (world.device, world.code, world.facility, world.district, world.workshop):
        kind["missing"], kind["huge"] = MISSING_ID, HUGE_ID
    world.assessment["missing"], world.assessment["huge"] = new_id(), "f" * 300
    world.code_secret["missing"], world.code_secret["huge"] = "ZZZZ-ZZZZ", "Z" * 20
    world.users.update({MANAGER_D: make_user("manager", [districts["A"]]),
                        MANAGER_E: make_user("manager", [districts["B"]]),
                        ADMIN: make_user("admin")})
    with app.app_context():
        for role, name in ((TOKEN_D, "review"), (TOKEN_ADMIN, "script")):
            person = world.users[MANAGER_D if role == TOKEN_D else ADMIN]
            _, world.tokens[role] = service.create_user_token(db.session.merge(person), name)
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
    the world for each of ``sides`` ("A", "W", "missing"...); ``reach`` holds the sides
    this route can reach at all (a district's pages never reach a workshop, even for an
    admin); ``body`` builds the request's JSON or form; ``leaks`` is False where a
    response may show a side the caller does not reach (redeeming a code tells its holder
    the facility, by design); ``routed`` is True where the URL router itself checks the
    id's shape (``<uuid:...>``), so a malformed id is a 404 before any token is read: it
    cannot name anything; ``unknown`` is the status of an unknown or malformed
    value where every caller gets the same (400 for a language: the one ``lang`` rule).
    """

    # public | phones (phones' tokens) | any token | managers api (people's tokens) |
    # page | manager | admin | trainer | trainer only
    access: str
    ok: int = 200
    param: str | None = None
    value: object = None
    body: object = None
    leaks: bool = True
    sides: tuple = SIDES
    reach: frozenset = EVERYWHERE
    routed: bool = False
    unknown: int = 404
    # The status of some roles where it is not ``ok`` (a trainer sent on to their workshops).
    ok_by_role: dict = field(default_factory=dict)
    #: A workshop page that may show its own participants' names (workshop level: the
    #: trainer's own practice facility); never another side's.
    own_names: bool = False

    @property
    def objects(self) -> tuple:
        return self.sides if self.param else (None,)

    def reaches(self, role: str) -> set:
        """Return the sides ``role`` reaches through this route."""
        return REACH[role] & self.reach

    def expect(self, role: str, side: str | None):
        """Return the status (or SIGN_IN) that ``role`` must get for an object of ``side``."""
        if self.access == "public" or (self.routed and side == "huge"):
            return self.unknown if side in ("missing", "huge") else self.ok
        if self.access in TOKEN_KINDS:
            if role not in TOKEN_ROLES:
                return 401
            if role not in TOKEN_KINDS[self.access]:
                return 403
            ok = self.ok_by_role.get(role, self.ok)
            return ok if side is None or side in self.reaches(role) else 404
        if role not in USER_ROLES:
            return SIGN_IN
        if self.access == "manager" and role in TRAINERS:
            return 403
        if self.access == "admin" and role != ADMIN:
            return 403
        if self.access.startswith("trainer") and role in MANAGERS:
            return 403
        if self.access == "trainer only" and role == ADMIN:
            return 403
        ok = self.ok_by_role.get(role, self.ok)
        return ok if side is None or side in self.reaches(role) else 404

    def request(self, world: World, side: str | None, client) -> tuple[str, dict]:
        """Return the URL and the keyword arguments of the request."""
        return (self.value(world, side) if self.param else None), (
            self.body(world, side, client) if self.body else {})


#: Which tokens each kind of API route takes; any other valid token gets 403.
TOKEN_KINDS = {"phones": PHONE_TOKENS, "any token": TOKEN_ROLES,
               "managers api": PERSON_TOKENS}


def _form(**fields):
    return lambda world, side, client: {"data": {"csrf_token": client.csrf, **fields}}


def _sync_body(world, side, client):
    return {"json": {"device_id": new_id(), "cursor": None, "changes": []}}


def _enrol_body(world, side, client):
    return {"json": {"code": world.code_secret[side], "device_name": "matrix phone"}}


def _by_side(attribute):
    return lambda world, side: getattr(world, attribute)[side]


def _round_of(world, side):
    """Return a side's facility and its round (ids that do not exist for missing, huge)."""
    return {"facility_id": world.facility[side], "assessment_id": world.assessment[side]}


def _workshop_round(world, side):
    """Return a side's workshop and its round (ids that do not exist for missing, huge)."""
    return {"workshop_id": world.workshop[side], "assessment_id": world.assessment[side]}


def _table_of(world, side):
    """Return a side's district and one table of its export."""
    return {"district_id": world.district[side], "table": "action_items"}


def _photo_of(world, side):
    """Return a side's photo name (a name no record has for missing, no name for huge)."""
    return {"missing": "0" * 64, "huge": "f" * 300}.get(side) or world.photo[side][0]


def _photo_body(world, side, client):
    data = world.photo[side][1] if side in world.photo else b"\xff\xd8\xff nothing"
    return {"data": data, "content_type": "image/jpeg"}


def _fixed(known, missing):
    return lambda world, side: {"missing": missing, "huge": missing * 100}.get(side, known)


PUBLIC = Policy("public")
POLICIES: dict[tuple[str, str], Policy] = {
    # The phone app shell and public data.
    ("GET", "pwa.index"): PUBLIC,
    ("GET", "pwa.service_worker"): PUBLIC,
    ("GET", "pwa.manifest"): PUBLIC,
    ("GET", "api-docs.openapi_json"): PUBLIC,
    ("GET", "checklists_api.list_checklists"): PUBLIC,
    ("GET", "assessments_api.sync_limits"): PUBLIC,
    ("GET", "checklists_api.get_checklist"): Policy("public", param="checklist_id",
                                                value=_fixed("healthwise", "nope")),
    ("GET", "checklists_api.get_xlsform"): Policy("public", param="checklist_id",
                                              value=_fixed("healthwise", "nope")),
    ("GET", "languages_api.locales"): PUBLIC,
    ("GET", "languages_api.interface_strings"): Policy("public", param="lang", unknown=400,
                                                       value=_fixed("fr", "xx")),
    # Redeeming a code: anyone holding one (A's or B's), whoever they are.
    ("POST", "devices_api.enrol"): Policy("public", ok=201, param="code", body=_enrol_body,
                                   value=lambda world, side: None, leaks=False),
    # The phones' API: raw records, for the phones of one facility or workshop only.
    ("GET", "devices_api.me"): Policy("any token"),
    ("POST", "assessments_api.sync"): Policy("phones", body=_sync_body),
    # A participant's phone asks its workshop and group; a committee phone has none.
    ("GET", "workshops_api.phone_workshop"): Policy("phones", ok_by_role={PHONE_A: 403,
                                                                         PHONE_B: 403}),
    ("GET", "plans_api.plan"): Policy("phones", param="assessment_id",
                                      value=_by_side("assessment"), routed=True),
    ("GET", "plans_api.plan_pdf"): Policy("phones", param="assessment_id",
                                          value=_by_side("assessment"), routed=True),
    # Photos: a phone reads and uploads those its facility's records name (the upload
    # of one it has: 200); managers read action items' photos of their districts' pages.
    ("GET", "photos_api.download"): Policy("phones", param="name", value=_photo_of),
    ("PUT", "photos_api.upload"): Policy("phones", param="name", value=_photo_of,
                                         body=_photo_body),
    ("GET", "photos.page_photo"): Policy("manager", param="name", value=_photo_of,
                                         reach=DISTRICTS),
    # The managers' API: summaries of their districts, for people's tokens only.
    ("GET", "districts_api.districts"): Policy("managers api", reach=DISTRICTS),
    ("GET", "districts_api.district_summary"): Policy("managers api", param="district_id",
                                                  value=_by_side("district"),
                                                  sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("GET", "districts_api.facility_rounds"): Policy("managers api", param="facility_id",
                                                 value=_by_side("facility"), reach=DISTRICTS),
    ("GET", "districts_api.round_summary"): Policy("managers api", param="facility_id",
                                                   value=_round_of, reach=DISTRICTS,
                                                   routed=True),
    ("GET", "districts_api.district_overview"): Policy("managers api", param="district_id",
                                                   value=_by_side("district"),
                                                   sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("GET", "districts_api.round_pdf"): Policy("managers api", param="facility_id",
                                               value=_round_of, reach=DISTRICTS, routed=True),
    # District exports (files of the figures, the rule of five applied): the managers' API.
    ("GET", "exports_api.district_sqlite"): Policy("managers api", param="district_id",
                                                   value=_by_side("district"),
                                                   sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("GET", "exports_api.district_zip"): Policy("managers api", param="district_id",
                                                value=_by_side("district"),
                                                sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("GET", "exports_api.district_csv"): Policy("managers api", param="district_id",
                                                value=_table_of, sides=DISTRICT_SIDES,
                                                reach=DISTRICTS),
    ("GET", "districts_api.district_report_pdf"): Policy("managers api", param="district_id",
                                                     value=_by_side("district"),
                                                     sides=DISTRICT_SIDES, reach=DISTRICTS),
    # Pages: sign-in is open to all; the rest need a signed-in person.
    ("GET", "auth.sign_in"): PUBLIC,
    ("POST", "auth.sign_in"): Policy("public", body=_form(email="nobody@example.org",
                                                           password="not the password")),
    ("POST", "auth.sign_out"): Policy("public", ok=303, body=_form()),
    # One's own password, for every signed-in person (a wrong current password: 422).
    ("GET", "auth.password"): Policy("page"),
    ("POST", "auth.password"): Policy("page", ok=422, body=_form(
        current="not the password", new="a new passphrase", confirm="a new passphrase")),
    # The list of people and password resets: admins only.
    ("GET", "auth.users"): Policy("admin"),
    ("POST", "auth.reset_password"): Policy("admin", body=lambda world, side, client: {
        "data": {"csrf_token": client.csrf, "user_id": str(world.users[TRAINER_V].id)}}),
    # District pages: managers and admins, never a workshop's practice facility.
    # A trainer has no district: /manage/ sends them on to their workshops.
    ("GET", "districts.home"): Policy("page", reach=DISTRICTS, ok_by_role={TRAINER: 303,
                                                                     TRAINER_V: 303}),
    ("GET", "devices.tokens"): Policy("manager", reach=DISTRICTS),
    ("POST", "devices.create_token"): Policy("manager", body=_form(name="matrix"),
                                            reach=DISTRICTS),
    ("GET", "districts.district"): Policy("manager", param="district_id",
                                       value=_by_side("district"), sides=DISTRICT_SIDES,
                                       reach=DISTRICTS),
    ("GET", "districts.facility"): Policy("manager", param="facility_id",
                                       value=_by_side("facility"), reach=DISTRICTS),
    ("GET", "districts.plan_pdf"): Policy("manager", param="facility_id", value=_round_of,
                                       reach=DISTRICTS, routed=True),
    # A manager's review of a round's plan (saved: 303 back to the facility page).
    ("POST", "districts.save_review"): Policy("manager", ok=303, param="facility_id",
                                           value=_round_of, reach=DISTRICTS, routed=True,
                                           body=_form(comment="Matrix review",
                                                      reviewed="on")),
    ("GET", "districts.report_pdf"): Policy("manager", param="district_id",
                                         value=_by_side("district"), sides=DISTRICT_SIDES,
                                         reach=DISTRICTS),
    # The language picker of the pages: anyone, it only sets a cookie.
    ("GET", "languages.choose"): Policy("public", ok=303, param="code", unknown=303,
                                        value=_fixed("fr", "xx"), leaks=False),
    ("GET", "exports.district_sqlite"): Policy("manager", param="district_id",
                                               value=_by_side("district"), sides=DISTRICT_SIDES,
                                               reach=DISTRICTS),
    ("GET", "exports.district_zip"): Policy("manager", param="district_id",
                                            value=_by_side("district"), sides=DISTRICT_SIDES,
                                            reach=DISTRICTS),
    ("GET", "exports.district_csv"): Policy("manager", param="district_id", value=_table_of,
                                            sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("GET", "devices.facility"): Policy("manager", param="facility_id",
                                       value=_by_side("facility"), reach=DISTRICTS),
    ("POST", "devices.create_code"): Policy("manager", param="facility_id",
                                           value=_by_side("facility"),
                                           body=_form(uses="3", days="1"), reach=DISTRICTS),
    # Codes and phones of facilities and workshops alike: each person only their own.
    ("POST", "devices.end_code"): Policy("page", ok=303, param="code_id",
                                        value=_by_side("code"), body=_form()),
    ("POST", "devices.revoke_device"): Policy("page", ok=303, param="token_id",
                                             value=_by_side("device"), body=_form()),
    # A phone's exported file brought back: whoever manages the facility's phones.
    ("GET", "assessments.phone_file"): Policy("page", param="facility_id",
                                              value=_by_side("facility")),
    ("POST", "assessments.phone_file"): Policy("page", ok=422, param="facility_id",
                                               value=_by_side("facility"), body=_form()),
    # The registry: managers (their districts) and admins add, edit and import facilities;
    # admins alone create and rename districts. Forms that cannot be saved answer 422.
    ("GET", "facilities.index"): Policy("manager", reach=DISTRICTS),
    ("GET", "facilities.new_facility"): Policy("manager", reach=DISTRICTS),
    ("POST", "facilities.new_facility"): Policy(
        "manager", ok=422, reach=DISTRICTS,
        body=_form(name="Matrix", kind="clinic", district_id=str(MISSING_ID))),
    ("GET", "facilities.edit_facility"): Policy("manager", param="facility_id",
                                                value=_by_side("facility"), reach=DISTRICTS),
    ("POST", "facilities.edit_facility"): Policy("manager", ok=422, param="facility_id",
                                                 value=_by_side("facility"), reach=DISTRICTS,
                                                 body=_form(name="", kind="clinic")),
    ("GET", "facilities.import_file"): Policy("manager", reach=DISTRICTS),
    ("POST", "facilities.import_file"): Policy("manager", ok=422, reach=DISTRICTS,
                                               body=_form()),
    ("GET", "facilities.new_district"): Policy("admin", reach=DISTRICTS),
    ("POST", "facilities.new_district"): Policy("admin", ok=422, reach=DISTRICTS,
                                                body=_form(name="")),
    ("GET", "facilities.edit_district"): Policy("admin", param="district_id",
                                                value=_by_side("district"),
                                                sides=DISTRICT_SIDES, reach=DISTRICTS),
    ("POST", "facilities.edit_district"): Policy("admin", ok=422, param="district_id",
                                                 value=_by_side("district"),
                                                 sides=DISTRICT_SIDES, reach=DISTRICTS,
                                                 body=_form(name="")),
    # Workshop pages: trainers (their own) and admins (all); managers get 403.
    ("GET", "workshops.index"): Policy("trainer", reach=WORKSHOPS),
    ("POST", "workshops.create"): Policy("trainer only", ok=303, reach=WORKSHOPS,
                                         body=_form(name="Matrix", starts_on="2026-12-01")),
    ("GET", "workshops.workshop"): Policy("trainer", param="workshop_id",
                                          value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                          reach=WORKSHOPS),
    ("POST", "workshops.create_code"): Policy("trainer", param="workshop_id",
                                              value=_by_side("workshop"),
                                              sides=WORKSHOP_SIDES, reach=WORKSHOPS,
                                              body=_form(uses="3", days="1")),
    # A workshop's life (issue 13): the projector, closing, reset, certificates, results.
    ("GET", "workshops.projector"): Policy("trainer", param="workshop_id",
                                           value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                           reach=WORKSHOPS),
    ("POST", "workshops.projector_code"): Policy("trainer", ok=303, param="workshop_id",
                                                 value=_by_side("workshop"),
                                                 sides=WORKSHOP_SIDES, reach=WORKSHOPS,
                                                 body=_form()),
    ("POST", "workshops.close"): Policy("trainer", ok=303, param="workshop_id",
                                        value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                        reach=WORKSHOPS, body=_form(confirm="yes")),
    ("POST", "workshops.reset"): Policy("trainer", ok=303, param="workshop_id",
                                        value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                        reach=WORKSHOPS, body=_form(confirm="yes")),
    ("GET", "workshops.certificates_pdf"): Policy("trainer", param="workshop_id",
                                                  value=_by_side("workshop"),
                                                  sides=WORKSHOP_SIDES, reach=WORKSHOPS),
    ("GET", "exports.workshop_sqlite"): Policy("trainer", param="workshop_id",
                                               value=_by_side("workshop"),
                                               sides=WORKSHOP_SIDES, reach=WORKSHOPS),
    ("GET", "exports.workshop_zip"): Policy("trainer", param="workshop_id",
                                            value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                            reach=WORKSHOPS),
    # Issue 13: the trainer's rounds, groups, live view and consensus, of their own
    # workshops (an admin: every workshop); the live view and the consensus show the
    # workshop's own participants' names, never another workshop's.
    ("POST", "workshops.start_round"): Policy("trainer", ok=422, param="workshop_id",
                                              value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                              reach=WORKSHOPS, body=_form(title="")),
    ("GET", "workshops.groups"): Policy("trainer", param="workshop_id",
                                        value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                        reach=WORKSHOPS),
    ("POST", "workshops.add_group"): Policy("trainer", ok=422, param="workshop_id",
                                            value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                            reach=WORKSHOPS, body=_form(name="")),
    ("POST", "workshops.place_phones"): Policy("trainer", ok=303, param="workshop_id",
                                               value=_by_side("workshop"),
                                               sides=WORKSHOP_SIDES, reach=WORKSHOPS,
                                               body=_form()),
    ("GET", "workshops.live"): Policy("trainer", param="workshop_id",
                                      value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                      reach=WORKSHOPS, own_names=True),
    ("GET", "workshops.live_panel"): Policy("trainer", param="workshop_id",
                                            value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                            reach=WORKSHOPS, own_names=True),
    ("GET", "workshops.live_json"): Policy("trainer", param="workshop_id",
                                           value=_by_side("workshop"), sides=WORKSHOP_SIDES,
                                           reach=WORKSHOPS, own_names=True),
    ("GET", "workshops.agree"): Policy("trainer", param="workshop_id", value=_workshop_round,
                                       sides=WORKSHOP_SIDES, reach=WORKSHOPS, routed=True,
                                       own_names=True),
    ("POST", "workshops.save_agreement"): Policy("trainer", ok=422, param="workshop_id",
                                                 value=_workshop_round, sides=WORKSHOP_SIDES,
                                                 reach=WORKSHOPS, routed=True, body=_form(),
                                                 own_names=True),
    ("GET", "workshops.plan_pdf"): Policy("trainer", param="workshop_id",
                                          value=_workshop_round, sides=WORKSHOP_SIDES,
                                          reach=WORKSHOPS, routed=True),
}


def _routes() -> list[tuple[str, str, str]]:
    app = new_app("sqlite://")
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


#: The columns of the tables "What each token reads and writes" and "What each signed-in
#: person reads and writes" in docs/security.md, and the role each stands for.
TOKEN_COLUMNS = {"committee phone": PHONE_A, "workshop participant": PARTICIPANT,
                 "manager's token": TOKEN_D, "admin's token": TOKEN_ADMIN}
PERSON_COLUMNS = {"manager": MANAGER_D, "trainer": TRAINER, "admin": ADMIN}
SECURITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def _doc_table(heading: str) -> tuple[list[str], dict[tuple[str, str], list[str]]]:
    """Return the columns and rows ({(method, path): cells}) of a table of the doc."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    section = text[text.index(f"## {heading}\n"):]
    section = section[:section.find("\n## ", 1)]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    rows = {}
    for row in cells[2:]:
        method, _, path = row[0].strip("`").partition(" ")
        rows[(method, path)] = row[1:]
    return cells[0][1:], rows


def _documented(method: str, endpoint: str, role: str) -> str:
    """Return what the doc must say ``role`` gets from a route, by the matrix's policy."""
    if POLICIES[(method, endpoint)].expect(role, None) == 403:
        return "403"
    return "read" if method == "GET" else "read, write" if role in TOKEN_ROLES else "write"


@pytest.mark.parametrize("heading, columns, kinds", [
    ("What each token reads and writes", TOKEN_COLUMNS, set(TOKEN_KINDS)),
    ("What each signed-in person reads and writes", PERSON_COLUMNS,
     {"page", "manager", "admin", "trainer", "trainer only"}),
])
def test_the_security_doc_says_what_the_matrix_holds(heading, columns, kinds):
    found, rows = _doc_table(heading)
    assert found == list(columns)
    routes = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)): endpoint
              for method, rule, endpoint in ROUTES
              if POLICIES[(method, endpoint)].access in kinds}
    assert set(rows) == set(routes), "document every such route, and only those"
    for (method, path), row in rows.items():
        for column, cell in zip(found, row, strict=True):
            expected = _documented(method, routes[(method, path)], columns[column])
            assert cell == expected, f"{method} {path}, {column}: {cell!r}, not {expected!r}"


@pytest.mark.parametrize("method, rule, endpoint", ROUTES,
                         ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_the_matrix_tries_every_route_with_every_kind_of_object(method, rule, endpoint):
    """A route that names an object in its URL is tried, by every role, with an object of a
    side the caller reaches, one it does not, one that does not exist and one that cannot."""
    policy = POLICIES[(method, endpoint)]
    variables = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    if not variables and policy.param is None:
        assert policy.objects == (None,)
        return
    assert policy.param is not None, f"{rule}: the matrix tries no object id"
    assert not variables or policy.param in variables
    assert policy.objects == policy.sides
    assert {"missing", "huge"} <= set(policy.sides)
    real = set(policy.sides) & policy.reach
    assert len(real) >= 2, f"{rule}: tried with {sorted(real)} only"
    reached = {side for role in ROLES for side in real & policy.reaches(role)}
    unreached = {side for role in ROLES for side in real - policy.reaches(role)}
    assert reached and unreached, f"{rule}: no role is both let in and kept out"


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
                values = value if isinstance(value, dict) else (
                    {policy.param: value} if policy.param and value is not None else {})
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
                for other in EVERYWHERE - policy.reaches(role):
                    for marker in world.markers[other]:
                        if marker in text:
                            failures.append(f"{where}: shows {marker!r} of side {other}")
            if url.startswith("/manage/") or role in PERSON_TOKENS:
                own = {world.markers[side][2] for side in policy.reaches(role)} \
                    if policy.own_names else set()
                for name in world.names:
                    if name in text and name not in own:
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


def test_a_phone_pulls_only_its_facility_and_a_participant_only_its_workshop(app, world):
    client = app.test_client()
    for role, side in ((PHONE_A, "A"), (PHONE_B, "B"), (PARTICIPANT, "W")):
        pulled = _pull(client, world.tokens[role])
        facilities = {c["fields"].get("facility_id") for c in pulled["changes"]} - {None}
        assert facilities == {world.facility[side]}
        assert len(pulled["changes"]) == 6  # assessment, response, 3 answers, an action
        text = json.dumps(pulled)
        for other in EVERYWHERE - {side}:
            assert not any(marker in text for marker in world.markers[other]), (role, other)


@pytest.mark.parametrize("role", [TOKEN_D, TOKEN_ADMIN])
def test_a_person_s_token_reads_no_raw_record_and_writes_nothing(app, world, role):
    """Issue 9, case 1: managers' and admins' tokens pulled every record (names, answers,
    remarks) through the phones' sync and plan API."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    phone = Phone(client, None, world.tokens[role])
    attempts = _attempts(phone, world, "A")
    for changes in ([], attempts):
        response = client.post("/api/v1/sync", headers=headers, json={
            "device_id": new_id(), "cursor": None, "changes": changes})
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "phone_token_required"
        assert "/api/v1/districts" in error["message"]
        assert "Secret Alpha Person" not in response.get_data(as_text=True)
    for path in ("plan", "plan.pdf"):
        response = client.get(f"/api/v1/assessments/{world.assessment['A']}/{path}",
                              headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "phone_token_required"
    pulled = json.dumps(_pull(client, world.tokens[PHONE_A]))
    assert "taken over" not in pulled and "intruder" not in pulled and "planted" not in pulled


def test_a_phone_s_token_gets_403_on_the_managers_api(app, world):
    client = app.test_client()
    for role in PHONE_TOKENS:
        response = client.get("/api/v1/districts",
                              headers={"Authorization": f"Bearer {world.tokens[role]}"})
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "manager_token_required"


def _districts(client, token) -> dict:
    response = client.get("/api/v1/districts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return {d["id"]: [f["id"] for f in d["facilities"]] for d in response.get_json()["districts"]}


def test_the_manager_token_lists_its_districts_only(app, world):
    assert _districts(app.test_client(), world.tokens[TOKEN_D]) == {
        world.district["A"]: [world.facility["A"]]}


def test_an_admin_token_reaches_every_district_but_no_workshop(app, world):
    client = app.test_client()
    assert _districts(client, world.tokens[TOKEN_ADMIN]) == {
        world.district[side]: [world.facility[side]] for side in "AB"}
    headers = {"Authorization": f"Bearer {world.tokens[TOKEN_ADMIN]}"}
    for side in "WV":
        url = f"/api/v1/facilities/{world.facility[side]}/rounds"
        assert client.get(url, headers=headers).status_code == 404
        url += f"/{world.assessment[side]}"
        assert client.get(url, headers=headers).status_code == 404


def test_a_round_is_reached_only_through_its_own_facility(app, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens[TOKEN_ADMIN]}"}
    mixed = f"/api/v1/facilities/{world.facility['A']}/rounds/{world.assessment['B']}"
    assert client.get(mixed, headers=headers).status_code == 404
    own = f"/api/v1/facilities/{world.facility['A']}/rounds/{world.assessment['A']}"
    assert client.get(own, headers=headers).status_code == 200


def _attempts(phone, world, side) -> list[dict]:
    """Return changes that try to edit, extend and plant records on another side."""
    return [
        phone.change("assessment", world.assessment[side], {"title": "taken over"}, base_rev=1),
        phone.change("response", new_id(), {"assessment_id": world.assessment[side],
                                            "participant": "intruder"}),
        phone.change("assessment", new_id(), {
            "facility_id": world.facility[side], "checklist_id": "healthwise",
            "checklist_version": 1, "title": "planted", "kind": "baseline",
            "status": "open", "started_on": "2026-11-20"}),
    ]


@pytest.mark.parametrize("intruder, victim, victim_side", [
    (PHONE_B, PHONE_A, "A"),  # a facility's phone into another facility
    (PHONE_A, PARTICIPANT, "W"),  # a facility's phone into a workshop
    (PARTICIPANT, PHONE_A, "A"),  # a workshop participant into a facility
    (PARTICIPANT, None, "V"),  # a participant into another workshop
])
def test_no_token_writes_outside_its_scope(app, world, intruder, victim, victim_side):
    phone = Phone(app.test_client(), None, world.tokens[intruder])
    results = phone.sync(_attempts(phone, world, victim_side))["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    if victim is not None:
        text = json.dumps(_pull(app.test_client(), world.tokens[victim]))
        assert "taken over" not in text and "intruder" not in text and "planted" not in text
    assert "planted" not in json.dumps(_pull(app.test_client(), world.tokens[intruder]))


def _links(world, side) -> list[str]:
    found = [f"/manage/facilities/{world.facility[side]}"]
    return found + ([f"/manage/workshops/{world.workshop[side]}"] if side in WORKSHOPS else [])


@pytest.mark.parametrize("role, url, sees, hidden", [
    (MANAGER_D, "/manage/", "A", "BWV"), (MANAGER_E, "/manage/", "B", "AWV"),
    (ADMIN, "/manage/", "AB", "WV"), (TRAINER, "/manage/", "", "ABWV"),
    (TRAINER_V, "/manage/", "", "ABWV"),
    (TRAINER, "/manage/workshops/", "W", "ABV"), (TRAINER_V, "/manage/workshops/", "V", "ABW"),
    (ADMIN, "/manage/workshops/", "WV", "AB"),
])
def test_a_person_lists_only_what_they_reach(app, world, role, url, sees, hidden):
    client = app.test_client()
    sign_in(client, world.users[role])
    page = client.get(url).get_data(as_text=True)
    for side in sees:
        assert world.markers[side][0] in page
    for side in hidden:
        assert world.markers[side][0] not in page
        assert not any(link in page for link in _links(world, side))


def test_practice_facilities_are_in_no_district_list_summary_or_count(app, world):
    from healthwise.checklists.registry import registry
    from healthwise.districts.summary import district_summary

    practice = {world.facility["W"], world.facility["V"]}
    for role in (MANAGER_D, MANAGER_E, ADMIN):
        with app.app_context():
            user = db.session.merge(world.users[role])
            listed = set(db.session.scalars(access.facilities_query(user)
                                            .with_only_columns(Facility.id)))
            assert not listed & practice
            assert listed == {world.facility[side] for side in REACH[role] & DISTRICTS}
            for district in access.districts_of(user):
                summaries = district_summary(district.id, registry())
                assert not {s.facility_id for s in summaries} & practice
                assert len(summaries) == 1
    client = app.test_client()
    sign_in(client, world.users[ADMIN])
    for side in "AB":
        page = client.get(f"/manage/districts/{world.district[side]}").get_data(as_text=True)
        assert "Whiskey" not in page and "Victor" not in page


def test_a_facility_page_lists_only_its_own_devices(app, world):
    client = app.test_client()
    sign_in(client, world.users[ADMIN])
    page = client.get(f"/manage/facilities/{world.facility['A']}").get_data(as_text=True)
    assert "Alpha spare phone" in page and "Bravo" not in page and "Whiskey" not in page


def test_a_workshop_page_lists_only_its_own_devices(app, world):
    client = app.test_client()
    sign_in(client, world.users[TRAINER])
    page = client.get(f"/manage/workshops/{world.workshop['W']}").get_data(as_text=True)
    assert "Whiskey spare phone" in page and "Whiskey committee phone" in page
    assert "Victor" not in page and "Alpha" not in page
