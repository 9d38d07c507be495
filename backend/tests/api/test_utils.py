import re

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.utils.factories import API
from tests.utils.smtp import free_port

HEX_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def test_health_check(client: TestClient) -> None:
    response = client.get(f"{API}/utils/health-check/")

    assert response.status_code == 200
    assert response.json() is True


def test_readiness(client: TestClient) -> None:
    response = client.get(f"{API}/utils/ready/")

    assert response.status_code == 200
    assert response.json() == {"message": "ready"}


def test_readiness_without_database(settings: Settings) -> None:
    unreachable = make_settings(
        f"postgresql://postgres@127.0.0.1:{free_port()}/app",
        settings.SMTP_PORT,
        DATABASE_CONNECT_TIMEOUT_SECONDS=1,
    )
    with TestClient(create_app(unreachable)) as client:
        response = client.get(f"{API}/utils/ready/")
        liveness = client.get("/health")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Database unavailable, please try again shortly"
    }
    assert response.headers["retry-after"] == "5"
    # Liveness does not depend on the database.
    assert liveness.status_code == 200


def test_root_health(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# Request ids ---------------------------------------------------------------------


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123_DEF.4"})

    assert response.headers["x-request-id"] == "abc-123_DEF.4"


def test_request_id_is_generated_when_absent(client: TestClient) -> None:
    first = client.get("/health")
    second = client.get("/health")

    assert HEX_REQUEST_ID.match(first.headers["x-request-id"])
    assert HEX_REQUEST_ID.match(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    "given",
    ["", "has spaces", "semi;colon", "x" * 129, "<script>", "new\tline"],
    ids=["empty", "spaces", "semicolon", "too-long", "markup", "tab"],
)
def test_request_id_is_replaced_when_malformed(client: TestClient, given: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": given})

    assert HEX_REQUEST_ID.match(response.headers["x-request-id"])


def test_request_id_on_error_answers(client: TestClient) -> None:
    not_found = client.get(f"{API}/items/", headers={"X-Request-ID": "req-401"})
    invalid = client.get(
        f"{API}/users/", params={"limit": 0}, headers={"X-Request-ID": "req-422"}
    )

    assert not_found.status_code == 401
    assert not_found.headers["x-request-id"] == "req-401"
    assert invalid.headers["x-request-id"] == "req-422"


# OpenAPI and CORS ----------------------------------------------------------------


def test_openapi_operation_ids(client: TestClient) -> None:
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    operation_ids = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
    }
    assert {
        "users-read_user_me",
        "users-read_users",
        "users-register_user",
        "items-read_items",
        "items-create_item",
        "login-login_access_token",
        "utils-health_check",
        "utils-readiness",
        "private-create_user",
    } <= operation_ids
    assert schema["info"]["title"] == "Test Project"


def test_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert f"{API}/openapi.json" in response.text


def test_cors_preflight_from_the_dev_frontend(client: TestClient) -> None:
    response = client.options(
        f"{API}/users/me",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "PATCH" in response.headers["access-control-allow-methods"]


def test_cors_allows_the_frontend_host(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "http://frontend.test"})

    assert response.headers["access-control-allow-origin"] == "http://frontend.test"
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]


def test_cors_refuses_other_origins(client: TestClient) -> None:
    preflight = client.options(
        f"{API}/users/me",
        headers={
            "Origin": "http://evil.test",
            "Access-Control-Request-Method": "GET",
        },
    )
    simple = client.get("/health", headers={"Origin": "http://evil.test"})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers
