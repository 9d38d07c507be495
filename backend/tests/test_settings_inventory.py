"""One list of settings: the Settings class, `.env`, the Compose files and the docs agree.

The rule, in full:
- `.env` lists every Settings field and every deployment-only variable, once each.
- `docker-compose.yml` reads (`${NAME}`) all of those but the settings Compose sets
  itself (COMPOSE_DERIVED) and the one the image fixes (IMAGE_FIXED).
- The backend container gets every Settings field but IMAGE_FIXED, each from its own
  variable unless derived, plus uvicorn's own variables (SERVER_ENVIRONMENT);
  prestart gets the same settings.
- deployment.md's table under "Every variable" lists exactly the `.env` set, and neither doc
  names a variable outside it (but for OTHER_DOCUMENTED_NAMES).
Adding a setting means adding it to all of them; this file fails until then.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = set(Settings.model_fields)
# Read by Docker Compose (and so by the containers' commands), never by the app.
DEPLOYMENT_ONLY = {
    "STACK_NAME",
    "DOMAIN",
    "ACME_EMAIL",
    "DOCKER_IMAGE_BACKEND",
    "TAG",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "WEB_CONCURRENCY",
    "EDGE_SUBNET",
}
EVERY_VARIABLE = SETTINGS | DEPLOYMENT_ONLY
# Settings whose value in Compose is built from the stack itself, not read from .env.
# (.env's DATABASE_URL stays empty: without Compose, the run command then starts an
# embedded PostgreSQL.)
COMPOSE_DERIVED = {
    "DATABASE_URL": "postgresql://${POSTGRES_USER:?Variable not set}"
    ":${POSTGRES_PASSWORD:?Variable not set}@db:5432/${POSTGRES_DB:?Variable not set}",
    "REDIS_URL": "redis://redis:6379/0",
    "TRUSTED_PROXIES": "${EDGE_SUBNET:?Variable not set}",
}
# The image puts the UI where the app looks by default.
IMAGE_FIXED = {"FRONTEND_DIST"}
# Read by uvicorn in the backend container.
SERVER_ENVIRONMENT = {
    "WEB_CONCURRENCY": "${WEB_CONCURRENCY:-2}",
    "FORWARDED_ALLOW_IPS": "${EDGE_SUBNET:?Variable not set}",
}
# Settings Compose fixes for the backend service: its jobs run in the `worker` service.
BACKEND_FIXED = {"JOBS_WORKER_IN_PROCESS": "false"}
# Names the docs may mention that are not ours: uvicorn's, Adminer's, Compose's and
# OpenTelemetry's (read by its SDK when tracing is on).
OTHER_DOCUMENTED_NAMES = {
    "FORWARDED_ALLOW_IPS",
    "ADMINER_DEFAULT_SERVER",
    "COMPOSE_FILE",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
}

INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
OWN_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(:-|:\?Variable not set)\}")
DOC_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def dotenv_entries() -> list[tuple[str, str]]:
    entries = []
    for line in (ROOT / ".env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip().strip('"')))
    return entries


def compose(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return loaded


def interpolated(node: object) -> set[str]:
    """The variables that `${...}` in the file's values read (comments excluded)."""
    if isinstance(node, dict):
        return set().union(*(interpolated(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(interpolated(item) for item in node))
    if isinstance(node, str):
        return set(INTERPOLATION.findall(node))
    return set()


def test_dotenv_lists_every_variable_once() -> None:
    names = [name for name, _ in dotenv_entries()]
    assert sorted(names) == sorted(set(names))
    assert set(names) == EVERY_VARIABLE


def test_dotenv_leaves_database_url_to_compose_and_the_run_command() -> None:
    values = dict(dotenv_entries())
    assert values["DATABASE_URL"] == ""
    assert values["ENVIRONMENT"] == "local"


def test_compose_reads_every_variable_but_the_derived_ones() -> None:
    assert interpolated(compose("docker-compose.yml")) == (
        EVERY_VARIABLE - set(COMPOSE_DERIVED) - IMAGE_FIXED
    )


def test_backend_gets_every_setting_from_its_own_variable() -> None:
    environment = compose("docker-compose.yml")["services"]["backend"]["environment"]
    assert set(environment) == (SETTINGS - IMAGE_FIXED) | set(SERVER_ENVIRONMENT)
    for name, value in environment.items():
        if name in COMPOSE_DERIVED:
            assert value == COMPOSE_DERIVED[name], name
        elif name in SERVER_ENVIRONMENT:
            assert value == SERVER_ENVIRONMENT[name], name
        elif name in BACKEND_FIXED:
            assert value == BACKEND_FIXED[name], name
        else:
            match = OWN_VARIABLE.fullmatch(value)
            assert match is not None, f"{name}: {value}"
            assert match["name"] == name


@pytest.mark.parametrize("service", ["prestart", "worker"])
def test_prestart_and_worker_see_the_same_settings_as_the_backend(
    service: str,
) -> None:
    services = compose("docker-compose.yml")["services"]
    backend = services["backend"]["environment"]
    own = {name: f"${{{name}:-}}" for name in BACKEND_FIXED}
    assert services[service]["environment"] == {
        name: own.get(name, value)
        for name, value in backend.items()
        if name not in SERVER_ENVIRONMENT
    }


def test_the_override_knows_only_our_variables() -> None:
    override = compose("docker-compose.override.yml")
    assert interpolated(override) <= EVERY_VARIABLE
    for service in override["services"].values():
        assert set(service.get("environment", {})) <= SETTINGS | OTHER_DOCUMENTED_NAMES


def test_deployment_guide_lists_every_variable() -> None:
    guide = (ROOT / "deployment.md").read_text()
    section = guide.split("\n### Every variable\n", 1)[1].split("\n## ", 1)[0]
    rows = TABLE_ROW.findall(section)
    assert sorted(rows) == sorted(set(rows))
    assert set(rows) == EVERY_VARIABLE


@pytest.mark.parametrize("doc", ["deployment.md", "development.md"])
def test_docs_name_no_unknown_variable(doc: str) -> None:
    named = set(DOC_NAME.findall((ROOT / doc).read_text()))
    assert named - EVERY_VARIABLE - OTHER_DOCUMENTED_NAMES == set()


@pytest.fixture
def no_settings_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in EVERY_VARIABLE:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_settings_in_environment")
def test_dotenv_is_valid_locally_and_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.warns(UserWarning, match="changethis"):
        settings = Settings(_env_file=ROOT / ".env")  # type: ignore[call-arg]
    assert settings.ENVIRONMENT == "local"
    assert settings.DATABASE_URL is None

    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=ROOT / ".env")  # type: ignore[call-arg]
