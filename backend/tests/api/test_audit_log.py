"""The audit log: which security events are recorded, with what, and who may read them."""

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import FIRST_SUPERUSER
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_user,
    login,
    random_email,
    random_password,
)

EVENTS = f"{API}/audit-events/"
REQUEST_ID = "audit-test-request-1"


def events(
    client: TestClient, headers: dict[str, str], **filters: object
) -> list[dict[str, Any]]:
    response = client.get(EVENTS, headers=headers, params=filters)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] >= len(body["data"])
    data: list[dict[str, Any]] = body["data"]
    return data


def kinds(client: TestClient, headers: dict[str, str], **filters: object) -> list[str]:
    return [event["event_type"] for event in events(client, headers, **filters)]


def test_login_events(client: TestClient, superuser: LoggedInUser) -> None:
    user = create_user(client, superuser.headers)
    unknown = random_email()
    for username in (user.email, unknown):
        response = client.post(
            f"{API}/login/access-token",
            data={"username": username, "password": "wrong-password"},
            headers={"X-Request-ID": REQUEST_ID},
        )
        assert response.status_code == 401

    failed = events(client, superuser.headers, event_type="login_failed")
    assert [(e["target_id"], e["details"]["email"]) for e in failed] == [
        (None, unknown),
        (str(user.id), user.email),
    ]
    assert all(e["actor_id"] is None for e in failed)
    assert all(e["ip"] == "testclient" for e in failed)
    assert all(e["request_id"] == REQUEST_ID for e in failed)

    succeeded = events(
        client, superuser.headers, event_type="login_succeeded", target_id=user.id
    )
    assert len(succeeded) == 1
    assert succeeded[0]["actor_id"] == str(user.id)


def test_logout_and_refresh_token_reuse(
    client: TestClient, superuser: LoggedInUser
) -> None:
    user = create_user(client, superuser.headers)
    first = client.post(
        f"{API}/login/refresh", json={"refresh_token": user.refresh_token}
    )
    assert first.status_code == 200
    replay = client.post(
        f"{API}/login/refresh", json={"refresh_token": user.refresh_token}
    )
    assert replay.status_code == 401
    client.cookies.clear()

    again = login(client, user.email, user.password)
    assert client.post(f"{API}/logout", headers=again.headers).status_code == 204

    trail = events(client, superuser.headers, target_id=user.id)
    assert [e["event_type"] for e in trail] == [
        "logout",
        "login_succeeded",
        "refresh_token_reused",
        "login_succeeded",
        "user_created",
    ]
    logout, reused = trail[0], trail[2]
    assert logout["actor_id"] == str(user.id)
    assert reused["actor_id"] is None
    assert "session_id" in reused["details"]


def test_user_administration_events(
    client: TestClient, superuser: LoggedInUser
) -> None:
    user = create_user(client, superuser.headers)
    url = f"{API}/users/{user.id}"
    new_email = random_email()
    response = client.patch(
        url,
        headers=superuser.headers,
        json={"is_superuser": True, "is_active": False, "email": new_email},
    )
    assert response.status_code == 200
    assert client.delete(url, headers=superuser.headers).status_code == 204

    trail = events(client, superuser.headers, target_id=user.id)
    by_kind = {event["event_type"]: event for event in trail}
    assert [e["event_type"] for e in trail][0] == "user_deleted"
    assert set(by_kind) == {
        "user_created",
        "login_succeeded",
        "user_updated",
        "role_changed",
        "active_changed",
        "email_changed",
        "user_deleted",
    }
    assert by_kind["user_updated"]["details"] == {
        "fields": ["email", "is_active", "is_superuser"]
    }
    assert by_kind["role_changed"]["details"] == {"is_superuser": True}
    assert by_kind["active_changed"]["details"] == {"is_active": False}
    assert by_kind["email_changed"]["details"] == {
        "old_email": user.email,
        "new_email": new_email,
    }
    assert by_kind["user_deleted"]["details"] == {"email": new_email}
    admin_events = [e for e in trail if e["event_type"] != "login_succeeded"]
    assert {e["actor_id"] for e in admin_events} == {str(superuser.id)}


def test_password_events(client: TestClient, superuser: LoggedInUser) -> None:
    user = create_user(client, superuser.headers)
    new_password = random_password()
    changed = client.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": new_password},
    )
    assert changed.status_code == 200
    fresh = login(client, user.email, new_password)
    token = (
        client.post(
            f"{API}/password-recovery-html-content",
            headers=superuser.headers,
            json={"email": user.email},
        )
        .text.split("token=")[1]
        .split('"')[0]
    )
    reset = client.post(
        f"{API}/reset-password",
        json={"token": token, "new_password": random_password()},
    )
    assert reset.status_code == 200, reset.text
    assert fresh.id == user.id

    assert kinds(client, superuser.headers, target_id=user.id)[:4] == [
        "password_reset",
        "login_succeeded",
        "password_changed",
        "login_succeeded",
    ]


def test_signup_records_an_anonymous_creation(
    client: TestClient, superuser: LoggedInUser
) -> None:
    email = random_email()
    response = client.post(
        f"{API}/users/signup", json={"email": email, "password": random_password()}
    )
    created = events(
        client,
        superuser.headers,
        event_type="user_created",
        target_id=response.json()["id"],
    )
    assert len(created) == 1
    assert created[0]["actor_id"] is None
    assert created[0]["details"] == {
        "email": email,
        "is_superuser": False,
        "is_verified": False,
    }


def test_a_refused_change_leaves_no_event(
    client: TestClient, superuser: LoggedInUser
) -> None:
    user = create_user(client, superuser.headers)
    other = create_user(client, superuser.headers)
    conflict = client.patch(
        f"{API}/users/{user.id}",
        headers=superuser.headers,
        json={"email": other.email, "is_superuser": True},
    )
    assert conflict.status_code == 409
    assert kinds(client, superuser.headers, target_id=user.id) == [
        "login_succeeded",
        "user_created",
    ]


def test_filters_order_and_paging(
    client: TestClient, superuser: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    create_user(client, superuser.headers)
    client.post(
        f"{API}/login/access-token",
        data={"username": FIRST_SUPERUSER, "password": "wrong-password"},
    )
    everything = events(client, superuser.headers)
    times = [event["created_at"] for event in everything]
    assert times == sorted(times, reverse=True)

    by_actor = events(client, superuser.headers, actor_id=superuser.id)
    assert {e["event_type"] for e in by_actor} == {"login_succeeded", "user_created"}

    page = client.get(
        EVENTS, headers=superuser.headers, params={"skip": 1, "limit": 2}
    ).json()
    assert page["count"] == len(everything)
    assert page["data"] == everything[1:3]

    # Move one event back in time: `since` and `until` cut around it.
    old_id = events(client, superuser.headers, event_type="user_created")[0]["id"]
    long_ago = datetime.now(UTC) - timedelta(days=30)
    db_connection.execute(
        "UPDATE audit_event SET created_at = %s WHERE id = %s", (long_ago, old_id)
    )
    cutoff = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    recent = events(client, superuser.headers, since=cutoff)
    older = events(client, superuser.headers, until=cutoff)
    assert [e["id"] for e in older] == [old_id]
    assert old_id not in {e["id"] for e in recent}
    assert len(recent) + len(older) == len(everything)


def test_only_superusers_read_the_log(
    client: TestClient, superuser: LoggedInUser
) -> None:
    user = create_user(client, superuser.headers)
    assert client.get(EVENTS).status_code == 401
    assert client.get(EVENTS, headers=user.headers).status_code == 403
    bad_filter = client.get(
        EVENTS, headers=superuser.headers, params={"event_type": "nope"}
    )
    assert bad_filter.status_code == 422
    bad_id = client.get(EVENTS, headers=superuser.headers, params={"actor_id": "nope"})
    assert bad_id.status_code == 422
