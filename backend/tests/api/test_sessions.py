"""Login sessions: refresh token rotation, reuse detection, logout, and what ends them."""

from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

import httpx2
import psycopg
from fastapi.testclient import TestClient

from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_user,
    login,
    random_password,
)
from tests.utils.smtp import Mailbox

REFRESH = f"{API}/login/refresh"
LOGOUT = f"{API}/logout"
TEST_TOKEN = f"{API}/login/test-token"
INVALID_TOKEN = {"detail": "Could not validate credentials"}
INVALID_REFRESH = {"detail": "Invalid or expired refresh token"}
REUSED_REFRESH = {"detail": "Refresh token was already used; the session is revoked"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh(client: TestClient, refresh_token: str) -> httpx2.Response:
    """Refresh through the JSON body, without any cookie."""
    client.cookies.clear()
    return client.post(REFRESH, json={"refresh_token": refresh_token})


def refresh_with_cookie(client: TestClient, refresh_token: str) -> httpx2.Response:
    """Refresh the way a browser does: the cookie alone, no body."""
    client.cookies.clear()
    return client.post(REFRESH, headers={"Cookie": f"refresh_token={refresh_token}"})


def assert_unauthorized(response: httpx2.Response, body: dict[str, str]) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == body


def assert_token_works(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(TEST_TOKEN, headers=headers)
    assert response.status_code == 200, response.text


def assert_token_refused(client: TestClient, headers: dict[str, str]) -> None:
    assert_unauthorized(client.post(TEST_TOKEN, headers=headers), INVALID_TOKEN)


def assert_refresh_cookie_cleared(response: httpx2.Response) -> None:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    assert cookie["refresh_token"].value == ""
    assert cookie["refresh_token"]["max-age"] == "0"
    assert cookie["refresh_token"]["path"] == "/api/v1/login/refresh"


def session_id(access_token: str, settings: Settings) -> object:
    claims = security.decode_token(
        access_token,
        token_type=security.TokenType.ACCESS,
        secret_key=settings.SECRET_KEY,
    )
    return claims["sid"]


def live_sessions(db_connection: psycopg.Connection, user: LoggedInUser) -> int:
    row = db_connection.execute(
        "SELECT count(*) FROM user_session WHERE user_id = %s AND revoked_at IS NULL",
        (user.id,),
    ).fetchone()
    assert row is not None
    count: int = row[0]
    return count


# Refreshing ----------------------------------------------------------------------


def test_refresh_with_the_cookie_set_at_login(
    client: TestClient, settings: Settings, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    logged_in = client.post(
        f"{API}/login/access-token",
        data={"username": user.email, "password": user.password},
    )
    first = logged_in.json()

    # No body: the cookie the login set is the only credential sent.
    response = client.post(REFRESH)

    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["token_type"] == "bearer"
    assert second["expires_in"] == 900
    assert second["refresh_token"] != first["refresh_token"]
    assert session_id(second["access_token"], settings) == session_id(
        first["access_token"], settings
    )
    assert client.cookies["refresh_token"] == second["refresh_token"]
    me = client.post(TEST_TOKEN, headers=bearer(second["access_token"]))
    assert me.json()["email"] == user.email

    # The rotated cookie works in turn.
    third = client.post(REFRESH)
    assert third.status_code == 200, third.text
    assert third.json()["refresh_token"] not in {
        first["refresh_token"],
        second["refresh_token"],
    }


def test_refresh_with_the_token_in_the_body(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = refresh(client, user.refresh_token)

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["refresh_token"] != user.refresh_token
    assert_token_works(client, bearer(tokens["access_token"]))
    # The original access token belongs to the same, still live, session.
    assert_token_works(client, user.headers)


def test_body_token_is_used_over_the_cookie(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    first = create_user(client, superuser_headers)
    second = create_user(client, superuser_headers)
    client.cookies.clear()

    response = client.post(
        REFRESH,
        json={"refresh_token": second.refresh_token},
        headers={"Cookie": f"refresh_token={first.refresh_token}"},
    )

    assert response.status_code == 200, response.text
    me = client.post(TEST_TOKEN, headers=bearer(response.json()["access_token"]))
    assert me.json()["email"] == second.email
    # The cookie's token was not spent.
    assert refresh(client, first.refresh_token).status_code == 200


def test_refresh_without_a_token_is_unauthorized(client: TestClient) -> None:
    assert_unauthorized(client.post(REFRESH), {"detail": "Missing refresh token"})
    assert_unauthorized(
        client.post(REFRESH, json={}), {"detail": "Missing refresh token"}
    )
    assert_unauthorized(
        client.post(REFRESH, json={"refresh_token": None}),
        {"detail": "Missing refresh token"},
    )
    # Not the shape of a refresh token: invalid input.
    assert client.post(REFRESH, json={"refresh_token": ""}).status_code == 422


def test_refresh_with_an_unknown_token_is_unauthorized(client: TestClient) -> None:
    response = refresh(client, security.generate_refresh_token())

    assert_unauthorized(response, INVALID_REFRESH)
    assert_refresh_cookie_cleared(response)


def test_access_token_is_not_a_refresh_token(
    client: TestClient, superuser: LoggedInUser
) -> None:
    access_token = superuser.headers["Authorization"].removeprefix("Bearer ")

    response = refresh_with_cookie(client, access_token)

    assert_unauthorized(response, INVALID_REFRESH)
    assert_token_works(client, superuser.headers)


def test_oversized_refresh_token_is_invalid_input(client: TestClient) -> None:
    response = client.post(REFRESH, json={"refresh_token": "x" * 129})

    assert response.status_code == 422


def test_refresh_of_an_expired_session_is_unauthorized(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    db_connection.execute(
        "UPDATE user_session SET expires_at = now() - interval '1 second' "
        "WHERE user_id = %s",
        (user.id,),
    )

    assert_unauthorized(refresh(client, user.refresh_token), INVALID_REFRESH)
    assert_token_refused(client, user.headers)


def test_refresh_for_an_inactive_user_is_forbidden(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    # Deactivated behind the API's back, so the session itself is still live.
    user = create_user(client, superuser_headers)
    db_connection.execute(
        'UPDATE "user" SET is_active = false WHERE id = %s', (user.id,)
    )

    response = refresh(client, user.refresh_token)

    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}


# Rotation and reuse --------------------------------------------------------------


def test_replayed_refresh_token_revokes_the_whole_session(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other_session = login(client, user.email, user.password)
    rotated = refresh(client, user.refresh_token).json()
    rotated_headers = bearer(rotated["access_token"])
    assert_token_works(client, rotated_headers)

    replay = refresh(client, user.refresh_token)

    assert_unauthorized(replay, REUSED_REFRESH)
    assert_refresh_cookie_cleared(replay)
    # Whoever holds the newer token (maybe the thief) is out too.
    assert_unauthorized(refresh(client, rotated["refresh_token"]), INVALID_REFRESH)
    assert_token_refused(client, rotated_headers)
    assert_token_refused(client, user.headers)
    # The user's other login is a different session and is untouched.
    assert_token_works(client, other_session.headers)
    assert refresh(client, other_session.refresh_token).status_code == 200


def test_replay_through_the_cookie_revokes_the_session(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    first = refresh_with_cookie(client, user.refresh_token)
    assert first.status_code == 200, first.text

    replay = refresh_with_cookie(client, user.refresh_token)

    assert_unauthorized(replay, REUSED_REFRESH)
    assert_refresh_cookie_cleared(replay)
    rotated_token = first.json()["refresh_token"]
    assert_unauthorized(refresh_with_cookie(client, rotated_token), INVALID_REFRESH)
    assert_token_refused(client, user.headers)


def test_replaying_again_after_revocation_changes_nothing(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    assert refresh(client, user.refresh_token).status_code == 200

    assert_unauthorized(refresh(client, user.refresh_token), REUSED_REFRESH)
    assert_unauthorized(refresh(client, user.refresh_token), REUSED_REFRESH)
    assert_token_refused(client, user.headers)


def test_concurrent_refreshes_with_one_token_rotate_it_once(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    client.cookies.clear()

    def attempt(_: int) -> int:
        response = client.post(REFRESH, json={"refresh_token": user.refresh_token})
        return response.status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(pool.map(attempt, range(5)))

    assert statuses == [200, 401, 401, 401, 401]
    new_tokens = db_connection.execute(
        "SELECT count(*) FROM refresh_token t JOIN user_session s "
        "ON s.id = t.session_id WHERE s.user_id = %s",
        (user.id,),
    ).fetchone()
    assert new_tokens == (2,)  # the original one and a single rotation


def test_replay_within_the_grace_rotates_again(
    database_url: str, smtp: tuple[int, Mailbox]
) -> None:
    """A reload while a refresh was in flight sends the old cookie again: not theft."""
    settings = make_settings(
        database_url, smtp[0], REFRESH_TOKEN_REUSE_GRACE_SECONDS=10
    )
    with TestClient(create_app(settings)) as graceful:
        user = login(graceful, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        lost_answer = refresh(graceful, user.refresh_token)
        assert lost_answer.status_code == 200, lost_answer.text

        replay = refresh_with_cookie(graceful, user.refresh_token)

        assert replay.status_code == 200, replay.text
        tokens = replay.json()
        assert tokens["refresh_token"] not in (
            user.refresh_token,
            lost_answer.json()["refresh_token"],
        )
        assert_token_works(graceful, bearer(tokens["access_token"]))
        assert refresh(graceful, tokens["refresh_token"]).status_code == 200
        # The grace does not outlive the session: after logout a replay is refused.
        assert graceful.post(LOGOUT, headers=user.headers).status_code == 204
        assert_unauthorized(refresh(graceful, user.refresh_token), INVALID_REFRESH)


# Logout --------------------------------------------------------------------------


def test_logout_ends_only_that_session(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    other_session = login(client, user.email, user.password)
    rotated = refresh(client, user.refresh_token).json()

    response = client.post(LOGOUT, headers=user.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_refresh_cookie_cleared(response)
    assert_token_refused(client, user.headers)
    assert_token_refused(client, bearer(rotated["access_token"]))
    assert_unauthorized(refresh(client, rotated["refresh_token"]), INVALID_REFRESH)
    assert live_sessions(db_connection, user) == 1
    assert_token_works(client, other_session.headers)
    assert refresh(client, other_session.refresh_token).status_code == 200


def test_logout_twice_is_unauthorized(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    assert client.post(LOGOUT, headers=user.headers).status_code == 204

    assert_unauthorized(client.post(LOGOUT, headers=user.headers), INVALID_TOKEN)


def test_logout_without_a_token_is_unauthorized(client: TestClient) -> None:
    assert_unauthorized(client.post(LOGOUT), {"detail": "Not authenticated"})


def test_login_after_logout_starts_a_working_session(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    assert client.post(LOGOUT, headers=user.headers).status_code == 204

    again = login(client, user.email, user.password)

    assert_token_works(client, again.headers)
    assert refresh(client, again.refresh_token).status_code == 200


# What ends every session of a user -----------------------------------------------


def test_password_change_revokes_every_earlier_session(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    second = login(client, user.email, user.password)
    rotated = refresh(client, second.refresh_token).json()
    new_password = random_password()

    response = client.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": new_password},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Password updated successfully"}
    assert live_sessions(db_connection, user) == 0
    for headers in (user.headers, second.headers, bearer(rotated["access_token"])):
        assert_token_refused(client, headers)
    for refresh_token in (user.refresh_token, rotated["refresh_token"]):
        assert_unauthorized(refresh(client, refresh_token), INVALID_REFRESH)

    login_old = client.post(
        f"{API}/login/access-token",
        data={"username": user.email, "password": user.password},
    )
    assert login_old.status_code == 401
    after = login(client, user.email, new_password)
    assert_token_works(client, after.headers)
    assert live_sessions(db_connection, user) == 1


def test_failed_password_change_keeps_the_sessions(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": "not-the-password", "new_password": "whatever-new"},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Incorrect password"}
    assert live_sessions(db_connection, user) == 1
    assert_token_works(client, user.headers)


def test_superuser_deactivating_a_user_ends_its_sessions(
    client: TestClient,
    superuser: LoggedInUser,
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser.headers)
    second = login(client, user.email, user.password)

    response = client.patch(
        f"{API}/users/{user.id}", headers=superuser.headers, json={"is_active": False}
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert live_sessions(db_connection, user) == 0
    for logged_in in (user, second):
        assert_token_refused(client, logged_in.headers)
        assert_unauthorized(refresh(client, logged_in.refresh_token), INVALID_REFRESH)
    login_again = client.post(
        f"{API}/login/access-token",
        data={"username": user.email, "password": user.password},
    )
    assert login_again.status_code == 403
    assert login_again.json() == {"detail": "Inactive user"}
    # The superuser's own session is not affected.
    assert_token_works(client, superuser.headers)


def test_reactivated_user_logs_in_again_but_old_sessions_stay_dead(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    for is_active in (False, True):
        response = client.patch(
            f"{API}/users/{user.id}",
            headers=superuser_headers,
            json={"is_active": is_active},
        )
        assert response.status_code == 200, response.text

    assert_token_refused(client, user.headers)
    assert_unauthorized(refresh(client, user.refresh_token), INVALID_REFRESH)
    assert_token_works(client, login(client, user.email, user.password).headers)


def test_superuser_setting_a_password_ends_the_users_sessions(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    new_password = random_password()

    response = client.patch(
        f"{API}/users/{user.id}",
        headers=superuser_headers,
        json={"password": new_password},
    )

    assert response.status_code == 200, response.text
    assert live_sessions(db_connection, user) == 0
    assert_token_refused(client, user.headers)
    assert_unauthorized(refresh(client, user.refresh_token), INVALID_REFRESH)
    assert_token_works(client, login(client, user.email, new_password).headers)


def test_other_profile_changes_keep_the_sessions(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{API}/users/{user.id}",
        headers=superuser_headers,
        json={"full_name": "Renamed", "is_active": True},
    )

    assert response.status_code == 200, response.text
    assert live_sessions(db_connection, user) == 1
    assert_token_works(client, user.headers)


# The caller's list of sessions ---------------------------------------------------

SESSIONS = f"{API}/users/me/sessions/"


def log_in_from(
    client: TestClient, user: LoggedInUser, agent: str
) -> tuple[dict[str, str], str]:
    """A new session for `user` from a browser that says `agent`: its bearer
    header and refresh token."""
    response = client.post(
        f"{API}/login/access-token",
        data={"username": user.email, "password": user.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    tokens = response.json()
    return bearer(tokens["access_token"]), tokens["refresh_token"]


def test_the_caller_sees_their_live_sessions_most_recently_used_first(
    client: TestClient, superuser_headers: dict[str, str], settings: Settings
) -> None:
    user = create_user(client, superuser_headers)
    laptop, laptop_refresh = log_in_from(client, user, "Laptop/1.0")
    phone, _ = log_in_from(client, user, "Phone/2.0 " + "x" * 600)
    ended, _ = log_in_from(client, user, "Ended/1.0")
    assert client.post(LOGOUT, headers=ended).status_code == 204
    # The laptop refreshes after the phone logged in: it was used last.
    rotated = refresh(client, laptop_refresh)
    assert rotated.status_code == 200

    listed = client.get(SESSIONS, headers=phone)

    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    laptop_id = session_id(laptop["Authorization"][7:], settings)
    phone_id = session_id(phone["Authorization"][7:], settings)
    first_id = session_id(user.headers["Authorization"][7:], settings)
    assert [s["id"] for s in sessions] == [laptop_id, phone_id, first_id]
    assert [s["current"] for s in sessions] == [False, True, False]
    assert [s["user_agent"] for s in sessions] == [
        "Laptop/1.0",
        ("Phone/2.0 " + "x" * 600)[:512],
        "testclient",
    ]
    assert {s["method"] for s in sessions} == {"password"}
    assert {s["ip"] for s in sessions} == {"testclient"}
    laptop_row, phone_row, _ = sessions
    assert laptop_row["last_used_at"] > laptop_row["created_at"]
    assert phone_row["last_used_at"] == phone_row["created_at"]
    assert set(laptop_row) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "method",
        "ip",
        "user_agent",
        "current",
    }
    # Someone else's list holds none of these.
    other = create_user(client, superuser_headers)
    theirs = client.get(SESSIONS, headers=other.headers).json()
    assert [s["id"] for s in theirs] == [
        session_id(other.headers["Authorization"][7:], settings)
    ]


def test_ending_one_session_stops_its_tokens_and_only_its_own(
    client: TestClient,
    superuser_headers: dict[str, str],
    settings: Settings,
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    phone, phone_refresh = log_in_from(client, user, "Phone/2.0")
    phone_id = session_id(phone["Authorization"][7:], settings)
    other = create_user(client, superuser_headers)

    # Another user's session looks absent, and stays live.
    refused = client.delete(f"{SESSIONS}{phone_id}", headers=other.headers)
    assert refused.status_code == 404
    assert refused.json() == {"detail": "Session not found"}
    assert_token_works(client, phone)

    ended = client.delete(f"{SESSIONS}{phone_id}", headers=user.headers)

    assert ended.status_code == 204
    assert_token_refused(client, phone)
    assert_unauthorized(refresh(client, phone_refresh), INVALID_REFRESH)
    assert_token_works(client, user.headers)
    again = client.delete(f"{SESSIONS}{phone_id}", headers=user.headers)
    assert again.status_code == 404
    details = db_connection.execute(
        "SELECT actor_id, target_id, details FROM audit_event "
        "WHERE event_type = 'session_revoked'"
    ).fetchall()
    assert details == [(user.id, user.id, {"session_id": phone_id})]
    bad = client.delete(f"{SESSIONS}not-a-uuid", headers=user.headers)
    assert bad.status_code == 422


def test_logging_out_everywhere_else_keeps_only_the_caller(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    others = [log_in_from(client, user, f"Device/{n}") for n in range(3)]
    bystander = create_user(client, superuser_headers)

    response = client.delete(SESSIONS, headers=user.headers)

    assert response.status_code == 204
    for headers, refresh_token in others:
        assert_token_refused(client, headers)
        assert_unauthorized(refresh(client, refresh_token), INVALID_REFRESH)
    assert_token_works(client, user.headers)
    assert_token_works(client, bystander.headers)
    listed = client.get(SESSIONS, headers=user.headers).json()
    assert [s["current"] for s in listed] == [True]
    assert live_sessions(db_connection, user) == 1
    ended = db_connection.execute(
        "SELECT count(*) FROM audit_event WHERE event_type = 'session_revoked' "
        "AND target_id = %s",
        (user.id,),
    ).fetchone()
    assert ended == (3,)
    # Nothing else to end: still 204, and nothing recorded.
    assert client.delete(SESSIONS, headers=user.headers).status_code == 204
    assert live_sessions(db_connection, user) == 1
