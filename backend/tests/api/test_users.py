import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, make_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_item,
    create_user,
    login,
    personal_team,
    random_email,
    random_password,
)
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox, free_port

USERS = f"{API}/users"
DUPLICATE_EMAIL = "A user with this email already exists"
NOT_ENOUGH_PRIVILEGES = "The user doesn't have enough privileges"


def user_count(client: TestClient, superuser_headers: dict[str, str]) -> int:
    response = client.get(f"{USERS}/", headers=superuser_headers)
    assert response.status_code == 200
    count: int = response.json()["count"]
    return count


def item_count(client: TestClient, superuser_headers: dict[str, str]) -> int:
    response = client.get(f"{API}/items/", headers=superuser_headers)
    assert response.status_code == 200
    count: int = response.json()["count"]
    return count


def login_status(client: TestClient, email: str, password: str) -> int:
    response = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    client.cookies.clear()
    return response.status_code


# GET /users/ ---------------------------------------------------------------------


def test_read_users_lists_all_oldest_first(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    first = create_user(client, superuser_headers)
    second = create_user(client, superuser_headers)

    response = client.get(f"{USERS}/", headers=superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [user["email"] for user in body["data"]] == [
        FIRST_SUPERUSER,
        first.email,
        second.email,
    ]
    assert "hashed_password" not in body["data"][0]
    assert "password" not in body["data"][0]


def test_read_users_paginates_with_exact_count(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    users = [create_user(client, superuser_headers) for _ in range(4)]

    response = client.get(
        f"{USERS}/", headers=superuser_headers, params={"skip": 2, "limit": 2}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [user["email"] for user in body["data"]] == [users[1].email, users[2].email]


def test_read_users_skip_past_the_end_is_empty(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.get(f"{USERS}/", headers=superuser_headers, params={"skip": 5})

    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 1, "next_cursor": None}


@pytest.mark.parametrize(
    "params", [{"limit": 101}, {"limit": 0}, {"skip": -1}, {"limit": "ten"}]
)
def test_read_users_rejects_bad_pagination(
    client: TestClient, superuser_headers: dict[str, str], params: dict[str, int | str]
) -> None:
    response = client.get(f"{USERS}/", headers=superuser_headers, params=params)

    assert response.status_code == 422


def test_read_users_accepts_limit_100(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.get(f"{USERS}/", headers=superuser_headers, params={"limit": 100})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_read_users_as_normal_user_is_forbidden(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.get(f"{USERS}/", headers=user.headers)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ENOUGH_PRIVILEGES}


def test_read_users_unauthenticated(client: TestClient) -> None:
    response = client.get(f"{USERS}/")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# POST /users/ --------------------------------------------------------------------


def test_create_user(
    client: TestClient, superuser_headers: dict[str, str], mailbox: Mailbox
) -> None:
    email = random_email()
    password = random_password()

    response = client.post(
        f"{USERS}/",
        headers=superuser_headers,
        json={"email": email, "password": password, "full_name": "New User"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email
    assert body["full_name"] == "New User"
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "pending_email",
        "created_at",
        "has_password",
        "two_factor_enabled",
    }
    assert body["has_password"] is True
    assert body["two_factor_enabled"] is False
    assert login(client, email, password).id == uuid.UUID(body["id"])
    message = mailbox.only()
    assert message["To"] == email
    assert message["Subject"] == "Your new account"
    assert email in Mailbox.html(message)


def test_create_superuser(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    email = random_email()

    response = client.post(
        f"{USERS}/",
        headers=superuser_headers,
        json={"email": email, "password": random_password(), "is_superuser": True},
    )

    assert response.status_code == 201
    assert response.json()["is_superuser"] is True


def test_create_user_stores_email_lowercased(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    password = random_password()

    response = client.post(
        f"{USERS}/",
        headers=superuser_headers,
        json={"email": "  Mixed.Case@Example.COM ", "password": password},
    )

    assert response.status_code == 201
    assert response.json()["email"] == "mixed.case@example.com"
    assert login_status(client, "MIXED.case@example.com", password) == 200


def test_create_user_duplicate_email_in_other_case(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    existing = create_user(client, superuser_headers)

    response = client.post(
        f"{USERS}/",
        headers=superuser_headers,
        json={"email": existing.email.upper(), "password": random_password()},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}
    assert user_count(client, superuser_headers) == 2


def test_create_user_as_normal_user_is_forbidden(
    client: TestClient, superuser_headers: dict[str, str], mailbox: Mailbox
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()

    response = client.post(
        f"{USERS}/",
        headers=user.headers,
        json={"email": random_email(), "password": random_password()},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ENOUGH_PRIVILEGES}
    assert user_count(client, superuser_headers) == 2
    assert mailbox.messages == []


def test_create_user_succeeds_when_smtp_is_down(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url, free_port())
    email = random_email()
    with TestClient(create_app(settings)) as client:
        admin = login(client, FIRST_SUPERUSER, settings.FIRST_SUPERUSER_PASSWORD)
        response = client.post(
            f"{USERS}/",
            headers=admin.headers,
            json={"email": email, "password": random_password()},
        )
    with caplog.at_level(logging.ERROR, logger="app.mail"):
        run_jobs(settings)

    assert response.status_code == 201
    assert [r.getMessage() for r in caplog.records if r.name == "app.mail"] == [
        f"Could not send email 'Your new account' to {email}"
    ]


# /users/me -----------------------------------------------------------------------


def test_read_user_me(client: TestClient, superuser_headers: dict[str, str]) -> None:
    user = create_user(client, superuser_headers, full_name="Me Myself")

    response = client.get(f"{USERS}/me", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["full_name"] == "Me Myself"
    assert body["is_superuser"] is False


def test_read_user_me_unauthenticated(client: TestClient) -> None:
    response = client.get(f"{USERS}/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_update_user_me(client: TestClient, superuser_headers: dict[str, str]) -> None:
    user = create_user(client, superuser_headers, full_name="Old Name")
    new_email = random_email()

    response = client.patch(
        f"{USERS}/me",
        headers=user.headers,
        json={
            "full_name": "New Name",
            "email": new_email.upper(),
            "current_password": user.password,
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "New Name"
    assert body["email"] == new_email
    me = client.get(f"{USERS}/me", headers=user.headers).json()
    assert me["email"] == new_email
    assert me["full_name"] == "New Name"
    assert login_status(client, new_email, user.password) == 200
    assert login_status(client, user.email, user.password) == 401


def test_update_user_me_email_needs_current_password(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me", headers=user.headers, json={"email": random_email()}
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["msg"] == (
        "Value error, current_password is required to change the email"
    )
    assert client.get(f"{USERS}/me", headers=user.headers).json()["email"] == user.email


def test_update_user_me_email_with_wrong_password(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers, full_name="Unchanged")

    response = client.patch(
        f"{USERS}/me",
        headers=user.headers,
        json={
            "email": random_email(),
            "full_name": "Changed",
            "current_password": "not-the-password",
        },
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Incorrect password"}
    me = client.get(f"{USERS}/me", headers=user.headers).json()
    assert me["email"] == user.email
    assert me["full_name"] == "Unchanged"


def test_update_user_me_keeps_fields_left_out(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers, full_name="Kept Name")

    response = client.patch(f"{USERS}/me", headers=user.headers, json={})

    assert response.status_code == 200
    assert response.json()["full_name"] == "Kept Name"
    assert response.json()["email"] == user.email


def test_update_user_me_can_clear_full_name(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers, full_name="Some Name")

    response = client.patch(
        f"{USERS}/me", headers=user.headers, json={"full_name": None}
    )

    assert response.status_code == 200
    assert response.json()["full_name"] is None


def test_update_user_me_cannot_grant_privileges(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me",
        headers=user.headers,
        json={"is_superuser": True, "is_active": False, "full_name": "Sneaky"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "Sneaky"
    assert body["is_superuser"] is False
    assert body["is_active"] is True
    assert client.get(f"{USERS}/", headers=user.headers).status_code == 403


def test_update_user_me_email_taken(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me",
        headers=user.headers,
        json={"email": other.email.upper(), "current_password": user.password},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}
    assert client.get(f"{USERS}/me", headers=user.headers).json()["email"] == user.email


def test_update_user_me_email_null_is_rejected(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(f"{USERS}/me", headers=user.headers, json={"email": None})

    assert response.status_code == 422
    assert client.get(f"{USERS}/me", headers=user.headers).json()["email"] == user.email


def test_delete_user_me_deletes_items(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    item = create_item(client, user.headers)
    create_item(client, user.headers)
    create_item(client, superuser_headers)

    response = client.delete(f"{USERS}/me", headers=user.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert user_count(client, superuser_headers) == 1
    assert item_count(client, superuser_headers) == 1
    gone = client.get(f"{API}/items/{item['id']}", headers=superuser_headers)
    assert gone.status_code == 404
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 401
    assert login_status(client, user.email, user.password) == 401


def test_delete_user_me_as_superuser_is_forbidden(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.delete(f"{USERS}/me", headers=superuser_headers)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Super users are not allowed to delete themselves"
    }
    assert user_count(client, superuser_headers) == 1


# PATCH /users/me/password --------------------------------------------------------


def test_update_password_me(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    new_password = random_password()

    response = client.patch(
        f"{USERS}/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": new_password},
    )

    assert response.status_code == 200
    assert response.json() == {"message": "Password updated successfully"}
    assert login_status(client, user.email, user.password) == 401
    assert login(client, user.email, new_password).id == user.id
    # Every session ended, the one that made the change included.
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 401


def test_update_password_me_wrong_current_password(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me/password",
        headers=user.headers,
        json={
            "current_password": "not-the-password",
            "new_password": random_password(),
        },
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Incorrect password"}
    assert login_status(client, user.email, user.password) == 200
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 200


def test_update_password_me_same_password(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": user.password},
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "New password cannot be the same as the current one"
    }
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 200


def test_update_password_me_too_short(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": "short"},
    )

    assert response.status_code == 422
    assert login_status(client, user.email, user.password) == 200


# POST /users/signup --------------------------------------------------------------


def test_signup(client: TestClient, superuser_headers: dict[str, str]) -> None:
    email = random_email()
    password = random_password()

    response = client.post(
        f"{USERS}/signup",
        json={"email": email.upper(), "password": password, "full_name": "Sign Up"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email
    assert body["full_name"] == "Sign Up"
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert login(client, email, password).id == uuid.UUID(body["id"])
    assert user_count(client, superuser_headers) == 2


def test_signup_cannot_grant_superuser(client: TestClient) -> None:
    email = random_email()

    response = client.post(
        f"{USERS}/signup",
        json={"email": email, "password": random_password(), "is_superuser": True},
    )

    assert response.status_code == 201
    assert response.json()["is_superuser"] is False


def test_signup_duplicate_email(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    existing = create_user(client, superuser_headers)

    response = client.post(
        f"{USERS}/signup",
        json={"email": existing.email.title(), "password": random_password()},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}
    assert user_count(client, superuser_headers) == 2


def test_signup_with_the_superusers_email(client: TestClient) -> None:
    response = client.post(
        f"{USERS}/signup",
        json={"email": FIRST_SUPERUSER, "password": random_password()},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}


def test_signup_when_open_registration_is_off(
    database_url: str, settings: Settings
) -> None:
    closed = make_settings(
        database_url, settings.SMTP_PORT, USERS_OPEN_REGISTRATION=False
    )
    with TestClient(create_app(closed)) as client:
        response = client.post(
            f"{USERS}/signup",
            json={"email": random_email(), "password": random_password()},
        )
        admin = login(client, FIRST_SUPERUSER, closed.FIRST_SUPERUSER_PASSWORD)
        count = user_count(client, admin.headers)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Open user registration is forbidden on this server"
    }
    assert count == 1


# GET /users/{user_id} ------------------------------------------------------------


def test_read_user_by_id_self(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.get(f"{USERS}/{user.id}", headers=user.headers)

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_read_user_by_id_other_user_as_normal_user(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)

    response = client.get(f"{USERS}/{other.id}", headers=user.headers)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ENOUGH_PRIVILEGES}


def test_read_user_by_id_as_superuser(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers, full_name="Looked Up")

    response = client.get(f"{USERS}/{user.id}", headers=superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["full_name"] == "Looked Up"


def test_read_user_by_id_unknown(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.get(f"{USERS}/{uuid.uuid4()}", headers=superuser_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_read_user_by_id_malformed(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.get(f"{USERS}/not-a-uuid", headers=superuser_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


# PATCH /users/{user_id} ----------------------------------------------------------


def test_update_user(client: TestClient, superuser_headers: dict[str, str]) -> None:
    user = create_user(client, superuser_headers, full_name="Before")
    new_email = random_email()

    response = client.patch(
        f"{USERS}/{user.id}",
        headers=superuser_headers,
        json={"full_name": "After", "email": new_email.upper(), "is_superuser": True},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "After"
    assert body["email"] == new_email
    assert body["is_superuser"] is True
    assert body["is_active"] is True
    # The user's session survives a change that is not a password or deactivation.
    assert client.get(f"{USERS}/", headers=user.headers).status_code == 200


def test_update_user_password_ends_sessions(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    new_password = random_password()

    response = client.patch(
        f"{USERS}/{user.id}",
        headers=superuser_headers,
        json={"password": new_password},
    )

    assert response.status_code == 200
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 401
    assert login_status(client, user.email, user.password) == 401
    assert login(client, user.email, new_password).id == user.id


def test_update_user_deactivate(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/{user.id}", headers=superuser_headers, json={"is_active": False}
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 401
    assert login_status(client, user.email, user.password) == 403


def test_update_user_unknown(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.patch(
        f"{USERS}/{uuid.uuid4()}", headers=superuser_headers, json={"full_name": "X"}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_update_user_email_conflict(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/{user.id}",
        headers=superuser_headers,
        json={"email": other.email.upper()},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}


@pytest.mark.parametrize(
    "extra",
    [{"is_active": False}, {"password": "a-new-password"}],
    ids=["with-deactivation", "with-password"],
)
def test_update_user_email_conflict_changes_nothing(
    client: TestClient, superuser_headers: dict[str, str], extra: dict[str, object]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/{user.id}",
        headers=superuser_headers,
        json={"email": other.email, **extra},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": DUPLICATE_EMAIL}
    # Nothing was applied: not the email, the password, nor the end of sessions.
    me = client.get(f"{USERS}/me", headers=user.headers)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["is_active"] is True
    assert login_status(client, user.email, user.password) == 200


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"is_active": False}, "Super users cannot deactivate or demote themselves"),
        ({"is_superuser": False}, "Super users cannot deactivate or demote themselves"),
    ],
)
def test_update_user_superuser_cannot_lock_itself_out(
    client: TestClient,
    superuser: LoggedInUser,
    change: dict[str, object],
    detail: str,
) -> None:
    response = client.patch(
        f"{USERS}/{superuser.id}", headers=superuser.headers, json=change
    )

    assert response.status_code == 403
    assert response.json() == {"detail": detail}
    me = client.get(f"{USERS}/me", headers=superuser.headers).json()
    assert me["is_active"] is True
    assert me["is_superuser"] is True


def test_update_user_superuser_can_rename_itself(
    client: TestClient, superuser: LoggedInUser
) -> None:
    response = client.patch(
        f"{USERS}/{superuser.id}",
        headers=superuser.headers,
        json={"full_name": "Root", "is_active": True, "is_superuser": True},
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Root"


@pytest.mark.parametrize("field", ["email", "is_active", "is_superuser", "password"])
def test_update_user_null_for_required_field(
    client: TestClient, superuser_headers: dict[str, str], field: str
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/{user.id}", headers=superuser_headers, json={field: None}
    )

    assert response.status_code == 422
    assert client.get(f"{USERS}/me", headers=user.headers).json()["email"] == user.email


def test_update_user_as_normal_user_is_forbidden(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.patch(
        f"{USERS}/{user.id}", headers=user.headers, json={"is_superuser": True}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ENOUGH_PRIVILEGES}


# DELETE /users/{user_id} ---------------------------------------------------------


def test_delete_user_deletes_items(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)
    create_item(client, user.headers)
    create_item(client, user.headers)
    kept = create_item(client, other.headers)
    team_id = personal_team(client, user.headers)

    response = client.delete(f"{USERS}/{user.id}", headers=superuser_headers)

    assert response.status_code == 204
    assert response.content == b""
    assert user_count(client, superuser_headers) == 2
    items = client.get(f"{API}/items/", headers=other.headers).json()
    assert items["count"] == 1
    assert [item["id"] for item in items["data"]] == [kept["id"]]
    gone = client.get(f"{API}/teams/{team_id}", headers=superuser_headers)
    assert (gone.status_code, gone.json()) == (404, {"detail": "Team not found"})
    lookup = client.get(f"{USERS}/{user.id}", headers=superuser_headers)
    assert lookup.status_code == 404
    assert client.get(f"{USERS}/me", headers=user.headers).status_code == 401


def test_delete_user_self_is_forbidden(
    client: TestClient, superuser: LoggedInUser
) -> None:
    response = client.delete(f"{USERS}/{superuser.id}", headers=superuser.headers)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Super users are not allowed to delete themselves"
    }
    assert user_count(client, superuser.headers) == 1


def test_delete_user_unknown(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.delete(f"{USERS}/{uuid.uuid4()}", headers=superuser_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_delete_user_as_normal_user_is_forbidden(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    other = create_user(client, superuser_headers)

    response = client.delete(f"{USERS}/{other.id}", headers=user.headers)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ENOUGH_PRIVILEGES}
    assert user_count(client, superuser_headers) == 3
