"""Two app instances behind Debian's nginx, over one PostgreSQL and one Redis.

All of it runs as real processes, as in production: two `uvicorn --factory
app.main:create_app` servers with one worker each, and nginx balancing between them
round robin. Every request of these tests goes through nginx, and nginx's access log
says which instance served it: each test says, and checks, where each step ran
(tests/utils/balancer.py explains how).

(tests/test_scale_out.py covers more session cases with two apps in this process.)
"""

import os
import uuid
from collections.abc import Iterator

import pytest

from app.core import rate_limit
from tests.api.test_rate_limits import assert_throttled, needs_redis
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.balancer import (
    HOST,
    NGINX,
    BalancedClient,
    Balancer,
    run_balancer,
)
from tests.utils.factories import API, random_password
from tests.utils.smtp import Mailbox

NGINX_MISSING = (
    f"Debian's nginx is missing ({NGINX}): these tests balance two app instances "
    "with it. Install it with `apt-get install -y nginx` (scripts/test.sh and "
    ".ci/run install it themselves when run as root)."
)
REDIS_URL = "redis://127.0.0.1:6379/0"
ME = f"{API}/users/me"


@pytest.fixture(scope="module")
def balancer(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Balancer]:
    if not os.access(NGINX, os.X_OK):
        pytest.fail(NGINX_MISSING, pytrace=False)
    settings = make_settings(
        database_url,
        smtp[0],
        # Its own PROJECT_NAME: its own rate-limit keys in the shared Redis.
        PROJECT_NAME=f"balancer-test-{uuid.uuid4().hex}",
        RATE_LIMIT_ENABLED=True,
        REDIS_URL=REDIS_URL,
        # As in Compose: only the balancer's X-Forwarded-For is believed.
        TRUSTED_PROXIES=HOST,
        EMAIL_VERIFICATION_REQUIRED=False,
    )
    with run_balancer(settings, tmp_path_factory.mktemp("balancer")) as running:
        yield running


@pytest.fixture
def client(balancer: Balancer) -> Iterator[BalancedClient]:
    with BalancedClient(balancer) as balanced:
        yield balanced


def test_a_login_on_one_instance_works_on_the_other(
    balancer: Balancer, client: BalancedClient
) -> None:
    admin = client.login(balancer.one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    me = client.send(balancer.two, "GET", ME, headers=admin.headers)

    assert me.status_code == 200
    assert me.json()["email"] == FIRST_SUPERUSER
    assert client.served == ["one", "two"]


def test_a_logout_on_one_instance_holds_on_the_other(
    balancer: Balancer, client: BalancedClient
) -> None:
    one, two = balancer.one, balancer.two
    admin = client.login(two, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    assert client.send(one, "GET", ME, headers=admin.headers).status_code == 200

    logout = client.send(one, "POST", f"{API}/logout", headers=admin.headers)

    assert logout.status_code == 204
    assert client.send(two, "GET", ME, headers=admin.headers).status_code == 401
    refresh = {"refresh_token": admin.refresh_token}
    refreshed = client.send(two, "POST", f"{API}/login/refresh", json=refresh)
    assert refreshed.status_code == 401
    assert client.served == ["two", "one", "one", "two", "two"]


def test_a_password_change_on_one_instance_revokes_tokens_on_the_other(
    balancer: Balancer, client: BalancedClient
) -> None:
    one, two = balancer.one, balancer.two
    admin = client.login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    user = client.create_user(one, admin)
    here = client.login(one, user.email, user.password)
    elsewhere = client.login(two, user.email, user.password)
    new_password = random_password()

    changed = client.send(
        one,
        "PATCH",
        f"{ME}/password",
        headers=here.headers,
        json={"current_password": user.password, "new_password": new_password},
    )

    assert changed.status_code == 200
    assert client.send(two, "GET", ME, headers=elsewhere.headers).status_code == 401
    assert client.attempt_login(two, user.email, user.password).status_code == 401
    assert client.attempt_login(two, user.email, new_password).status_code == 200


def test_deactivating_a_user_on_one_instance_ends_its_sessions_on_the_other(
    balancer: Balancer, client: BalancedClient
) -> None:
    one, two = balancer.one, balancer.two
    admin = client.login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    user = client.create_user(one, admin)
    elsewhere = client.login(two, user.email, user.password)
    assert client.send(two, "GET", ME, headers=elsewhere.headers).status_code == 200

    deactivated = client.send(
        one,
        "PATCH",
        f"{API}/users/{user.id}",
        headers=admin.headers,
        json={"is_active": False},
    )

    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    assert client.send(two, "GET", ME, headers=elsewhere.headers).status_code == 401
    login = client.attempt_login(two, user.email, user.password)
    assert login.status_code == 403
    assert login.json() == {"detail": "Inactive user"}


@needs_redis
def test_sign_ups_through_both_instances_share_one_limit(
    balancer: Balancer, client: BalancedClient
) -> None:
    allowed = rate_limit.SIGNUP_PER_IP.limit.amount
    instances = (balancer.one, balancer.two)

    for number in range(allowed):
        assert client.sign_up(instances[number % 2]).status_code == 201

    for instance in instances:
        assert_throttled(client.sign_up(instance), "sign-ups")
    alternating = [instances[number % 2].name for number in range(allowed)]
    assert client.served == [*alternating, "one", "two"]
    # The count is the client's, not the balancer's: nginx passes its address on.
    with BalancedClient(balancer) as another_client:
        assert another_client.sign_up(balancer.one).status_code == 201


@needs_redis
def test_failed_logins_through_both_instances_lock_the_account_on_both(
    balancer: Balancer, client: BalancedClient
) -> None:
    allowed = rate_limit.LOGIN_PER_ACCOUNT.limit.amount
    instances = (balancer.one, balancer.two)
    admin = client.login(balancer.one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    user = client.create_user(balancer.two, admin)

    for number in range(allowed):
        failed = client.attempt_login(instances[number % 2], user.email, "wrong-1")
        assert failed.status_code == 401

    for instance in instances:
        locked = client.attempt_login(instance, user.email, user.password)
        assert_throttled(locked, "failed logins")
    alternating = [instances[number % 2].name for number in range(allowed)]
    assert client.served == ["one", "two", *alternating, "one", "two"]
