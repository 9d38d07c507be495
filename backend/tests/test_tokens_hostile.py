"""Hostile tokens: every forged, stale or replayed credential is refused with 401."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from app.core import security
from app.core.config import Settings
from tests.utils.factories import API, LoggedInUser, create_user, random_password

ME = f"{API}/users/me"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(user: LoggedInUser) -> dict[str, Any]:
    token = user.headers["Authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def assert_refused(client: TestClient, token: str) -> None:
    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, (token, response.text)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Could not validate credentials"}


@pytest.fixture
def user(client: TestClient, superuser_headers: dict[str, str]) -> LoggedInUser:
    return create_user(client, superuser_headers)


def sign(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def test_the_genuine_token_works(client: TestClient, user: LoggedInUser) -> None:
    assert client.get(ME, headers=user.headers).status_code == 200


def test_tampered_token(client: TestClient, user: LoggedInUser) -> None:
    token = user.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = claims_of(user)
    forged_payload = b64(json.dumps({**claims, "sub": claims["sub"][::-1]}).encode())
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    for forged in (
        f"{header}.{forged_payload}.{signature}",
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.",
        f"{header}.{payload}",
        token + "x",
        "",
        "not.a.jwt",
    ):
        assert_refused(client, forged)


def test_expired_token(
    client: TestClient, user: LoggedInUser, settings: Settings
) -> None:
    now = datetime.now(UTC)
    expired = {
        **claims_of(user),
        "iat": now - timedelta(hours=1),
        "exp": now - timedelta(seconds=1),
    }
    assert_refused(client, sign(expired, settings.SECRET_KEY))


def test_alg_none(client: TestClient, user: LoggedInUser) -> None:
    claims = claims_of(user)
    for alg in ("none", "None", "NONE"):
        header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        payload = b64(json.dumps(claims).encode())
        assert_refused(client, f"{header}.{payload}.")


def test_wrong_key_and_other_algorithms(
    client: TestClient, user: LoggedInUser, settings: Settings
) -> None:
    claims = claims_of(user)
    assert_refused(client, sign(claims, "another-secret-key-long-enough-for-hs256"))
    # The right key, but only HS256 is accepted.
    assert_refused(client, sign(claims, settings.SECRET_KEY + "x" * 40, "HS512"))
    assert_refused(client, sign(claims, settings.SECRET_KEY + "x" * 40, "HS384"))


def test_other_token_types_and_missing_claims(
    client: TestClient, user: LoggedInUser, settings: Settings
) -> None:
    claims = claims_of(user)
    for token_type in ("password_reset", "email_verification", "refresh", None):
        forged = {**claims, "type": token_type}
        assert_refused(client, sign(forged, settings.SECRET_KEY))
    for missing in ("sid", "sub", "exp", "iat", "type"):
        forged = {key: value for key, value in claims.items() if key != missing}
        assert_refused(client, sign(forged, settings.SECRET_KEY))
    for bad_sid in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", 42):
        assert_refused(client, sign({**claims, "sid": bad_sid}, settings.SECRET_KEY))
    assert_refused(client, sign({**claims, "sub": "not-a-uuid"}, settings.SECRET_KEY))


def test_a_reset_token_is_no_access_token(
    client: TestClient, user: LoggedInUser, settings: Settings
) -> None:
    reset = security.create_token(
        subject=user.id,
        token_type=security.TokenType.PASSWORD_RESET,
        expires_delta=timedelta(hours=1),
        secret_key=settings.SECRET_KEY,
        claims={"sid": claims_of(user)["sid"]},
    )
    assert_refused(client, reset)


def test_replayed_refresh_token_ends_the_session(
    client: TestClient, user: LoggedInUser
) -> None:
    refresh = f"{API}/login/refresh"
    first = client.post(refresh, json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    client.cookies.clear()
    replay = client.post(refresh, json={"refresh_token": user.refresh_token})
    assert replay.status_code == 401
    assert replay.headers["WWW-Authenticate"] == "Bearer"
    # The whole session is gone: the rotated refresh token and both access tokens.
    rotated = first.json()
    again = client.post(refresh, json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 401
    assert_refused(client, rotated["access_token"])
    assert_refused(client, user.headers["Authorization"].removeprefix("Bearer "))


def test_access_token_after_logout(client: TestClient, user: LoggedInUser) -> None:
    assert client.post(f"{API}/logout", headers=user.headers).status_code == 204
    assert_refused(client, user.headers["Authorization"].removeprefix("Bearer "))
    refreshed = client.post(
        f"{API}/login/refresh", json={"refresh_token": user.refresh_token}
    )
    assert refreshed.status_code == 401


def test_tokens_after_a_password_change(client: TestClient, user: LoggedInUser) -> None:
    changed = client.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": random_password()},
    )
    assert changed.status_code == 200
    assert_refused(client, user.headers["Authorization"].removeprefix("Bearer "))
    refreshed = client.post(
        f"{API}/login/refresh", json={"refresh_token": user.refresh_token}
    )
    assert refreshed.status_code == 401


def test_tokens_after_a_password_reset(
    client: TestClient, user: LoggedInUser, superuser_headers: dict[str, str]
) -> None:
    html = client.post(
        f"{API}/password-recovery-html-content",
        headers=superuser_headers,
        json={"email": user.email},
    ).text
    token = html.split("token=")[1].split('"')[0]
    reset = client.post(
        f"{API}/reset-password",
        json={"token": token, "new_password": random_password()},
    )
    assert reset.status_code == 200
    assert_refused(client, user.headers["Authorization"].removeprefix("Bearer "))
    # The reset link itself works once.
    again = client.post(
        f"{API}/reset-password",
        json={"token": token, "new_password": random_password()},
    )
    assert again.status_code == 404
