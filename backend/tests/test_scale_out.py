"""Two backend instances over one database are interchangeable: sessions live in the
database, so a login, a refresh, a logout or a password change on one instance holds
on the other. (Rate limits shared through Redis: tests/api/test_rate_limits.py.)"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD
from tests.utils.factories import API, create_user, login, random_password

Instances = tuple[TestClient, TestClient]


@pytest.fixture
def instances(settings: Settings) -> Iterator[Instances]:
    with (
        TestClient(create_app(settings)) as one,
        TestClient(create_app(settings)) as two,
    ):
        yield one, two


def test_a_login_on_one_instance_works_on_the_other(instances: Instances) -> None:
    one, two = instances
    admin = login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    me = two.get(f"{API}/users/me", headers=admin.headers)

    assert me.status_code == 200
    assert me.json()["email"] == FIRST_SUPERUSER


def test_refresh_rotation_and_reuse_hold_across_instances(instances: Instances) -> None:
    one, two = instances
    admin = login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    rotated = two.post(
        f"{API}/login/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert rotated.status_code == 200
    replayed = one.post(
        f"{API}/login/refresh", json={"refresh_token": admin.refresh_token}
    )

    assert replayed.status_code == 401
    new_headers = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert two.get(f"{API}/users/me", headers=new_headers).status_code == 401


def test_logout_on_one_instance_ends_the_session_on_the_other(
    instances: Instances,
) -> None:
    one, two = instances
    admin = login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    assert two.get(f"{API}/users/me", headers=admin.headers).status_code == 200

    assert one.post(f"{API}/logout", headers=admin.headers).status_code == 204

    assert two.get(f"{API}/users/me", headers=admin.headers).status_code == 401
    refreshed = two.post(
        f"{API}/login/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert refreshed.status_code == 401


def test_a_password_change_on_one_instance_revokes_tokens_on_the_other(
    instances: Instances,
) -> None:
    one, two = instances
    admin = login(one, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    user = create_user(one, admin.headers)
    elsewhere = login(two, user.email, user.password)
    new_password = random_password()

    changed = one.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": new_password},
    )

    assert changed.status_code == 200
    assert two.get(f"{API}/users/me", headers=elsewhere.headers).status_code == 401
    assert login(two, user.email, new_password).email == user.email
