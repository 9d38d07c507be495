"""Outgoing email through a real (in-process) SMTP server: what arrives, and what fails."""

import logging
from collections.abc import Iterator
from functools import partial

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.factories import API, create_user, login, random_email
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox, free_port

TEST_EMAIL = f"{API}/utils/test-email/"
NOT_CONFIGURED = {
    "detail": "Email is not configured on this server (set SMTP_HOST and EMAILS_FROM_EMAIL)"
}


@pytest.fixture
def smtp_down_client(database_url: str, mailbox: Mailbox) -> Iterator[TestClient]:
    """An app whose SMTP server does not answer: nothing listens on its port. Its
    jobs try each email twice, one right after the other."""
    smtp_down = make_settings(
        database_url,
        free_port(),
        JOBS_MAX_ATTEMPTS=2,
        JOBS_RETRY_BACKOFF_SECONDS=0,
    )
    mailbox.settle = partial(run_jobs, smtp_down)  # its worker sends with these
    with TestClient(create_app(smtp_down)) as client:
        yield client


@pytest.fixture
def no_email_client(
    database_url: str, settings: Settings, mailbox: Mailbox
) -> Iterator[TestClient]:
    no_email = make_settings(database_url, settings.SMTP_PORT, SMTP_HOST=None)
    mailbox.settle = partial(run_jobs, no_email)
    with TestClient(create_app(no_email)) as client:
        yield client


def mail_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "app.mail" and record.levelno >= logging.ERROR
    ]


# The test email ------------------------------------------------------------------


def test_superuser_sends_a_test_email(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    email_to = random_email()

    response = client.post(
        TEST_EMAIL, headers=superuser_headers, json={"email_to": email_to}
    )

    assert response.status_code == 202
    assert response.json() == {"message": "Test email queued"}
    message = mailbox.only()
    assert message["Subject"] == "Test email"
    assert message["To"] == email_to
    assert message["From"].addresses[0].addr_spec == "noreply@example.com"
    assert message["From"].addresses[0].display_name == "Test Project"
    body = Mailbox.html(message)
    assert f"Test email for {email_to}." in body


def test_test_email_escapes_the_address_it_echoes(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    email_to = "o'brien&co@example.com"  # valid, and meaningful to HTML

    response = client.post(
        TEST_EMAIL, headers=superuser_headers, json={"email_to": email_to}
    )

    assert response.status_code == 202
    message = mailbox.only()
    assert message["To"] == email_to
    body = Mailbox.html(message)
    assert "Test email for o&#39;brien&amp;co@example.com." in body
    assert email_to not in body
    # The text part is plain text: nothing to escape there.
    assert f"Test email for {email_to}." in Mailbox.text(message).splitlines()


def test_test_email_is_for_superusers_only(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    user = create_user(client, superuser_headers)
    mailbox.clear()  # the new-account email

    response = client.post(
        TEST_EMAIL, headers=user.headers, json={"email_to": random_email()}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "The user doesn't have enough privileges"}
    assert mailbox.messages == []


def test_test_email_needs_a_token(client: TestClient, mailbox: Mailbox) -> None:
    response = client.post(TEST_EMAIL, json={"email_to": random_email()})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "body",
    [{}, {"email_to": "not-an-email"}, {"email_to": "a\x00b@example.com"}],
    ids=["missing", "malformed", "nul"],
)
def test_test_email_to_an_invalid_address_is_invalid_input(
    client: TestClient,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
    body: dict[str, str],
) -> None:
    response = client.post(TEST_EMAIL, headers=superuser_headers, json=body)

    assert response.status_code == 422
    assert mailbox.messages == []


def test_test_email_without_email_configured_is_unavailable(
    no_email_client: TestClient, mailbox: Mailbox
) -> None:
    superuser = login(no_email_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    response = no_email_client.post(
        TEST_EMAIL, headers=superuser.headers, json={"email_to": random_email()}
    )

    assert response.status_code == 503
    assert response.json() == NOT_CONFIGURED
    assert mailbox.messages == []


# The new-account email -----------------------------------------------------------


def test_new_account_email_never_contains_the_password(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    email = random_email()
    password = "Sekrit-Passw0rd-Do-Not-Mail"

    response = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": email, "password": password, "full_name": "New Person"},
    )

    assert response.status_code == 201, response.text
    message = mailbox.only()
    assert message["Subject"] == "Your new account"
    assert message["To"] == email
    body = Mailbox.html(message)
    assert email in body
    assert 'href="http://frontend.test"' in body
    assert password not in message.as_string()
    assert password not in body


def test_user_creation_that_conflicts_sends_no_email(
    client: TestClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    response = client.post(
        f"{API}/users/",
        headers=superuser_headers,
        json={"email": FIRST_SUPERUSER, "password": "another-password"},
    )

    assert response.status_code == 409
    assert mailbox.messages == []


def test_user_creation_without_email_configured_sends_nothing(
    no_email_client: TestClient, mailbox: Mailbox
) -> None:
    superuser = login(no_email_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)

    response = no_email_client.post(
        f"{API}/users/",
        headers=superuser.headers,
        json={"email": random_email(), "password": "a-good-password"},
    )

    assert response.status_code == 201, response.text
    assert mailbox.messages == []


# SMTP down -----------------------------------------------------------------------


def test_user_creation_succeeds_when_smtp_is_down_and_the_failure_is_logged(
    smtp_down_client: TestClient, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    superuser = login(smtp_down_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    email, password = random_email(), "a-good-password"
    caplog.set_level(logging.INFO, logger="app.mail")

    response = smtp_down_client.post(
        f"{API}/users/",
        headers=superuser.headers,
        json={"email": email, "password": password},
    )

    assert response.status_code == 201, response.text
    assert response.json()["email"] == email
    assert mailbox.messages == []  # once its job has run, and failed
    errors = mail_errors(caplog)
    assert len(errors) == 1, [record.getMessage() for record in caplog.records]
    assert (
        errors[0].getMessage() == f"Could not send email 'Your new account' to {email}"
    )
    assert errors[0].exc_info is not None
    assert password not in caplog.text
    # The account exists and works despite the lost email.
    assert login(smtp_down_client, email, password).email == email


def test_test_email_is_accepted_when_smtp_is_down_and_the_failure_is_logged(
    smtp_down_client: TestClient, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    superuser = login(smtp_down_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    email_to = random_email()
    caplog.set_level(logging.INFO, logger="app.mail")

    response = smtp_down_client.post(
        TEST_EMAIL, headers=superuser.headers, json={"email_to": email_to}
    )

    assert response.status_code == 202
    assert mailbox.messages == []
    errors = mail_errors(caplog)
    assert len(errors) == 1, [record.getMessage() for record in caplog.records]
    assert errors[0].getMessage() == f"Could not send email 'Test email' to {email_to}"


def test_password_recovery_answers_when_smtp_is_down(
    smtp_down_client: TestClient, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.mail")

    response = smtp_down_client.post(
        f"{API}/password-recovery", json={"email": FIRST_SUPERUSER}
    )

    assert response.status_code == 200
    assert response.json() == {
        "message": "If that email is registered, a password recovery link is on its way"
    }
    assert mailbox.messages == []
    errors = mail_errors(caplog)
    assert len(errors) == 1, [record.getMessage() for record in caplog.records]
    assert FIRST_SUPERUSER in errors[0].getMessage()
    # The token in the lost email must not end up in the logs.
    assert "token=" not in caplog.text
