from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.utils.factories import API, login, random_email, random_password

PRIVATE_USERS = f"{API}/private/users/"


def test_create_user_without_authentication(client: TestClient) -> None:
    email = random_email()
    password = random_password()

    response = client.post(
        PRIVATE_USERS,
        json={"email": email, "password": password, "full_name": "Private User"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email
    assert body["full_name"] == "Private User"
    assert body["is_superuser"] is False
    assert login(client, email, password).email == email


def test_create_superuser(client: TestClient) -> None:
    email = random_email()
    password = random_password()

    response = client.post(
        PRIVATE_USERS,
        json={"email": email, "password": password, "is_superuser": True},
    )

    assert response.status_code == 201
    assert response.json()["is_superuser"] is True
    admin = login(client, email, password)
    assert client.get(f"{API}/users/", headers=admin.headers).status_code == 200


def test_create_user_duplicate(client: TestClient) -> None:
    email = random_email()
    first = client.post(
        PRIVATE_USERS, json={"email": email, "password": random_password()}
    )

    second = client.post(
        PRIVATE_USERS, json={"email": email.upper(), "password": random_password()}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json() == {"detail": "A user with this email already exists"}


def test_create_user_invalid(client: TestClient) -> None:
    response = client.post(
        PRIVATE_USERS, json={"email": "not-an-email", "password": "short"}
    )

    assert response.status_code == 422


def test_absent_outside_local(database_url: str, settings: Settings) -> None:
    staging = make_settings(database_url, settings.SMTP_PORT, ENVIRONMENT="staging")
    with TestClient(create_app(staging)) as client:
        response = client.post(
            PRIVATE_USERS,
            json={"email": random_email(), "password": random_password()},
        )
        openapi = client.get(f"{API}/openapi.json").json()

    assert response.status_code == 404
    assert not any(path.startswith(f"{API}/private") for path in openapi["paths"])
