"""Fuzzing every operation of the app's own OpenAPI schema with Schemathesis.

The app runs under a real uvicorn; each case is sent with a superuser's token (an
anonymous caller would stop at 401 and reach nothing). Both valid inputs (positive)
and invalid ones (negative) are generated. The run must find no 5xx, no answer that
breaks the documented schema or content type, and no body that leaks internals.

FUZZ_EXAMPLES sets the examples per operation and mode (default 25).
"""

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)

from app.core.config import Settings
from app.main import create_app
from tests.conftest import (
    FIRST_SUPERUSER,
    FIRST_SUPERUSER_PASSWORD,
    make_settings,
    provider_settings,
)
from tests.utils.factories import API
from tests.utils.fake_provider import FakeGitHub, FakeOpenIDProvider, Login
from tests.utils.live_server import live_server
from tests.utils.smtp import Mailbox

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    positive_data_acceptance,
]
LEAKS = ("Traceback", "sqlalchemy", "psycopg", 'File "/', "SELECT ", "INSERT INTO")


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Caller:
    """Holds a superuser token, logging in again after a case ends the session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.headers: dict[str, str] = {}
        self.login()

    def login(self) -> None:
        response = self.session.post(
            f"{self.base_url}{API}/login/access-token",
            data={"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        self.session.cookies.clear()

    def still_logged_in(self) -> bool:
        response = self.session.get(
            f"{self.base_url}{API}/users/me", headers=self.headers, timeout=10
        )
        return response.status_code == 200


@pytest.fixture(scope="module")
def fuzz_settings(
    database_url: str,
    smtp: tuple[int, Mailbox],
    oidc_server: FakeOpenIDProvider,
    github_server: FakeGitHub,
) -> Settings:
    """The fake sign-in providers are there (and one that is down): the provider
    routes answer as they would in production, not just 404."""
    for server in (oidc_server, github_server):
        server.reset(Login(subject="fuzz", email="fuzz@example.com"))
    providers = provider_settings(oidc_server, github_server)
    return make_settings(database_url, smtp[0], OIDC_PROVIDERS=providers)


@pytest.fixture
def base_url(fuzz_settings: Settings) -> Iterator[str]:
    with live_server(create_app(fuzz_settings)) as url:
        yield url


def fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    caller: Caller,
    tally: Tally,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(
            base_url=caller.base_url,
            session=caller.session,
            headers=caller.headers,
            timeout=30,
        )
        tally.cases[label] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=caller.headers)
        # Every failure is collected, not just the first (Schemathesis groups a
        # case's failures in a BaseExceptionGroup).
        except (BaseExceptionGroup, Exception) as exc:
            tally.failures.append(f"{label} [{mode.value}]: {exc}")
        sent = response.request.body or b""
        sent_text = sent.decode("utf-8", "replace") if isinstance(sent, bytes) else sent
        for leak in LEAKS:
            # A 422 quotes the caller's own input back: that is not a leak.
            if leak in response.text and leak not in unquote_plus(sent_text):
                tally.failures.append(
                    f"{label}: body reveals {leak!r}: {response.text[:300]!r}"
                )
        caller.session.cookies.clear()
        if response.status_code < 300 and not caller.still_logged_in():
            caller.login()

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid: an operation without parameters or body.
        assert mode == GenerationMode.NEGATIVE, label


def test_fuzz_every_operation(
    base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}{API}/openapi.json")
    caller = Caller(base_url)
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, caller, tally)

    with capsys.disabled():
        lines = [
            "",
            f"Schemathesis: {len(operations)} operations fuzzed, "
            f"{sum(tally.cases.values())} cases, {tally.server_errors} answers 5xx, "
            f"{len(tally.failures)} check failures",
            "statuses: "
            + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())),
            *(f"  {n:4d}  {label}" for label, n in sorted(tally.cases.items())),
            *(" ".join(failure.split())[:600] for failure in tally.failures),
        ]
        print("\n".join(lines))  # noqa: T201
    assert set(tally.cases) == {
        f"{operation.method.upper()} {operation.path}" for operation in operations
    }
    assert tally.server_errors == 0
    assert tally.failures == []
