"""Email verification: signup links, login refused until confirmed, resend, email change."""

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

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
    login,
    random_email,
    random_password,
)
from tests.utils.smtp import Mailbox

USERS = f"{API}/users"
VERIFY = f"{USERS}/verify-email"
RESEND = f"{USERS}/verify-email/resend"
NOT_VERIFIED = {"detail": "Email not verified"}
INVALID_LINK = {"detail": "Invalid, expired or already used verification link"}
RESEND_ANSWER = {
    "message": "If that email waits for confirmation, a new link is on its way"
}


@pytest.fixture(scope="module")
def verifying_settings(database_url: str, smtp: tuple[int, Mailbox]) -> Settings:
    return make_settings(database_url, smtp[0], EMAIL_VERIFICATION_REQUIRED=True)


@pytest.fixture(scope="module")
def verifying_client(verifying_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(verifying_settings)) as client:
        yield client


@pytest.fixture
def client(verifying_client: TestClient) -> TestClient:
    verifying_client.cookies.clear()
    return verifying_client


@pytest.fixture
def admin(client: TestClient) -> LoggedInUser:
    return login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)


def emailed_token(mailbox: Mailbox, to: str) -> str:
    message = mailbox.only()
    assert message["To"] == to
    found = re.search(r"/verify-email\?token=([\w.\-]+)", Mailbox.html(message))
    assert found, Mailbox.html(message)
    return found.group(1)


def login_response(client: TestClient, email: str, password: str) -> dict[str, object]:
    response = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    return {"status": response.status_code, **response.json()}


def sign_up(client: TestClient) -> tuple[str, str, dict[str, object]]:
    email, password = random_email(), random_password()
    response = client.post(
        f"{USERS}/signup", json={"email": email, "password": password}
    )
    assert response.status_code == 201, response.text
    return email, password, response.json()


def test_setting_defaults_to_on_outside_local(verifying_settings: Settings) -> None:
    local = verifying_settings.model_copy(update={"EMAIL_VERIFICATION_REQUIRED": None})
    assert local.email_verification_required is False
    staging = local.model_copy(update={"ENVIRONMENT": "staging"})
    assert staging.email_verification_required is True


def test_signup_sends_a_link_and_login_waits_for_it(
    client: TestClient, mailbox: Mailbox
) -> None:
    email, password, body = sign_up(client)
    assert body["is_verified"] is False
    token = emailed_token(mailbox, email)
    assert mailbox.only()["Subject"] == "Confirm your email"

    assert login_response(client, email, password) == {"status": 403, **NOT_VERIFIED}
    # A wrong password still says only that: nothing about verification.
    assert login_response(client, email, "wrong-password")["status"] == 401

    confirmed = client.post(VERIFY, json={"token": token})
    assert confirmed.status_code == 200
    assert confirmed.json()["is_verified"] is True
    assert login(client, email, password).email == email

    # The link works once.
    assert client.post(VERIFY, json={"token": token}).json() == INVALID_LINK


def test_bad_links_are_refused(
    client: TestClient, verifying_settings: Settings, mailbox: Mailbox
) -> None:
    email, _password, body = sign_up(client)
    token = emailed_token(mailbox, email)
    user_id = uuid.UUID(str(body["id"]))

    def token_for(
        token_type: security.TokenType,
        secret: str = verifying_settings.SECRET_KEY,
        lifetime: timedelta = timedelta(hours=1),
        claims: dict[str, object] | None = None,
    ) -> str:
        return security.create_token(
            subject=user_id,
            token_type=token_type,
            expires_delta=lifetime,
            secret_key=secret,
            claims={"email": email} if claims is None else claims,
        )

    bad_tokens = [
        token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),
        token_for(
            security.TokenType.EMAIL_VERIFICATION,
            secret="another-secret-key-long-enough-for-hs256",
        ),
        token_for(security.TokenType.EMAIL_VERIFICATION, lifetime=timedelta(hours=-1)),
        token_for(security.TokenType.ACCESS),
        token_for(security.TokenType.EMAIL_VERIFICATION, claims={"email": "x@y.com"}),
        token_for(security.TokenType.EMAIL_VERIFICATION, claims={}),
        "not.a.token",
    ]
    for bad in bad_tokens:
        response = client.post(VERIFY, json={"token": bad})
        assert (response.status_code, response.json()) == (404, INVALID_LINK), bad
    # Not even the shape of a signed token: invalid input.
    assert client.post(VERIFY, json={"token": "not-a-token"}).status_code == 422
    assert client.post(VERIFY, json={"token": token}).status_code == 200


def test_resend_answers_alike_and_sends_only_to_unverified(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox
) -> None:
    email, _password, _body = sign_up(client)
    mailbox.clear()
    verified = create_user(client, admin.headers, is_verified=True)
    mailbox.clear()

    for address in (email, verified.email, random_email()):
        response = client.post(RESEND, json={"email": address.upper()})
        assert (response.status_code, response.json()) == (200, RESEND_ANSWER)
    token = emailed_token(mailbox, email)
    assert client.post(VERIFY, json={"token": token}).status_code == 200


def test_resend_is_rate_limited(database_url: str, smtp: tuple[int, Mailbox]) -> None:
    settings = make_settings(
        database_url,
        smtp[0],
        EMAIL_VERIFICATION_REQUIRED=True,
        RATE_LIMIT_ENABLED=True,
        PROJECT_NAME=f"verify-test-{uuid.uuid4().hex}",
    )
    with TestClient(create_app(settings)) as client:
        email = random_email()
        statuses = [
            client.post(RESEND, json={"email": email}).status_code for _ in range(4)
        ]
        throttled = client.post(RESEND, json={"email": email})
    assert statuses == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert throttled.json()["detail"].startswith("Too many verification emails")


def test_superuser_creates_verified_or_unverified_users(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox
) -> None:
    verified = create_user(client, admin.headers, is_verified=True)
    assert client.get(f"{USERS}/me", headers=verified.headers).json()["is_verified"]
    mailbox.clear()

    email, password = random_email(), random_password()
    response = client.post(
        f"{USERS}/",
        headers=admin.headers,
        json={"email": email, "password": password},
    )
    assert response.status_code == 201
    assert response.json()["is_verified"] is False
    subjects = sorted(message["Subject"] for message in mailbox.messages)
    assert subjects == [
        "Confirm your email",
        "Your new account",
    ]
    assert login_response(client, email, password) == {"status": 403, **NOT_VERIFIED}

    marked = client.patch(
        f"{USERS}/{response.json()['id']}",
        headers=admin.headers,
        json={"is_verified": True},
    )
    assert marked.json()["is_verified"] is True
    assert login(client, email, password).email == email


def test_email_change_needs_the_password_and_a_confirmation(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox
) -> None:
    user = create_user(client, admin.headers, is_verified=True)
    new_email = random_email()
    me = f"{USERS}/me"

    missing = client.patch(me, headers=user.headers, json={"email": new_email})
    assert missing.status_code == 422
    wrong = client.patch(
        me,
        headers=user.headers,
        json={"email": new_email, "current_password": "wrong-password"},
    )
    assert (wrong.status_code, wrong.json()) == (403, {"detail": "Incorrect password"})
    mailbox.clear()

    asked = client.patch(
        me,
        headers=user.headers,
        json={
            "email": new_email.upper(),
            "current_password": user.password,
            "full_name": "Renamed",
        },
    )
    assert asked.status_code == 200
    body = asked.json()
    assert (body["email"], body["pending_email"]) == (user.email, new_email)
    assert body["full_name"] == "Renamed"
    token = emailed_token(mailbox, new_email)
    assert mailbox.only()["Subject"] == "Confirm your new email"
    # Until confirmed, the old address is the account's.
    assert login(client, user.email, user.password).id == user.id

    confirmed = client.post(VERIFY, json={"token": token})
    assert confirmed.status_code == 200
    assert (confirmed.json()["email"], confirmed.json()["pending_email"]) == (
        new_email,
        None,
    )
    assert login(client, new_email, user.password).id == user.id
    assert login_response(client, user.email, user.password)["status"] == 401
    assert client.post(VERIFY, json={"token": token}).json() == INVALID_LINK


def test_email_change_to_a_taken_address(
    client: TestClient,
    admin: LoggedInUser,
    mailbox: Mailbox,
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, admin.headers, is_verified=True)
    other = create_user(client, admin.headers, is_verified=True)
    me = f"{USERS}/me"
    change = {"current_password": user.password}

    taken = client.patch(
        me, headers=user.headers, json={**change, "email": other.email}
    )
    assert taken.status_code == 409

    # Free when asked, taken by the time the link is followed: 409 then too.
    new_email = random_email()
    mailbox.clear()
    asked = client.patch(me, headers=user.headers, json={**change, "email": new_email})
    assert asked.status_code == 200
    token = emailed_token(mailbox, new_email)
    db_connection.execute(
        'UPDATE "user" SET email = %s WHERE id = %s', (new_email, other.id)
    )
    confirmed = client.post(VERIFY, json={"token": token})
    assert confirmed.status_code == 409
    me_now = client.get(me, headers=user.headers).json()
    assert (me_now["email"], me_now["pending_email"]) == (user.email, new_email)


def test_email_change_is_immediate_when_verification_is_off(
    session_client: TestClient, superuser_headers: dict[str, str]
) -> None:
    user = create_user(session_client, superuser_headers)
    new_email = random_email()
    response = session_client.patch(
        f"{USERS}/me",
        headers=user.headers,
        json={"email": new_email, "current_password": user.password},
    )
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["pending_email"]) == (
        new_email,
        None,
    )


def test_unverified_users_log_in_when_verification_is_off(
    session_client: TestClient, mailbox: Mailbox
) -> None:
    email, password = random_email(), random_password()
    response = session_client.post(
        f"{USERS}/signup", json={"email": email, "password": password}
    )
    assert response.json()["is_verified"] is False
    assert mailbox.messages == []
    assert login(session_client, email, password).email == email
