"""Rate limits: per account, per client IP, in memory and in a real Redis.

Each app here gets a unique PROJECT_NAME, which keys its counts in Redis, and each
client a random address, so runs never see each other's counts.
"""

import logging
import os
import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from app.core import rate_limit
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.factories import API, create_user, random_email, random_password
from tests.utils.smtp import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
LOGIN = f"{API}/login/access-token"


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# CI starts Redis (.ci/run); elsewhere these tests wait for one.
needs_redis = pytest.mark.skipif(
    not redis_is_up() and not os.environ.get("CI"),
    reason="no Redis on 127.0.0.1:6379 (CI starts one)",
)


def random_ip() -> str:
    return (
        f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    )


@contextmanager
def limited_client(
    database_url: str,
    *,
    ip: str | None = None,
    project: str | None = None,
    **overrides: object,
) -> Iterator[TestClient]:
    values: dict[str, object] = {
        "RATE_LIMIT_ENABLED": True,
        "PROJECT_NAME": project or f"rate-limit-test-{uuid.uuid4().hex}",
        **overrides,
    }
    settings = make_settings(database_url, free_port(), **values)
    with TestClient(create_app(settings), client=(ip or random_ip(), 50000)) as client:
        yield client


def assert_throttled(response: Response, action: str) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    unit = "second" if retry_after == 1 else "seconds"
    assert response.json() == {
        "detail": f"Too many {action}; try again in {retry_after} {unit}"
    }


def attempt_login(client: TestClient, email: str, password: str) -> Response:
    return client.post(LOGIN, data={"username": email, "password": password})


def signup(client: TestClient, **headers: str) -> Response:
    return client.post(
        f"{API}/users/signup",
        json={"email": random_email(), "password": random_password()},
        headers=headers,
    )


def test_failed_logins_lock_the_account_not_the_ip(database_url: str) -> None:
    allowed = rate_limit.LOGIN_PER_ACCOUNT.limit.amount
    with limited_client(database_url) as client:
        admin = attempt_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD).json()
        headers = {"Authorization": f"Bearer {admin['access_token']}"}
        victim = create_user(client, headers)
        bystander = create_user(client, headers)

        for _ in range(allowed):
            assert (
                attempt_login(client, victim.email, "wrong-password").status_code == 401
            )
        # Even the right password waits now, and the email's case changes nothing.
        locked = attempt_login(client, victim.email.upper(), victim.password)
        assert_throttled(locked, "failed logins")
        assert (
            attempt_login(client, bystander.email, bystander.password).status_code
            == 200
        )


def test_successful_logins_do_not_count_against_the_account(
    database_url: str,
) -> None:
    with limited_client(database_url) as client:
        for _ in range(rate_limit.LOGIN_PER_ACCOUNT.limit.amount + 2):
            response = attempt_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
            assert response.status_code == 200


def test_login_attempts_per_ip(database_url: str) -> None:
    allowed = rate_limit.LOGIN_PER_IP.limit.amount
    ip = random_ip()
    with limited_client(database_url, ip=ip) as client:
        for _ in range(allowed):
            assert attempt_login(client, random_email(), "whatever1").status_code == 401
        assert_throttled(attempt_login(client, random_email(), "x"), "login attempts")
    # Another address of the same app's counts is still welcome.
    with limited_client(database_url, ip=random_ip()) as other:
        response = attempt_login(other, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        assert response.status_code == 200


def test_password_recovery_per_email_and_per_ip(database_url: str) -> None:
    per_email = rate_limit.PASSWORD_RECOVERY_PER_EMAIL.limit.amount
    per_ip = rate_limit.PASSWORD_RECOVERY_PER_IP.limit.amount
    recover = f"{API}/password-recovery"
    with limited_client(database_url) as client:
        email = random_email()
        for _ in range(per_email):
            assert client.post(recover, json={"email": email}).status_code == 200
        throttled = client.post(recover, json={"email": email.upper()})
        assert_throttled(throttled, "password recovery requests")
        for _ in range(per_ip - per_email - 1):
            assert (
                client.post(recover, json={"email": random_email()}).status_code == 200
            )
        throttled = client.post(recover, json={"email": random_email()})
        assert_throttled(throttled, "password recovery requests")


def test_signup_per_ip(database_url: str) -> None:
    allowed = rate_limit.SIGNUP_PER_IP.limit.amount
    with limited_client(database_url) as client:
        for _ in range(allowed):
            assert signup(client).status_code == 201
        assert_throttled(signup(client), "sign-ups")


def test_refresh_per_ip(database_url: str) -> None:
    allowed = rate_limit.REFRESH_PER_IP.limit.amount
    with limited_client(database_url) as client:
        for _ in range(allowed):
            assert client.post(f"{API}/login/refresh").status_code == 401
        assert_throttled(client.post(f"{API}/login/refresh"), "token refreshes")


def test_proxy_headers_count_only_from_a_trusted_proxy(database_url: str) -> None:
    allowed = rate_limit.SIGNUP_PER_IP.limit.amount
    proxy = random_ip()
    with limited_client(database_url, ip=proxy, TRUSTED_PROXIES=proxy) as client:
        for _ in range(allowed):
            assert (
                signup(client, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 201
            )
        throttled = signup(client, **{"X-Forwarded-For": "203.0.113.7"})
        assert_throttled(throttled, "sign-ups")
        # Behind the proxy, another client has a count of its own.
        assert signup(client, **{"X-Forwarded-For": "203.0.113.8"}).status_code == 201

    # From an untrusted peer the header is ignored: it cannot buy fresh counts.
    with limited_client(database_url, TRUSTED_PROXIES="192.0.2.1") as client:
        for n in range(allowed):
            assert (
                signup(client, **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
                == 201
            )
        throttled = signup(client, **{"X-Forwarded-For": "198.51.100.200"})
        assert_throttled(throttled, "sign-ups")


def test_limits_can_be_switched_off(database_url: str) -> None:
    with limited_client(database_url, RATE_LIMIT_ENABLED=False) as client:
        for _ in range(rate_limit.SIGNUP_PER_IP.limit.amount + 3):
            assert signup(client).status_code == 201


@needs_redis
def test_instances_sharing_redis_share_counts(database_url: str) -> None:
    allowed = rate_limit.SIGNUP_PER_IP.limit.amount
    project = f"rate-limit-test-{uuid.uuid4().hex}"
    ip = random_ip()
    with (
        limited_client(
            database_url, ip=ip, project=project, REDIS_URL=REDIS_URL
        ) as one,
        limited_client(
            database_url, ip=ip, project=project, REDIS_URL=REDIS_URL
        ) as two,
    ):
        assert one.app.state.rate_limiter.uses_redis  # type: ignore[attr-defined]
        for n in range(allowed):
            assert signup(one if n % 2 else two).status_code == 201
        assert_throttled(signup(one), "sign-ups")
        assert_throttled(signup(two), "sign-ups")

    # A third instance started later still sees the count: it lives in Redis.
    with limited_client(
        database_url, ip=ip, project=project, REDIS_URL=REDIS_URL
    ) as three:
        assert_throttled(signup(three), "sign-ups")
    # Without Redis, a fresh instance starts from zero.
    with limited_client(database_url, ip=ip, project=project) as memory_only:
        assert signup(memory_only).status_code == 201


@needs_redis
def test_failed_logins_counted_in_redis(database_url: str) -> None:
    allowed = rate_limit.LOGIN_PER_ACCOUNT.limit.amount
    with limited_client(database_url, REDIS_URL=REDIS_URL) as client:
        email = random_email()
        for _ in range(allowed):
            assert attempt_login(client, email, "wrong-password").status_code == 401
        assert_throttled(attempt_login(client, email, "x"), "failed logins")


def test_redis_down_fails_open_to_memory_counts(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The documented choice: no outage of login because the limit store is down.

    Requests go on being counted in the instance's own memory, so the limits still
    hold per instance, and a warning says so.
    """
    allowed = rate_limit.SIGNUP_PER_IP.limit.amount
    closed_port = free_port()
    with (
        caplog.at_level(logging.WARNING, logger="app.core.rate_limit"),
        limited_client(
            database_url, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"
        ) as client,
    ):
        assert client.app.state.rate_limiter.uses_redis  # type: ignore[attr-defined]
        for _ in range(allowed):
            assert signup(client).status_code == 201
        assert_throttled(signup(client), "sign-ups")
        response = attempt_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        assert response.status_code == 200
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "app.core.rate_limit"
    ]
    assert warnings, "the fallback to memory must be logged"
    assert all("counting in memory" in message for message in warnings)
