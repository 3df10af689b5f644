"""People and devices: accounts, sign-in sessions, CSRF, tokens, codes, rate limits, privacy."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from healthwise.assessments.models import Assessment
from healthwise.auth import service
from healthwise.auth.models import User, UserSession
from healthwise.cli import main
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.devices.service import create_enrolment_code
from healthwise.districts.disclosure import MIN_GROUP, disclose, disclosed
from healthwise.extensions import db
from healthwise.facilities.models import District
from healthwise.timeutil import utcnow
from tests.conftest import (
    DEFAULT_PASSWORD,
    Phone,
    count,
    csrf_token,
    loaded,
    new_app,
    new_id,
    sign_in,
)

STRONG_SECRET = "k" * 48


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def other_app(database_url):
    """Return a callable making more apps on the test database; their pools are closed after."""
    made = []

    def make(**config):
        app = new_app(database_url, **config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def limited_app(other_app, tmp_path):
    """Return a callable making an app with rate limits on (the test app has them off),
    counting in a file of this test's own."""
    storage = f"sqlite:///{tmp_path / 'ratelimits.db'}"
    return lambda **limits: other_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage,
                                      **limits)


# Accounts -----------------------------------------------------------------------------------


def test_password_too_short_is_refused(app, make_facility):
    district = make_facility().district
    with app.app_context(), pytest.raises(service.AccountError, match="at least 8 characters"):
        service.create_user("ana@example.org", "seven77", "manager", [district.id])
    assert count(app, User) == 0


@pytest.mark.parametrize("email, role, districts, message", [
    ("not-an-address", "admin", [], "not an email address"),
    ("ana@example.org", "owner", [], "Unknown role"),
    ("ana@example.org", "manager", [], "at least one district"),
    ("ana@example.org", "manager", [999], "no district 999"),
    ("ana@example.org", "trainer", ["own"], "Only managers have districts"),
])
def test_bad_accounts_are_refused(app, make_facility, email, role, districts, message):
    own = make_facility().district.id
    ids = [own if d == "own" else d for d in districts]
    with app.app_context(), pytest.raises(service.AccountError, match=message):
        service.create_user(email, "long enough", role, ids)


def test_password_is_stored_as_scrypt_and_checked(app, make_facility):
    district = make_facility().district
    with app.app_context():
        user = service.create_user(" Ana@Example.org ", "long enough", "manager",
                                   [district.id])
        db.session.commit()
        assert user.email == "ana@example.org"
        assert user.password_hash.startswith("scrypt:")
        assert "long enough" not in user.password_hash
        assert service.authenticate("ANA@example.org", "long enough") is user
        assert service.authenticate("ana@example.org", "long enougH") is None
        assert service.authenticate("nobody@example.org", "long enough") is None
        with pytest.raises(service.AccountError, match="already an account"):
            service.create_user("ana@example.org", "long enough", "manager", [district.id])


def test_cli_creates_users(app, runner, make_facility, monkeypatch):
    district = make_facility().district
    monkeypatch.setenv("HEALTHWISE_PASSWORD", "a long password")
    result = runner.invoke(main, ["user", "create", "--email", "boss@example.org",
                                  "--role", "admin"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["user", "create", "--email", "ana@example.org", "--role",
                                  "manager", "--district", str(district.id)])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(main, ["user", "list"]).output
    assert "boss@example.org\tadmin" in listing
    assert f"ana@example.org\tmanager\t{district.name}" in listing
    with app.app_context():
        assert service.authenticate("ana@example.org", "a long password") is not None


def test_cli_refuses_a_short_password_and_prompts_without_the_variable(app, runner,
                                                                       monkeypatch):
    monkeypatch.setenv("HEALTHWISE_PASSWORD", "short")
    result = runner.invoke(main, ["user", "create", "--email", "a@example.org", "--role",
                                  "admin"])
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    monkeypatch.delenv("HEALTHWISE_PASSWORD")
    result = runner.invoke(main, ["user", "create", "--email", "a@example.org", "--role",
                                  "admin"], input="typed password\ntyped password\n")
    assert result.exit_code == 0, result.output
    assert count(app, User) == 1


def test_cli_help_has_an_example(runner):
    result = runner.invoke(main, ["user", "create", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "--role" in result.output


# Sign-in, sessions, sign-out ----------------------------------------------------------------


def _post_sign_in(client, email, password, **extra):
    return client.post("/manage/sign-in", data={"csrf_token": csrf_token(client),
                                                "email": email, "password": password,
                                                **extra})


def test_sign_in_sets_a_safe_cookie_and_sign_out_kills_it(app, client, make_facility,
                                                          make_user):
    facility = make_facility()
    user = make_user("manager", [facility.district])
    response = _post_sign_in(client, user.email.upper(), DEFAULT_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/manage/"
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("healthwise_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert facility.name in client.get("/manage/").get_data(as_text=True)
    assert count(app, UserSession) == 1
    stolen = client.get_cookie("healthwise_session").value

    response = client.post("/manage/sign-out", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert count(app, UserSession) == 0
    # The old cookie, replayed (say, by someone who copied it), opens nothing any more.
    replay = app.test_client()
    replay.set_cookie("healthwise_session", stolen)
    response = replay.get("/manage/")
    assert response.status_code == 302 and "/manage/sign-in" in response.headers["Location"]


def test_wrong_password_signs_nobody_in(app, client, make_user):
    user = make_user("admin")
    response = _post_sign_in(client, user.email, "wrong password")
    assert response.status_code == 200
    assert "Wrong email address or password" in response.get_data(as_text=True)
    assert count(app, UserSession) == 0
    assert client.get("/manage/").status_code == 302


def test_sign_in_renews_the_session_and_goes_back_only_to_local_pages(app, client, make_user):
    user = make_user("admin")
    before = csrf_token(client)
    response = _post_sign_in(client, user.email, DEFAULT_PASSWORD, next="/manage/tokens")
    assert response.headers["Location"] == "/manage/tokens"
    assert csrf_token(client) != before  # a new CSRF secret: no session fixation
    for target in ("https://evil.example/manage/", "//evil.example/manage/", "/api/v1/me",
                   "/manage\\..\\x"):
        other = app.test_client()
        response = _post_sign_in(other, user.email, DEFAULT_PASSWORD, next=target)
        assert response.headers["Location"] == "/manage/", target


def test_anonymous_is_sent_to_sign_in_and_back(client, make_user):
    response = client.get("/manage/tokens?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/sign-in?next=/manage/tokens?x%3D1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/manage/tokens?x=1"' in page


def test_an_expired_session_is_refused(app, client, make_user):
    user = make_user("admin")
    sign_in(client, user)
    assert client.get("/manage/").status_code == 200
    with app.app_context():
        db.session.execute(UserSession.__table__.update().values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/manage/").status_code == 302


def _session_cookie(response) -> str:
    return next(v for k, v in response.headers.items()
                if k == "Set-Cookie" and v.startswith("healthwise_session="))


def _production(other_app, monkeypatch, setting):
    if setting is None:
        monkeypatch.delenv("HEALTHWISE_SECURE_COOKIES", raising=False)
    else:
        monkeypatch.setenv("HEALTHWISE_SECURE_COOKIES", setting)
    return other_app(TESTING=False, ENV="production", SECRET_KEY=STRONG_SECRET,
                     RATELIMIT_ENABLED=False)


def test_a_trainer_signs_in_over_plain_http_at_a_lan_address(other_app, monkeypatch,
                                                              make_user):
    """The workshop laptop over http: the cookie is not Secure, so the browser keeps it."""
    app = _production(other_app, monkeypatch, None)
    user = make_user("trainer")
    client = app.test_client()
    lan = "http://192.168.1.20:5000"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(
        "/manage/sign-in", base_url=lan).get_data(as_text=True)).group(1)
    response = client.post("/manage/sign-in", base_url=lan, data={
        "csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    cookie = _session_cookie(response)
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/manage/workshops/", base_url=lan).status_code == 200


@pytest.mark.parametrize(("setting", "over_http", "over_https"),
                         [(None, False, True), ("1", True, True), ("0", False, False)])
def test_cookies_are_secure_as_the_request_came_unless_forced(other_app, monkeypatch,
                                                              setting, over_http, over_https):
    app = _production(other_app, monkeypatch, setting)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    for base_url, secure in (("http://192.168.1.20", over_http),
                             ("https://workshop.example.org", over_https)):
        client = app.test_client()
        cookie = _session_cookie(client.get("/manage/sign-in", base_url=base_url))
        assert ("Secure" in cookie) is secure, (base_url, cookie)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        language = client.get("/language/fr", base_url=base_url).headers["Set-Cookie"]
        assert ("Secure" in language) is secure, (base_url, language)


def test_a_forwarded_proto_header_alone_does_not_make_plain_http_secure(other_app,
                                                                        monkeypatch):
    """Only the server (gunicorn, waitress) turns X-Forwarded-Proto from 127.0.0.1 into
    the request's scheme; the app reads the scheme, not the header."""
    app = _production(other_app, monkeypatch, None)
    response = app.test_client().get("/manage/sign-in", base_url="http://192.168.1.20",
                                     headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _session_cookie(response)
    behind_proxy = app.test_client().get("/manage/sign-in", base_url="http://127.0.0.1",
                                         environ_overrides={"wsgi.url_scheme": "https"})
    assert "Secure" in _session_cookie(behind_proxy)


@pytest.mark.parametrize("secret", ["", "dev", "change-me", "x" * 31])
def test_production_refuses_to_start_without_a_strong_secret_key(database_url, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        new_app(database_url, TESTING=False, ENV="production", SECRET_KEY=secret)


def test_production_starts_with_a_strong_secret_key(other_app):
    app = other_app(TESTING=False, ENV="production", SECRET_KEY=STRONG_SECRET)
    assert app.secret_key == STRONG_SECRET


def test_pages_carry_the_security_headers(client, make_user):
    sign_in(client, make_user("admin"))
    response = client.get("/manage/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "worker-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in response.get_data(as_text=True)
    assert " style=" not in response.get_data(as_text=True)


# CSRF ---------------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, client,
                                                                      make_facility,
                                                                      make_user, make_token):
    facility = make_facility()
    secret = make_token(facility)
    with app.app_context():
        token_id = db.session.scalar(select(DeviceToken.id))
    sign_in(client, make_user("manager", [facility.district]))
    attempts = [
        (f"/manage/facilities/{facility.id}/codes", {"uses": "5", "days": "1"}),
        (f"/manage/devices/{token_id}/revoke", {}),
        ("/manage/tokens", {"name": "sneaky"}),
        ("/manage/sign-out", {}),
    ]
    for url, form in attempts:
        for token in (None, "forged", csrf_token(app.test_client())):
            data = dict(form, **({"csrf_token": token} if token else {}))
            response = client.post(url, data=data)
            assert response.status_code == 400, (url, token)
            assert "This form has expired" in response.get_data(as_text=True)
    assert count(app, EnrolmentCode) == 0
    assert count(app, DeviceToken, DeviceToken.user_id.is_not(None)) == 0
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    assert client.get("/manage/").status_code == 200  # still signed in


def test_the_api_needs_no_csrf_token_and_ignores_the_session_cookie(client, phone, make_user):
    sign_in(client, make_user("admin"))
    assert client.get("/api/v1/me").status_code == 401  # a cookie is not a token
    phone.sync()  # bearer POST without any CSRF token


# Devices, codes, manager tokens -------------------------------------------------------------


def test_a_revoked_device_gets_401_at_once(app, client, make_facility, make_user):
    facility = make_facility()
    phone = Phone(app.test_client(), facility, None)
    code_id, raw = _code(app, facility, uses=5)
    phone.token = _redeem(phone.client, raw)["token"]
    phone.sync()
    with app.app_context():
        device_id = db.session.scalar(select(DeviceToken.id).where(DeviceToken.facility_id ==
                                                                   facility.id))
    sign_in(client, make_user("manager", [facility.district]))
    page = client.get(f"/manage/facilities/{facility.id}").get_data(as_text=True)
    assert "Ana phone" in page and "Last seen" in page
    response = client.post(f"/manage/devices/{device_id}/revoke",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    body = phone.sync(expect=401)
    assert body["error"]["code"] == "invalid_token"
    assert phone.client.get("/api/v1/me", headers=auth(phone.token)).status_code == 401
    page = client.get(f"/manage/facilities/{facility.id}").get_data(as_text=True)
    assert "Access removed" in page and "<strong>Ana phone</strong>" not in page


def _code(app, facility, uses=2, ttl=timedelta(days=1)):
    with app.app_context():
        code, raw = create_enrolment_code(facility.id, uses=uses, ttl=ttl)
        db.session.commit()
        return code.id, raw


def _redeem(client, raw, expect=201):
    response = client.post("/api/v1/enrol", json={"code": raw, "device_name": "Ana phone"})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_enrolment_codes_have_a_use_limit(app, client, make_facility):
    facility = make_facility()
    _, raw = _code(app, facility, uses=2)
    first = _redeem(client, raw)
    assert first["scope"] == {"kind": "facility", "facility_ids": [facility.id], "facility": {
        "id": facility.id, "name": facility.name, "kind": facility.kind,
        "district": {"id": facility.district.id, "name": facility.district.name}}}
    _redeem(client, raw.lower().replace("-", " "))  # typed loosely
    assert _redeem(client, raw, 410)["error"]["code"] == "code_used_up"
    assert _redeem(client, "ZZZZ-ZZZZ", 404)["error"]["code"] == "unknown_code"
    assert count(app, DeviceToken) == 2


def test_enrolment_codes_expire(app, client, make_facility):
    facility = make_facility()
    code_id, raw = _code(app, facility)
    with app.app_context():
        db.session.get(EnrolmentCode, code_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _redeem(client, raw, 410)["error"]["code"] == "code_expired"
    assert count(app, DeviceToken) == 0


def test_a_manager_creates_a_code_with_its_qr_image_and_can_end_it(app, client, make_facility,
                                                                   make_user):
    facility = make_facility()
    sign_in(client, make_user("manager", [facility.district]))
    response = client.post(f"/manage/facilities/{facility.id}/codes",
                           data={"csrf_token": csrf_token(client), "uses": "3", "days": "2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    raw = re.search(r'<p class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', page).group(1)
    assert 'src="data:image/svg+xml' in page and f"#/join?code={raw}" in page
    with loaded(app) as session:
        code = session.scalar(select(EnrolmentCode))
    assert code.uses_left == 3
    assert timedelta(days=2) - (code.expires_at - utcnow()) < timedelta(minutes=1)
    assert raw not in client.get(f"/manage/facilities/{facility.id}").get_data(as_text=True)
    _redeem(client, raw)
    response = client.post(f"/manage/codes/{code.id}/end",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert _redeem(client, raw, 410)["error"]["code"] == "code_used_up"


def test_a_bad_code_form_is_refused(app, client, make_facility, make_user):
    facility = make_facility()
    sign_in(client, make_user("admin"))
    for form in ({"uses": "0", "days": "1"}, {"uses": "5", "days": "365"},
                 {"uses": "many", "days": "1"}):
        response = client.post(f"/manage/facilities/{facility.id}/codes",
                               data={"csrf_token": csrf_token(client), **form})
        assert response.status_code == 422
    assert count(app, EnrolmentCode) == 0


def test_a_manager_token_reaches_every_facility_of_their_districts(app, client, make_facility,
                                                                   make_user, make_token):
    north = District(name="North")
    a1, a2 = make_facility("A1", north), make_facility("A2", north)
    b = make_facility("B", District(name="South"))
    phone_a2 = Phone(app.test_client(), a2, make_token(a2))
    phone_b = Phone(app.test_client(), b, make_token(b))
    aid_a, _, changes = phone_a2.round_changes()
    phone_a2.sync(changes)
    aid_b, _, changes = phone_b.round_changes()
    phone_b.sync(changes)
    manager = make_user("manager", [north])
    sign_in(client, manager)
    page = client.post("/manage/tokens", data={"csrf_token": csrf_token(client),
                                               "name": "district review"}).get_data(as_text=True)
    secret = re.search(r"<code>(hw_[\w-]+)</code>", page).group(1)
    me = client.get("/api/v1/me", headers=auth(secret)).get_json()
    assert me["scope"]["kind"] == "district"
    assert me["scope"]["districts"] == [{"id": north.id, "name": north.name}]
    assert me["scope"]["facility_ids"] == sorted([a1.id, a2.id])

    # It reads its districts' facilities through the managers' API, and no other.
    listed = client.get("/api/v1/districts", headers=auth(secret)).get_json()["districts"]
    assert [[f["id"] for f in d["facilities"]] for d in listed] == [[a1.id, a2.id]]
    rounds = client.get(f"/api/v1/facilities/{a2.id}/rounds", headers=auth(secret))
    assert [r["id"] for r in rounds.get_json()["rounds"]] == [aid_a]
    assert client.get(f"/api/v1/facilities/{b.id}/rounds",
                      headers=auth(secret)).status_code == 404
    # It reads no raw record and writes nothing: the phones' API refuses it.
    reviewer = Phone(app.test_client(), a1, secret)
    refused = reviewer.sync([reviewer.change("assessment", new_id(), _assessment(a1.id))],
                            expect=403)
    assert refused["error"]["code"] == "phone_token_required"
    assert count(app, Assessment) == 2
    # Taking a district from the manager takes it from their token at once.
    with loaded(app) as session:
        session.add(manager)
        manager.districts = [b.district]
        session.commit()
    assert client.get("/api/v1/me", headers=auth(secret)).get_json()["scope"][
        "facility_ids"] == [b.id]
    # And the token is revoked like a phone's.
    with app.app_context():
        token_id = db.session.scalar(select(DeviceToken.id)
                                     .where(DeviceToken.user_id == manager.id))
    client.post(f"/manage/devices/{token_id}/revoke", data={"csrf_token": csrf_token(client)})
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 401


def _assessment(facility_id):
    return {"facility_id": facility_id, "checklist_id": "healthwise", "checklist_version": 1,
            "title": "Review", "kind": "baseline", "status": "open",
            "started_on": "2026-11-20"}


def test_trainers_get_no_api_token(app, client, make_user):
    sign_in(client, make_user("trainer"))
    assert client.get("/manage/tokens").status_code == 403
    response = client.post("/manage/tokens", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403
    assert count(app, DeviceToken) == 0


# Rate limits --------------------------------------------------------------------------------


def test_enrolment_is_rate_limited_per_address(app, limited_app, make_facility):
    facility = make_facility()
    _, raw = _code(app, facility, uses=100)
    client = limited_app(RATELIMIT_ENROL="3 per minute").test_client()
    codes = [client.post("/api/v1/enrol", json={"code": "ZZZZ-ZZZZ"}).status_code
             for _ in range(3)]
    assert codes == [404, 404, 404]
    response = client.post("/api/v1/enrol", json={"code": raw})
    assert response.status_code == 429  # even with a good code: guessing is what is slowed
    assert response.get_json()["error"]["code"] == "too_many_requests"
    other = client.post("/api/v1/enrol", json={"code": raw},
                        environ_base={"REMOTE_ADDR": "10.1.1.2"})
    assert other.status_code == 201


def test_a_workshop_of_a_hundred_phones_behind_one_address_all_join(app, limited_app,
                                                                     make_facility):
    """One Wi-Fi, one NAT address: good codes do not count against the enrolment limit."""
    facility = make_facility()
    _, raw = _code(app, facility, uses=100)
    client = limited_app().test_client()  # the default limit
    codes = [client.post("/api/v1/enrol", json={"code": raw, "device_name": f"phone {n}"})
             .status_code for n in range(100)]
    assert codes == [201] * 100
    limit = int(app.config["RATELIMIT_ENROL"].split()[0])
    tries = [client.post("/api/v1/enrol", json={"code": "ZZZZ-ZZZZ"}).status_code
             for _ in range(limit + 1)]
    assert tries == [404] * limit + [429]  # guessing is still slowed


def test_sign_in_is_rate_limited_per_address(limited_app, make_user):
    make_user("admin", email="boss@example.org")
    client = limited_app(RATELIMIT_SIGNIN_ADDRESS="3 per minute").test_client()
    codes = [_post_sign_in(client, f"guess{n}@example.org", "wrong password").status_code
             for n in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = _post_sign_in(client, "boss@example.org", "wrong")
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/manage/sign-in").status_code == 200  # reading the form is not limited


def test_sign_in_is_rate_limited_per_account_without_locking_out_its_owner(limited_app,
                                                                           make_user):
    user = make_user("admin", email="boss@example.org")
    app = limited_app(RATELIMIT_SIGNIN_ACCOUNT="3 per minute")

    def attempt(password, address):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return _post_sign_in(client, user.email, password).status_code

    # The owner signs in as often as they like: only failures count against the account.
    assert [attempt(DEFAULT_PASSWORD, f"10.0.0.{n}") for n in range(5)] == [303] * 5
    # A guesser spreading attempts over many addresses is stopped after three.
    assert [attempt("guess", f"10.0.1.{n}") for n in range(4)] == [200, 200, 200, 429]
    # Other accounts are not affected.
    other = app.test_client()
    assert _post_sign_in(other, "someone@example.org", "guess").status_code == 200


# The sensitive-data rule --------------------------------------------------------------------


@pytest.mark.parametrize("count_, group, shown", [
    (0, 0, None), (3, 4, None), (4, 4, None), (0, 5, 0), (3, 5, 3), (5, 5, 5), (9, 20, 9),
])
def test_sensitive_counts_are_shown_only_for_groups_of_five(count_, group, shown):
    assert MIN_GROUP == 5
    assert disclosed(count_, group) == shown


def test_sensitive_counts_use_only_those_who_answered():
    checklist = {"modules": [{"id": "m", "checkpoints": [
        {"id": "S-1", "sensitive": True}, {"id": "N-1", "sensitive": False},
        {"id": "S-2", "sensitive": True, "withdrawn": True}]}]}
    six = [{"answers": {"S-1": {"action": "yes"}, "N-1": {"action": "no"}}}] * 4 \
        + [{"answers": {"S-1": {"action": None}}}] * 2
    assert [(c.checkpoint_id, c.action, c.answered)
            for c in disclose(checklist, six).sensitive] == [("S-1", None, None)]
    five = six + [{"answers": {"S-1": {"action": "no"}}}]
    assert [(c.action, c.answered) for c in disclose(checklist, five).sensitive] == [(4, 5)]


def _round_with(phone, participants, checkpoint_id):
    """Sync a round where each participant proposes action on one checkpoint."""
    assessment_id = new_id()
    changes = [phone.change("assessment", assessment_id, _assessment(phone.facility.id))]
    for name in participants:
        response_id = new_id()
        changes.append(phone.change("response", response_id, {
            "assessment_id": assessment_id, "participant": name, "role": "nurse"}))
        changes.append(phone.change("answer", new_id(), {
            "response_id": response_id, "checkpoint_id": checkpoint_id, "action": "yes"}))
    phone.sync(changes)


def test_the_district_summary_hides_small_groups_and_all_names(app, client, make_facility,
                                                               make_user, make_token):
    from healthwise.checklists.registry import registry

    with app.app_context():
        checklist = registry().get("healthwise")
    sensitive = next(cp for cp in checklist.checkpoints.values() if cp["sensitive"])
    north = District(name="North")
    small, large = make_facility("Small Clinic", north), make_facility("Large Hospital", north)
    _round_with(Phone(app.test_client(), small, make_token(small)),
                [f"Nurse Small {n}" for n in range(4)], sensitive["id"])
    _round_with(Phone(app.test_client(), large, make_token(large)),
                [f"Nurse Large {n}" for n in range(5)], sensitive["id"])
    sign_in(client, make_user("manager", [north]))
    page = client.get(f"/manage/districts/{north.id}").get_data(as_text=True)
    assert "Nurse" not in page  # no participant name, ever
    assert "Small Clinic" in page and "Large Hospital" in page
    small_part, large_part = (
        client.get(f"/manage/facilities/{facility.id}/plans").get_data(as_text=True)
        for facility in (small, large))
    assert "Nurse" not in small_part + large_part
    assert "fewer than 5 answers" in small_part and "propose action" not in small_part
    assert "5 of 5 propose action" in large_part
    assert "4 participants" in small_part and "5 participants" in large_part
