"""Password recovery by email: the link, the reset, and every way a reset token dies."""

import html
import re
from datetime import timedelta
from functools import partial

import httpx2
import psycopg
import pytest
from fastapi.testclient import TestClient

from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, make_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_user,
    random_email,
    random_password,
)
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox

RECOVERY = f"{API}/password-recovery"
RESET = f"{API}/reset-password"
HTML_CONTENT = f"{API}/password-recovery-html-content"
RECOVERY_ANSWER = {
    "message": "If that email is registered, a password recovery link is on its way"
}
INVALID_RESET = {"detail": "Invalid or expired reset token"}
RESET_LINK = re.compile(r'href="(http://frontend\.test/reset-password\?token=[^"]+)"')


def reset_token_from(html_content: str) -> str:
    links: set[str] = {html.unescape(link) for link in RESET_LINK.findall(html_content)}
    assert len(links) == 1, links
    prefix = "http://frontend.test/reset-password?token="
    link = links.pop()
    assert link.startswith(prefix)
    return link.removeprefix(prefix)


def request_reset_token(
    client: TestClient, mailbox: Mailbox, email: str
) -> tuple[str, httpx2.Response]:
    """Ask for recovery, and read the token out of the email that arrives."""
    response = client.post(RECOVERY, json={"email": email})
    assert response.status_code == 200, response.text
    token = reset_token_from(Mailbox.html(mailbox.only()))
    mailbox.clear()
    return token, response


def post_reset(client: TestClient, token: str, new_password: str) -> httpx2.Response:
    return client.post(RESET, json={"token": token, "new_password": new_password})


def login_status(client: TestClient, email: str, password: str) -> int:
    response = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    return response.status_code


def stored_hash(db_connection: psycopg.Connection, user: LoggedInUser) -> str:
    row = db_connection.execute(
        'SELECT hashed_password FROM "user" WHERE id = %s', (user.id,)
    ).fetchone()
    assert row is not None
    hashed: str = row[0]
    return hashed


def forge_reset_token(
    settings: Settings, user: LoggedInUser, hashed_password: str, lifetime: timedelta
) -> str:
    return security.create_token(
        subject=user.id,
        token_type=security.TokenType.PASSWORD_RESET,
        expires_delta=lifetime,
        secret_key=settings.SECRET_KEY,
        claims={"pwd": security.password_fingerprint(hashed_password)},
    )


# Asking for a link ---------------------------------------------------------------


def test_recovery_answers_alike_and_emails_only_a_registered_address(
    client: TestClient,
    settings: Settings,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()  # the new-account email

    unknown = client.post(RECOVERY, json={"email": random_email()})
    known = client.post(RECOVERY, json={"email": user.email})

    assert unknown.status_code == known.status_code == 200
    assert unknown.json() == known.json() == RECOVERY_ANSWER
    message = mailbox.only()
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your password"
    body = Mailbox.html(message)
    assert user.email in body
    assert "expires in 1 hour." in body
    token = reset_token_from(body)
    claims = security.decode_token(
        token,
        token_type=security.TokenType.PASSWORD_RESET,
        secret_key=settings.SECRET_KEY,
    )
    assert claims["sub"] == user.id


def test_recovery_email_address_is_case_insensitive(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()

    token, _ = request_reset_token(client, mailbox, user.email.upper())

    assert post_reset(client, token, random_password()).status_code == 200


def test_recovery_for_an_inactive_user_sends_nothing(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    email = random_email()
    created = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": email, "password": random_password(), "is_active": False},
    )
    assert created.status_code == 201, created.text
    mailbox.clear()

    response = client.post(RECOVERY, json={"email": email})

    assert response.status_code == 200
    assert response.json() == RECOVERY_ANSWER
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email"}, {"email": "admin\x00@example.com"}],
    ids=["missing", "malformed", "nul"],
)
def test_recovery_with_invalid_email_is_invalid_input(
    client: TestClient, mailbox: Mailbox, body: dict[str, str]
) -> None:
    assert client.post(RECOVERY, json=body).status_code == 422
    assert mailbox.messages == []


def test_recovery_without_email_configured_still_answers(
    database_url: str, settings: Settings, mailbox: Mailbox
) -> None:
    no_email = make_settings(database_url, settings.SMTP_PORT, SMTP_HOST=None)
    mailbox.settle = partial(run_jobs, no_email)  # its worker sends with these
    with TestClient(create_app(no_email)) as no_email_client:
        response = no_email_client.post(RECOVERY, json={"email": FIRST_SUPERUSER})

    assert response.status_code == 200
    assert response.json() == RECOVERY_ANSWER
    assert mailbox.messages == []


# Resetting -----------------------------------------------------------------------


def test_reset_with_the_emailed_token(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    new_password = random_password()

    response = post_reset(client, token, new_password)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Password updated successfully"}
    assert login_status(client, user.email, new_password) == 200
    assert login_status(client, user.email, user.password) == 401
    # Sessions opened with the old password are over.
    me = client.get(f"{API}/users/me", headers=user.headers)
    assert me.status_code == 401
    refreshed = client.post(
        f"{API}/login/refresh", json={"refresh_token": user.refresh_token}
    )
    assert refreshed.status_code == 401
    assert mailbox.messages == []


def test_reset_token_works_once(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    first_password = random_password()
    assert post_reset(client, token, first_password).status_code == 200

    second = post_reset(client, token, random_password())

    assert second.status_code == 404
    assert second.json() == INVALID_RESET
    assert login_status(client, user.email, first_password) == 200


def test_every_outstanding_reset_token_dies_with_the_first_reset(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    first_token, _ = request_reset_token(client, mailbox, user.email)
    second_token, _ = request_reset_token(client, mailbox, user.email)

    assert post_reset(client, second_token, random_password()).status_code == 200

    response = post_reset(client, first_token, random_password())
    assert response.status_code == 404
    assert response.json() == INVALID_RESET


def test_reset_token_dies_when_the_password_changes_otherwise(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    changed_password = random_password()
    changed = client.patch(
        f"{API}/users/me/password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": changed_password},
    )
    assert changed.status_code == 200, changed.text

    response = post_reset(client, token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET
    assert login_status(client, user.email, changed_password) == 200


def test_reset_token_dies_when_a_superuser_sets_the_password(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    updated = client.patch(
        f"{API}/users/{user.id}",
        headers=superuser_headers,
        json={"password": random_password()},
    )
    assert updated.status_code == 200, updated.text

    response = post_reset(client, token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET


def test_access_token_is_not_a_reset_token(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    access_token = user.headers["Authorization"].removeprefix("Bearer ")

    response = post_reset(client, access_token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET
    assert login_status(client, user.email, user.password) == 200


def test_expired_reset_token_is_refused(
    client: TestClient,
    settings: Settings,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    hashed = stored_hash(db_connection, user)
    expired = forge_reset_token(settings, user, hashed, timedelta(seconds=-1))
    # The same token, still in date, would have worked: only the expiry is wrong.
    in_date = forge_reset_token(settings, user, hashed, timedelta(minutes=5))

    response = post_reset(client, expired, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET
    assert login_status(client, user.email, user.password) == 200
    assert post_reset(client, in_date, random_password()).status_code == 200


def test_reset_token_signed_with_another_key_is_refused(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser_headers)
    other_key = make_settings(
        "postgresql://unused", 1, SECRET_KEY="a-different-secret-key-long-enough"
    )
    token = forge_reset_token(
        other_key, user, stored_hash(db_connection, user), timedelta(minutes=5)
    )

    response = post_reset(client, token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET


@pytest.mark.parametrize(
    "pwd_claim", [None, "0000000000000000", 12345], ids=["missing", "wrong", "number"]
)
def test_reset_token_without_the_right_password_fingerprint_is_refused(
    client: TestClient,
    settings: Settings,
    superuser_headers: dict[str, str],
    pwd_claim: object,
) -> None:
    user = create_user(client, superuser_headers)
    token = security.create_token(
        subject=user.id,
        token_type=security.TokenType.PASSWORD_RESET,
        expires_delta=timedelta(minutes=5),
        secret_key=settings.SECRET_KEY,
        claims={} if pwd_claim is None else {"pwd": pwd_claim},
    )

    response = post_reset(client, token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET


def test_reset_token_of_a_deleted_user_is_refused(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    deleted = client.delete(f"{API}/users/{user.id}", headers=superuser_headers)
    assert deleted.status_code == 204

    response = post_reset(client, token, random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET


def test_reset_for_a_user_deactivated_since_is_forbidden(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    deactivated = client.patch(
        f"{API}/users/{user.id}", headers=superuser_headers, json={"is_active": False}
    )
    assert deactivated.status_code == 200, deactivated.text

    response = post_reset(client, token, random_password())

    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}


def test_garbage_reset_token_is_refused(client: TestClient) -> None:
    response = post_reset(client, "a.b.c", random_password())

    assert response.status_code == 404
    assert response.json() == INVALID_RESET
    # Not even the shape of a signed token: invalid input.
    assert post_reset(client, "garbage", random_password()).status_code == 422


@pytest.mark.parametrize(
    "new_password", ["p" * 129, "short"], ids=["129-characters", "too-short"]
)
def test_unusable_new_password_is_invalid_input_and_spends_no_token(
    client: TestClient,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
    new_password: str,
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)

    response = post_reset(client, token, new_password)

    assert response.status_code == 422
    assert login_status(client, user.email, user.password) == 200
    assert post_reset(client, token, random_password()).status_code == 200


def test_new_password_past_72_bytes_is_accepted(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()
    token, _ = request_reset_token(client, mailbox, user.email)
    new_password = "é" * 50  # 50 characters, 100 bytes: hashed whole

    assert post_reset(client, token, new_password).status_code == 200
    assert login_status(client, user.email, new_password) == 200


@pytest.mark.parametrize(
    "body",
    [{"token": "", "new_password": "long-enough"}, {"new_password": "long-enough"}],
    ids=["empty-token", "no-token"],
)
def test_reset_without_a_token_is_invalid_input(
    client: TestClient, body: dict[str, str]
) -> None:
    assert client.post(RESET, json=body).status_code == 422


# The email's HTML, for superusers ------------------------------------------------


def test_superuser_reads_the_recovery_email_html(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()

    response = client.post(
        HTML_CONTENT, headers=superuser_headers, json={"email": user.email}
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.lstrip().startswith("<!DOCTYPE html>")
    assert user.email in response.text
    token = reset_token_from(response.text)
    assert mailbox.messages == []  # shown, not sent
    new_password = random_password()
    assert post_reset(client, token, new_password).status_code == 200
    assert login_status(client, user.email, new_password) == 200


def test_recovery_html_for_an_unknown_email_is_not_found(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    response = client.post(
        HTML_CONTENT, headers=superuser_headers, json={"email": random_email()}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_recovery_html_is_for_superusers_only(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)

    response = client.post(
        HTML_CONTENT, headers=user.headers, json={"email": user.email}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "The user doesn't have enough privileges"}


def test_recovery_html_needs_a_token(client: TestClient) -> None:
    response = client.post(HTML_CONTENT, json={"email": FIRST_SUPERUSER})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
