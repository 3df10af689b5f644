"""Accounts (issue 12): one's own password, an admin's reset, the CLI's reset and the demo
manager's password recovered."""

import re

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from healthwise.auth import service
from healthwise.auth.models import User, UserSession
from healthwise.cli import main
from healthwise.extensions import db
from tests.conftest import DEFAULT_PASSWORD, count, csrf_token, fetch, new_app, sign_in

NEW_PASSWORD = "a brand new passphrase"


def signed_in(app, user):
    """Return a new test client signed in as ``user``, with its CSRF token."""
    client = app.test_client()
    sign_in(client, user)
    client.csrf = csrf_token(client)
    return client


def is_signed_in(client) -> bool:
    response = client.get("/manage/password")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def password_is(app, user, password) -> bool:
    with app.app_context():
        return service.authenticate(user.email, password) is not None


def change(client, current, new, confirm=None, csrf=True):
    data = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    if csrf:
        data["csrf_token"] = client.csrf
    return client.post("/manage/password", data=data)


# One's own password ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "trainer", "admin"])
def test_every_signed_in_person_has_the_password_page_in_the_header(app, make_user, role):
    client = signed_in(app, make_user(role))
    home = client.get("/manage/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/manage/password"' in home
    assert ('href="/manage/users"' in home) == (role == "admin")
    page = client.get("/manage/password").get_data(as_text=True)
    assert 'name="current"' in page and 'name="new"' in page and 'name="confirm"' in page


def test_changing_the_password_ends_the_person_s_other_sessions_only(app, make_user):
    user, someone_else = make_user("manager"), make_user("manager")
    here, elsewhere, other_person = (signed_in(app, user), signed_in(app, user),
                                     signed_in(app, someone_else))
    response = change(here, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/manage/password"
    page = here.get("/manage/password").get_data(as_text=True)
    assert "Your password has been changed" in page
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(other_person)
    assert password_is(app, user, NEW_PASSWORD) and not password_is(app, user, DEFAULT_PASSWORD)
    assert count(app, UserSession, UserSession.user_id == user.id) == 1


@pytest.mark.parametrize("current, new, confirm, message", [
    ("not my password", NEW_PASSWORD, None, "The current password is wrong."),
    (DEFAULT_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "The two new passwords are not the same."),
    (DEFAULT_PASSWORD, "short", None,
     f"The new password needs at least {service.MIN_PASSWORD_LENGTH} characters."),
    (DEFAULT_PASSWORD, "x" * (service.MAX_PASSWORD_LENGTH + 1), None,
     f"The new password may have at most {service.MAX_PASSWORD_LENGTH} characters."),
    ("", NEW_PASSWORD, None, "Enter your current password, then the new one twice."),
])
def test_a_bad_change_says_why_and_changes_nothing(app, make_user, current, new, confirm,
                                                   message):
    user = make_user("trainer")
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    before = fetch(app, User, user.id).password_hash
    response = change(here, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fetch(app, User, user.id).password_hash == before
    assert is_signed_in(here) and is_signed_in(elsewhere)


def test_a_password_form_without_its_csrf_token_is_refused(app, make_user):
    user = make_user("manager")
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    response = change(here, DEFAULT_PASSWORD, NEW_PASSWORD, csrf=False)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = here.post("/manage/password", data={
        "csrf_token": "forged", "current": DEFAULT_PASSWORD, "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert password_is(app, user, DEFAULT_PASSWORD)
    assert is_signed_in(elsewhere)


def test_the_password_page_is_for_signed_in_people(client):
    response = client.get("/manage/password")
    assert response.status_code == 302 and "/manage/sign-in" in response.headers["Location"]


# An admin resets a password -------------------------------------------------------------------


def reset(client, user_id):
    return client.post("/manage/users/reset-password",
                       data={"csrf_token": client.csrf, "user_id": str(user_id)})


def test_an_admin_resets_a_password_shown_once_and_the_person_is_signed_out(app, make_user):
    admin, manager = make_user("admin"), make_user("manager", email="amina@example.org")
    desk, managers_browser = signed_in(app, admin), signed_in(app, manager)
    listing = desk.get("/manage/users").get_data(as_text=True)
    assert "<bdi>amina@example.org</bdi>" in listing and "Reset password" in listing
    response = reset(desk, manager.id)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    new = re.search(r'<p class="secret"><code>([^<]+)</code></p>', page).group(1)
    assert "shown only once" in page and "amina@example.org" in page
    assert len(new) >= service.MIN_PASSWORD_LENGTH
    assert password_is(app, manager, new) and not password_is(app, manager, DEFAULT_PASSWORD)
    assert not is_signed_in(managers_browser)
    assert is_signed_in(desk)
    assert new not in desk.get("/manage/users").get_data(as_text=True)  # shown only once


def test_an_admin_resetting_their_own_password_stays_signed_in_here(app, make_user):
    admin = make_user("admin")
    desk, laptop = signed_in(app, admin), signed_in(app, admin)
    assert reset(desk, admin.id).status_code == 200
    assert is_signed_in(desk) and not is_signed_in(laptop)


@pytest.mark.parametrize("role", ["manager", "trainer"])
def test_only_an_admin_resets_passwords(app, make_user, role):
    someone = make_user("manager")
    client, theirs = signed_in(app, make_user(role)), signed_in(app, someone)
    assert client.get("/manage/users").status_code == 403
    response = reset(client, someone.id)
    assert response.status_code == 403
    assert "Your account cannot open this page." in response.get_data(as_text=True)
    assert password_is(app, someone, DEFAULT_PASSWORD) and is_signed_in(theirs)


@pytest.mark.parametrize("user_id", ["987654", "0", "-1", "x", "", str(2**64), "1.5"])
def test_resetting_nobody_says_so_and_changes_nothing(app, make_user, user_id):
    desk = signed_in(app, make_user("admin"))
    before = count(app, UserSession)
    response = desk.post("/manage/users/reset-password",
                         data={"csrf_token": desk.csrf, "user_id": user_id})
    assert response.status_code == 422
    assert "There is no such person." in response.get_data(as_text=True)
    assert count(app, UserSession) == before


def test_a_reset_form_without_its_csrf_token_is_refused(app, make_user):
    someone = make_user("manager")
    desk = signed_in(app, make_user("admin"))
    response = desk.post("/manage/users/reset-password", data={"user_id": str(someone.id)})
    assert response.status_code == 400
    assert password_is(app, someone, DEFAULT_PASSWORD)


# The command line -----------------------------------------------------------------------------


def test_cli_reset_password_prints_a_new_one_and_ends_sessions(app, runner, make_user):
    user = make_user("manager", email="ana@example.org")
    browser = signed_in(app, user)
    result = runner.invoke(main, ["user", "reset-password", "--email", "ANA@example.org"])
    assert result.exit_code == 0, result.output
    new = re.fullmatch(r"New password for ana@example.org: (\S+)\n", result.output).group(1)
    assert password_is(app, user, new) and not password_is(app, user, DEFAULT_PASSWORD)
    assert not is_signed_in(browser)
    again = runner.invoke(main, ["user", "reset-password", "--email", "ana@example.org"])
    assert again.output.split(": ")[1] != result.output.split(": ")[1]  # random each time


def test_cli_reset_password_of_nobody_fails(runner):
    result = runner.invoke(main, ["user", "reset-password", "--email", "nobody@example.org"])
    assert result.exit_code != 0
    assert "There is no account for nobody@example.org" in result.output


class CliRunnerFor:
    """Invoke the ``healthwise`` command against one app."""

    def __init__(self, app):
        self.app = app

    def invoke(self, *args):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: self.app))


def test_the_demo_manager_s_password_is_printed_again_and_not_stored(tmp_path):
    # Its own database file, as `healthwise init` migrates an empty one (like the demo test
    # in test_cli_and_setup.py).
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    app = new_app(url, DEMO_DATA=True)
    other = new_app(url, SECRET_KEY="another-secret-key-0123456789-abcdefghij")
    cli = CliRunnerFor(app)
    line = r"Demo district manager: (\S+) / (\S+) at /manage"
    try:
        first = cli.invoke("init")
        assert first.exit_code == 0, first.output
        printed = re.search(line, first.output).groups()
        again = cli.invoke("user", "demo-password")
        assert again.exit_code == 0, again.output
        assert re.search(line, again.output).groups() == printed
        email, password = printed
        with app.app_context():
            stored = db.session.scalar(select(User).where(User.email == email))
            assert stored.role == "manager" and password not in stored.password_hash
            assert service.authenticate(email, password) is not None
        # Another secret key derives another password, which the command does not print.
        wrong_key = CliRunnerFor(other).invoke("user", "demo-password")
        assert wrong_key.exit_code != 0 and "reset-password" in wrong_key.output
        assert password not in wrong_key.output
        # Once the demo manager's password is changed, it is theirs: nothing prints it.
        assert cli.invoke("user", "reset-password", "--email", email).exit_code == 0
        changed = cli.invoke("user", "demo-password")
        assert changed.exit_code != 0 and "was changed" in changed.output
    finally:
        for made in (app, other):
            with made.app_context():
                db.engine.dispose()


def test_demo_password_without_demo_data_says_so(runner):
    result = runner.invoke(main, ["user", "demo-password"])
    assert result.exit_code != 0 and "There is no demo manager" in result.output
