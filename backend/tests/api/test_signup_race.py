"""Uniqueness comes from the database: concurrent signups for one email make one user."""

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.utils.factories import API, random_email, random_password

CONCURRENT_SIGNUPS = 20


def test_concurrent_signups_with_one_email(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    email = random_email()
    start = threading.Barrier(CONCURRENT_SIGNUPS)

    def sign_up(attempt: int) -> tuple[int, dict[str, object]]:
        # Each attempt spells the email differently; all mean the same account.
        spelled = email.upper() if attempt % 2 else email
        start.wait(timeout=10)
        response = client.post(
            f"{API}/users/signup",
            json={"email": spelled, "password": random_password()},
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CONCURRENT_SIGNUPS) as pool:
        results = list(pool.map(sign_up, range(CONCURRENT_SIGNUPS)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CONCURRENT_SIGNUPS - 1)
    conflicts = [body for status, body in results if status == 409]
    assert conflicts == [{"detail": "A user with this email already exists"}] * (
        CONCURRENT_SIGNUPS - 1
    )
    users = client.get(f"{API}/users/", headers=superuser_headers).json()
    assert users["count"] == 2
    assert [user["email"] for user in users["data"]].count(email) == 1
