"""Small factories for unique test data, and helpers that act through the API."""

import random
import string
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient

API = "/api/v1"


def random_lower_string(length: int = 32) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=length))


def random_email() -> str:
    return f"{random_lower_string(12)}@{random_lower_string(8)}.com"


def random_password() -> str:
    return f"Pw-{random_lower_string(12)}"


@dataclass(frozen=True)
class LoggedInUser:
    id: uuid.UUID
    email: str
    password: str
    headers: dict[str, str]
    refresh_token: str


def login(client: TestClient, email: str, password: str) -> LoggedInUser:
    response = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get(f"{API}/users/me", headers=headers)
    assert me.status_code == 200, me.text
    client.cookies.clear()
    return LoggedInUser(
        id=uuid.UUID(me.json()["id"]),
        email=email,
        password=password,
        headers=headers,
        refresh_token=tokens["refresh_token"],
    )


def create_user(
    client: TestClient,
    superuser_headers: dict[str, str],
    *,
    email: str | None = None,
    password: str | None = None,
    **fields: object,
) -> LoggedInUser:
    """Create a user through the superuser API and log it in."""
    email = email or random_email()
    password = password or random_password()
    response = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": email, "password": password, **fields},
    )
    assert response.status_code == 201, response.text
    return login(client, email, password)


def create_item(
    client: TestClient,
    headers: dict[str, str],
    team_id: str | None = None,
    **fields: object,
) -> dict[str, object]:
    """An item in the team (the caller's personal team by default)."""
    body = {"title": random_lower_string(10), **fields}
    params = {"team_id": team_id} if team_id else {}
    response = client.post(f"{API}/items/", headers=headers, json=body, params=params)
    assert response.status_code == 201, response.text
    item: dict[str, object] = response.json()
    return item


def personal_team(client: TestClient, headers: dict[str, str]) -> str:
    """The id of the caller's personal team (the first of their teams)."""
    response = client.get(f"{API}/teams/", headers=headers, params={"limit": 1})
    assert response.status_code == 200, response.text
    team = response.json()["data"][0]
    assert team["is_personal"] is True
    return str(team["id"])


def create_team(
    client: TestClient, headers: dict[str, str], name: str | None = None
) -> str:
    """A new shared team owned by the caller; its id."""
    body = {"name": name or f"Team {random_lower_string(6)}"}
    response = client.post(f"{API}/teams/", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
