from fastapi.testclient import TestClient

from tests.utils.factories import API, LoggedInUser


def test_superuser_reads_own_account(
    client: TestClient, superuser: LoggedInUser
) -> None:
    response = client.get(f"{API}/users/me", headers=superuser.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "admin@example.com"
    assert body["is_superuser"] is True
