"""The healthwise command, migrations, configuration and the OpenAPI document."""

import re

import click
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from healthwise import create_app
from healthwise.cli import main
from healthwise.extensions import db
from tests.conftest import new_app


@pytest.fixture
def runner(app):
    """Invoke the ``healthwise`` command against the test app."""
    from flask.cli import ScriptInfo

    class Runner:
        def invoke(self, args):
            return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))

    return Runner()


def _commands(group, path=()):
    """Yield the path of every command of ours under a click group, walking the whole tree
    (extensions' plugin commands, such as Flask-Limiter's, are theirs to document)."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        elif command.callback.__module__.startswith("healthwise"):
            yield [*path, name]


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    assert "Examples:" in runner.invoke(main, ["--help"]).output
    paths = list(_commands(main))
    assert ["languages", "check"] in paths and ["workshop", "create"] in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output, path


def test_token_and_code_commands(runner, make_facility):
    facility = make_facility()
    token = runner.invoke(["token", "create", "--facility", str(facility.id)])
    assert token.exit_code == 0 and token.output.startswith("hw_")
    assert len(token.output.strip()) >= 40  # 256 random bits, url-safe
    code = runner.invoke(["code", "create", "--facility", str(facility.id)])
    assert code.exit_code == 0 and len(code.output.strip()) == 9
    missing = runner.invoke(["token", "create", "--facility", "999"])
    assert missing.exit_code != 0 and "no facility 999" in missing.output


def test_tokens_are_stored_hashed(app, runner, make_facility):
    from sqlalchemy import select

    from healthwise.devices.models import DeviceToken

    facility = make_facility()
    secret = runner.invoke(["token", "create", "--facility", str(facility.id)]).output
    with app.app_context():
        stored = db.session.scalar(select(DeviceToken.token_hash))
    assert secret.strip() not in stored and len(stored) == 64


def test_facility_commands(runner):
    created = runner.invoke(["facility", "create", "--district", "North", "--name",
                                  "Lakeside Clinic"])
    assert created.exit_code == 0
    listed = runner.invoke(["facility", "list"])
    assert "Lakeside Clinic\tNorth" in listed.output


def test_migrations_build_exactly_the_models(tmp_path, monkeypatch):
    """`healthwise init` migrates a fresh database to what the models describe."""
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = new_app(url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []
    engine = create_engine(url)
    assert "sync_clock" in inspect(engine).get_table_names()
    engine.dispose()


def test_demo_data_loads_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    app = new_app(url, DEMO_DATA=True)
    from flask.cli import ScriptInfo

    def invoke(args):
        return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))

    first = invoke(["init"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output and "Enrolment code" in first.output
    assert "Demo district manager: manager@demo.local" in first.output
    again = invoke(["init"])
    assert again.exit_code == 0 and "Demo data loaded" not in again.output
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("secret", ["", "dev", "short-key"])
def test_production_refuses_a_weak_secret(secret, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("HEALTHWISE_INSTANCE_DIR", "/nonexistent")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": secret})


def test_openapi_document_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {path for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.endpoint != "api-docs.openapi_json":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # <int:id> -> {id}
            assert path in documented, rule.rule
    assert "SyncRequest" in spec["components"]["schemas"]


def test_security_headers(client):
    api = client.get("/api/v1/checklists")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    wrong_method = client.get("/api/v1/sync")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
