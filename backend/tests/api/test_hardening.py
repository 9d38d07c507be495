"""Security headers, the request body cap, and error bodies that reveal nothing."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.utils.factories import API, random_email, random_password

SIGNUP = f"{API}/users/signup"
SMALL_LIMIT = 4096


def test_security_headers_on_api_answers(client: TestClient) -> None:
    for response in (
        client.get(f"{API}/utils/health-check/"),
        client.get(f"{API}/users/me"),  # an error answer too
        client.get(f"{API}/openapi.json"),
    ):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert "script-src 'self';" in csp  # no inline or remote scripts for the UI
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_docs_get_a_policy_they_work_under(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "https://cdn.jsdelivr.net" in csp
    assert "frame-ancestors 'none'" in csp


def test_hsts_over_https_only(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.get(f"{API}/utils/health-check/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_hsts_behind_a_trusted_tls_proxy(database_url: str, settings: Settings) -> None:
    proxied = make_settings(
        database_url, settings.SMTP_PORT, TRUSTED_PROXIES="testclient"
    )
    with TestClient(create_app(proxied)) as client:
        response = client.get(
            f"{API}/utils/health-check/", headers={"X-Forwarded-Proto": "https"}
        )
    assert "Strict-Transport-Security" in response.headers

    # Nobody else can claim TLS for the connection.
    with TestClient(create_app(settings)) as untrusting:
        spoofed = untrusting.get(
            f"{API}/utils/health-check/", headers={"X-Forwarded-Proto": "https"}
        )
    assert "Strict-Transport-Security" not in spoofed.headers


@pytest.fixture(scope="module")
def small_body_client(
    database_url: str, smtp: tuple[int, object]
) -> Iterator[TestClient]:
    settings = make_settings(database_url, smtp[0], MAX_REQUEST_BODY_BYTES=SMALL_LIMIT)
    with TestClient(create_app(settings)) as client:
        yield client


TOO_LARGE = {"detail": f"Request body too large: at most {SMALL_LIMIT} bytes"}


def signup_body(full_name_length: int) -> bytes:
    return (
        f'{{"email": "{random_email()}", "password": "{random_password()}", '
        f'"full_name": "{"x" * full_name_length}"}}'
    ).encode()


def test_a_body_declared_too_large_is_refused(small_body_client: TestClient) -> None:
    response = small_body_client.post(
        SIGNUP,
        content=signup_body(SMALL_LIMIT),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_a_streamed_body_growing_too_large_is_refused(
    small_body_client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        body = signup_body(SMALL_LIMIT)
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    response = small_body_client.post(
        SIGNUP, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_body_within_the_limit_passes(small_body_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield signup_body(50)

    response = small_body_client.post(
        SIGNUP, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201


def test_the_default_limit_is_one_mebibyte(settings: Settings) -> None:
    assert settings.MAX_REQUEST_BODY_BYTES == 1024 * 1024


@pytest.fixture(scope="module")
def failing_app(database_url: str, smtp: tuple[int, object]) -> FastAPI:
    """The real app plus two endpoints that fail the way bugs do."""
    app = create_app(make_settings(database_url, smtp[0]))

    async def sql_bug() -> None:
        raise ProgrammingError(
            'SELECT hashed_password FROM "user" WHERE secret', {}, Exception("boom")
        )

    async def python_bug() -> None:
        raise RuntimeError("secret internal state /work/main/backend/app/crud.py")

    app.add_api_route("/bug/sql", sql_bug, methods=["POST"])
    app.add_api_route("/bug/python", python_bug, methods=["POST"])
    return app


@pytest.mark.parametrize("path", ["/bug/sql", "/bug/python"])
def test_error_bodies_reveal_nothing(failing_app: FastAPI, path: str) -> None:
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        response = client.post(path, headers={"X-Request-ID": "hardening-test"})
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal server error",
        "request_id": "hardening-test",
    }
    for leak in ("SELECT", "secret", "Traceback", "crud.py", "boom"):
        assert leak not in response.text
    # Sent from outside the middleware, the answer still has the security headers.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
