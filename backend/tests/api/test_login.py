"""Logging in with a password, and the access token guarding every other endpoint."""

import uuid
from datetime import timedelta
from http.cookies import Morsel, SimpleCookie

import httpx2
import psycopg
import pytest
from fastapi.testclient import TestClient

from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_user,
    random_email,
    random_password,
)

LOGIN = f"{API}/login/access-token"
TEST_TOKEN = f"{API}/login/test-token"
INVALID_CREDENTIALS = {"detail": "Incorrect email or password"}
INVALID_TOKEN = {"detail": "Could not validate credentials"}


def post_login(client: TestClient, username: str, password: str) -> httpx2.Response:
    return client.post(LOGIN, data={"username": username, "password": password})


def refresh_cookie(response: httpx2.Response) -> Morsel[str]:
    set_cookies = response.headers.get_list("set-cookie")
    assert len(set_cookies) == 1, set_cookies
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(set_cookies[0])
    assert list(cookie) == ["refresh_token"]
    return cookie["refresh_token"]


def assert_unauthorized(response: httpx2.Response, body: dict[str, str]) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session_id_of(user: LoggedInUser, settings: Settings) -> str:
    token = user.headers["Authorization"].removeprefix("Bearer ")
    claims = security.decode_token(
        token, token_type=security.TokenType.ACCESS, secret_key=settings.SECRET_KEY
    )
    return str(claims["sid"])


# Logging in ----------------------------------------------------------------------


def test_login_returns_tokens_and_sets_refresh_cookie(
    client: TestClient, settings: Settings
) -> None:
    response = post_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60 == 900
    claims = security.decode_token(
        tokens["access_token"],
        token_type=security.TokenType.ACCESS,
        secret_key=settings.SECRET_KEY,
    )
    assert claims["exp"] - claims["iat"] == 900
    uuid.UUID(claims["sid"])

    cookie = refresh_cookie(response)
    assert cookie.value == tokens["refresh_token"]
    assert cookie["path"] == "/api/v1/login/refresh"
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["max-age"] == str(settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400)
    # Plain HTTP in the local environment; Secure elsewhere (see test_sentry's app).
    assert cookie["secure"] == ""

    me = client.post(TEST_TOKEN, headers=bearer(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == FIRST_SUPERUSER


def test_refresh_cookie_is_secure_outside_local(
    database_url: str, settings: Settings
) -> None:
    staging = make_settings(database_url, settings.SMTP_PORT, ENVIRONMENT="staging")
    with TestClient(create_app(staging)) as staging_client:
        response = post_login(staging_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    assert response.status_code == 200, response.text
    assert refresh_cookie(response)["secure"] is True


def test_each_login_starts_a_new_session(
    client: TestClient, db_connection: psycopg.Connection
) -> None:
    first = post_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD).json()
    second = post_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD).json()

    assert first["refresh_token"] != second["refresh_token"]
    sessions = db_connection.execute(
        'SELECT count(*) FROM user_session s JOIN "user" u ON u.id = s.user_id '
        "WHERE u.email = %s",
        (FIRST_SUPERUSER,),
    ).fetchone()
    assert sessions == (2,)
    # Only digests are stored: the database never holds a usable refresh token.
    stored = db_connection.execute("SELECT token_hash FROM refresh_token").fetchall()
    assert sorted(row[0] for row in stored) == sorted(
        security.hash_refresh_token(tokens["refresh_token"])
        for tokens in (first, second)
    )


def test_wrong_password_is_refused(client: TestClient) -> None:
    response = post_login(client, FIRST_SUPERUSER, "wrong-password")

    assert_unauthorized(response, INVALID_CREDENTIALS)
    assert "set-cookie" not in response.headers


def test_unknown_email_is_refused_like_a_wrong_password(client: TestClient) -> None:
    response = post_login(client, random_email(), FIRST_SUPERUSER_PASSWORD)

    assert_unauthorized(response, INVALID_CREDENTIALS)
    assert "set-cookie" not in response.headers


def test_email_is_case_insensitive(client: TestClient) -> None:
    response = post_login(client, "ADMIN@Example.COM", FIRST_SUPERUSER_PASSWORD)

    assert response.status_code == 200, response.text
    me = client.post(TEST_TOKEN, headers=bearer(response.json()["access_token"]))
    assert me.json()["email"] == FIRST_SUPERUSER


def test_email_stored_from_mixed_case_logs_in_with_any_case(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    password = random_password()
    response = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": "Mixed.Case@Example.com", "password": password},
    )
    assert response.status_code == 201, response.text

    for spelling in ("mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"):
        assert post_login(client, spelling, password).status_code == 200


def test_password_is_case_sensitive(client: TestClient) -> None:
    response = post_login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD.upper())

    assert_unauthorized(response, INVALID_CREDENTIALS)


def test_inactive_user_cannot_log_in(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    email, password = random_email(), random_password()
    created = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": email, "password": password, "is_active": False},
    )
    assert created.status_code == 201, created.text

    response = post_login(client, email, password)

    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}
    assert "set-cookie" not in response.headers


def test_inactive_user_with_wrong_password_gets_the_generic_answer(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    email = random_email()
    created = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": email, "password": random_password(), "is_active": False},
    )
    assert created.status_code == 201, created.text

    assert_unauthorized(
        post_login(client, email, "wrong-password"), INVALID_CREDENTIALS
    )


def test_password_of_exactly_72_bytes_logs_in(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    password = "p" * 72
    user = create_user(client, superuser_headers, password=password)

    assert post_login(client, user.email, password).status_code == 200


@pytest.mark.parametrize(
    "suffix", ["x", "anything-at-all", "é"], ids=["73-bytes", "87-bytes", "74-bytes"]
)
def test_password_longer_than_72_bytes_is_refused_not_an_error(
    client: TestClient, superuser_headers: dict[str, str], suffix: str
) -> None:
    # bcrypt reads 72 bytes: the stored password plus anything must not match.
    password = "p" * 72
    user = create_user(client, superuser_headers, password=password)

    response = post_login(client, user.email, password + suffix)

    assert_unauthorized(response, INVALID_CREDENTIALS)


def test_multibyte_password_over_72_bytes_is_refused_not_an_error(
    client: TestClient,
) -> None:
    response = post_login(client, FIRST_SUPERUSER, "é" * 40)  # 40 chars, 80 bytes

    assert_unauthorized(response, INVALID_CREDENTIALS)


def test_absurdly_long_password_is_invalid_input(client: TestClient) -> None:
    response = post_login(client, FIRST_SUPERUSER, "p" * 129)

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("admin@example.com\x00", FIRST_SUPERUSER_PASSWORD),
        ("admin\x00@example.com", FIRST_SUPERUSER_PASSWORD),
        (FIRST_SUPERUSER, "superuser-password\x00"),
    ],
    ids=["username-suffix", "username-middle", "password"],
)
def test_nul_byte_is_invalid_input(
    client: TestClient, username: str, password: str
) -> None:
    response = post_login(client, username, password)

    assert response.status_code == 422
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "form",
    [
        {"username": FIRST_SUPERUSER},
        {"password": FIRST_SUPERUSER_PASSWORD},
        {"username": "", "password": FIRST_SUPERUSER_PASSWORD},
        {"username": FIRST_SUPERUSER, "password": ""},
        {},
    ],
    ids=["no-password", "no-username", "empty-username", "empty-password", "empty"],
)
def test_incomplete_form_is_invalid_input(
    client: TestClient, form: dict[str, str]
) -> None:
    assert client.post(LOGIN, data=form).status_code == 422


def test_json_body_is_not_the_login_form(client: TestClient) -> None:
    response = client.post(
        LOGIN,
        json={"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD},
    )

    assert response.status_code == 422


# The access token ----------------------------------------------------------------


def test_test_token_answers_with_the_user(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.post(TEST_TOKEN, headers=superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "is_active",
        "is_superuser",
        "is_verified",
        "pending_email",
        "full_name",
        "created_at",
        "has_password",
        "two_factor_enabled",
    }
    assert body["email"] == FIRST_SUPERUSER
    assert body["is_superuser"] is True
    assert body["full_name"] == "Administrator"


def test_missing_token_is_unauthorized(client: TestClient) -> None:
    assert_unauthorized(client.post(TEST_TOKEN), {"detail": "Not authenticated"})


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer a.b.c", "Bearer ", "Basic YWRtaW46cGFzcw=="],
    ids=["garbage", "three-parts", "empty", "basic-scheme"],
)
def test_garbage_token_is_unauthorized(client: TestClient, authorization: str) -> None:
    response = client.post(TEST_TOKEN, headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_unauthorized(
    client: TestClient, settings: Settings, superuser: LoggedInUser
) -> None:
    # Same user, same live session, right key: only the expiry is wrong.
    expired = security.create_token(
        subject=superuser.id,
        token_type=security.TokenType.ACCESS,
        expires_delta=timedelta(seconds=-1),
        secret_key=settings.SECRET_KEY,
        claims={"sid": session_id_of(superuser, settings)},
    )

    assert_unauthorized(client.post(TEST_TOKEN, headers=bearer(expired)), INVALID_TOKEN)


def test_token_forged_for_a_live_session_works_only_with_the_right_key(
    client: TestClient, settings: Settings, superuser: LoggedInUser
) -> None:
    def forge(secret_key: str) -> str:
        return security.create_token(
            subject=superuser.id,
            token_type=security.TokenType.ACCESS,
            expires_delta=timedelta(minutes=5),
            secret_key=secret_key,
            claims={"sid": session_id_of(superuser, settings)},
        )

    right_key = client.post(TEST_TOKEN, headers=bearer(forge(settings.SECRET_KEY)))
    wrong_key = client.post(
        TEST_TOKEN, headers=bearer(forge("some-other-secret-key-long-enough-for-it"))
    )

    assert right_key.status_code == 200
    assert_unauthorized(wrong_key, INVALID_TOKEN)


@pytest.mark.parametrize(
    "sid", [None, "not-a-uuid", str(uuid.uuid4())], ids=["none", "bad", "unknown"]
)
def test_token_without_a_live_session_is_unauthorized(
    client: TestClient, settings: Settings, superuser: LoggedInUser, sid: str | None
) -> None:
    token = security.create_token(
        subject=superuser.id,
        token_type=security.TokenType.ACCESS,
        expires_delta=timedelta(minutes=5),
        secret_key=settings.SECRET_KEY,
        claims={} if sid is None else {"sid": sid},
    )

    assert_unauthorized(client.post(TEST_TOKEN, headers=bearer(token)), INVALID_TOKEN)


def test_token_pairing_a_user_with_another_users_session_is_unauthorized(
    client: TestClient,
    settings: Settings,
    superuser: LoggedInUser,
    superuser_headers: dict[str, str],
) -> None:
    other = create_user(client, superuser_headers)
    token = security.create_token(
        subject=other.id,
        token_type=security.TokenType.ACCESS,
        expires_delta=timedelta(minutes=5),
        secret_key=settings.SECRET_KEY,
        claims={"sid": session_id_of(superuser, settings)},
    )

    assert_unauthorized(client.post(TEST_TOKEN, headers=bearer(token)), INVALID_TOKEN)


def test_password_reset_token_is_not_an_access_token(
    client: TestClient, settings: Settings, superuser: LoggedInUser
) -> None:
    token = security.create_token(
        subject=superuser.id,
        token_type=security.TokenType.PASSWORD_RESET,
        expires_delta=timedelta(minutes=5),
        secret_key=settings.SECRET_KEY,
        claims={"sid": session_id_of(superuser, settings)},
    )

    assert_unauthorized(client.post(TEST_TOKEN, headers=bearer(token)), INVALID_TOKEN)


def test_token_of_a_deleted_user_is_unauthorized(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    assert client.post(TEST_TOKEN, headers=user.headers).status_code == 200

    deleted = client.delete(f"{API}/users/{user.id}", headers=superuser_headers)
    assert deleted.status_code == 204

    assert_unauthorized(client.post(TEST_TOKEN, headers=user.headers), INVALID_TOKEN)


def test_token_of_a_user_deleting_itself_stops_working(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    assert client.delete(f"{API}/users/me", headers=user.headers).status_code == 204

    assert_unauthorized(client.post(TEST_TOKEN, headers=user.headers), INVALID_TOKEN)


def test_token_of_an_inactive_user_is_forbidden(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    # Deactivated behind the API's back, so its session is still live: the
    # token is valid, the user is not.
    user = create_user(client, superuser_headers)
    db_connection.execute(
        'UPDATE "user" SET is_active = false WHERE id = %s', (user.id,)
    )

    response = client.post(TEST_TOKEN, headers=user.headers)

    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}
    read_me = client.get(f"{API}/users/me", headers=user.headers)
    assert read_me.status_code == 403
