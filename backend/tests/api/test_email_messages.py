"""Every email as it goes over the wire: MIME structure, headers, the text part, spam score.

Each email is asked for through the API, as a user would, and read back from the
in-process SMTP server, on an app that requires email verification (as production does).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import partial
from html import unescape
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

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
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox
from tests.utils.spamassassin import INFORMATIONAL, fired_rules

FRONTEND = "http://frontend.test"  # FRONTEND_HOST in the test settings
MESSAGE_ID = re.compile(r"<[0-9a-f]{32}@example\.com>")  # EMAILS_FROM_EMAIL's domain
HEADERS = [
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
]


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


# How each email is sent -------------------------------------------------------------

# Sends the email through the API, with only it in the mailbox; returns the recipient.
Send = Callable[[TestClient, LoggedInUser, Mailbox], str]


def sign_up(client: TestClient, _admin: LoggedInUser, _mailbox: Mailbox) -> str:
    email = random_email()
    response = client.post(
        f"{API}/users/signup", json={"email": email, "password": random_password()}
    )
    assert response.status_code == 201, response.text
    return email


def change_email(client: TestClient, admin: LoggedInUser, mailbox: Mailbox) -> str:
    user = create_user(client, admin.headers, is_verified=True)
    mailbox.clear()  # the new-account email
    new_email = random_email()
    response = client.patch(
        f"{API}/users/me",
        headers=user.headers,
        json={"email": new_email, "current_password": user.password},
    )
    assert response.status_code == 200, response.text
    return new_email


def recover_password(client: TestClient, admin: LoggedInUser, mailbox: Mailbox) -> str:
    user = create_user(client, admin.headers, is_verified=True)
    mailbox.clear()
    response = client.post(f"{API}/password-recovery", json={"email": user.email})
    assert response.status_code == 200, response.text
    return user.email


def create_account(client: TestClient, admin: LoggedInUser, _mailbox: Mailbox) -> str:
    email = random_email()
    response = client.post(
        f"{API}/users/",
        headers=admin.headers,
        json={"email": email, "password": random_password(), "is_verified": True},
    )
    assert response.status_code == 201, response.text
    return email


def send_test_email(client: TestClient, admin: LoggedInUser, _mailbox: Mailbox) -> str:
    email = random_email()
    response = client.post(
        f"{API}/utils/test-email/", headers=admin.headers, json={"email_to": email}
    )
    assert response.status_code == 202, response.text
    return email


def invite_to_team(client: TestClient, admin: LoggedInUser, _mailbox: Mailbox) -> str:
    team = client.post(
        f"{API}/teams/", headers=admin.headers, json={"name": "Design crew"}
    )
    assert team.status_code == 201, team.text
    email = random_email()
    response = client.post(
        f"{API}/teams/{team.json()['id']}/invitations",
        headers=admin.headers,
        json={"email": email, "role": "admin"},
    )
    assert response.status_code == 201, response.text
    return email


@dataclass(frozen=True)
class Email:
    send: Send
    subject: str
    # The whole text part, with {email} and {link} to fill in.
    text: str
    # The link's start (it ends with a fresh token), and the button that opens it.
    link: str | None = None
    button: str | None = None


EMAILS = {
    "verify_email": Email(
        send=sign_up,
        subject="Confirm your email",
        link=f"{FRONTEND}/verify-email?token=",
        button="Confirm email",
        text="""\
Test Project

Welcome to Test Project! Confirm that {email} is yours to start using your account.

Open this link to confirm your email:

{link}

The link works once and expires in 48 hours.

If you did not ask for this, ignore this email: nothing changes.
""",
    ),
    "verify_new_email": Email(
        send=change_email,
        subject="Confirm your new email",
        link=f"{FRONTEND}/verify-email?token=",
        button="Confirm email",
        text="""\
Test Project

Confirm {email} as the new email address of your Test Project account.

Until you do, your account keeps its current address.

Open this link to confirm your email:

{link}

The link works once and expires in 48 hours.

If you did not ask for this, ignore this email: nothing changes.
""",
    ),
    "reset_password": Email(
        send=recover_password,
        subject="Reset your password",
        link=f"{FRONTEND}/reset-password?token=",
        button="Reset password",
        text="""\
Test Project

We received a request to reset the password of {email}.

Open this link to choose a new password:

{link}

The link works once and expires in 1 hour.

If you did not ask for this, ignore this email: your password stays as it is.
""",
    ),
    "new_account": Email(
        send=create_account,
        subject="Your new account",
        link=FRONTEND,
        button="Go to Test Project",
        text="""\
Test Project

Welcome to Test Project!

An account was created for {email}. Sign in with the password you were given, \
and change it in your settings.

Sign in here:

{link}

This email was sent to {email}.
""",
    ),
    "team_invitation": Email(
        send=invite_to_team,
        subject="Join Design crew on Test Project",
        link=f"{FRONTEND}/accept-invitation?token=",
        button="Accept invitation",
        text="""\
Test Project

Administrator invited you to join the team Design crew on Test Project, as an admin.

Sign in (or sign up) with {email} to accept it.

Open this link to accept the invitation:

{link}

The invitation works once and expires in 7 days.

If you were not expecting this invitation, ignore this email: nothing changes.
""",
    ),
    "test_email": Email(
        send=send_test_email,
        subject="Test email",
        text="""\
Test Project

Test email for {email}.

If you can read this, Test Project can send email.

This email was sent to {email}.
""",
    ),
}


class Paragraphs(HTMLParser):
    """The text of each <p>, as a reader sees it (whitespace collapsed)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self._current: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        if tag == "p":
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._current is not None:
            self.paragraphs.append(" ".join("".join(self._current).split()))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)


def sent(name: str, client: TestClient, admin: LoggedInUser, mailbox: Mailbox) -> str:
    mailbox.clear()
    return EMAILS[name].send(client, admin, mailbox)


def link_in(message: EmailMessage, start: str) -> str:
    """The link of the HTML part (its button's), which the text part must spell out."""
    hrefs: list[str] = re.findall(r'href="([^"]*)"', Mailbox.html(message))
    assert hrefs, Mailbox.html(message)
    link = unescape(hrefs[0])
    assert link.startswith(start)
    return link


@pytest.mark.parametrize("name", EMAILS)
def test_each_email_is_a_text_and_an_html_alternative_with_proper_headers(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox, name: str
) -> None:
    email_to = sent(name, client, admin, mailbox)

    message = mailbox.only()
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert [part.get_content_charset() for part in parts] == ["utf-8", "utf-8"]
    assert [part.get_content_disposition() for part in parts] == [None, None]
    assert list(message.keys()) == HEADERS  # no Reply-To unless configured
    assert message["Subject"] == EMAILS[name].subject
    assert message["From"] == "Test Project <noreply@example.com>"
    assert message["To"] == email_to
    assert MESSAGE_ID.fullmatch(message["Message-ID"])
    sent_at = parsedate_to_datetime(message["Date"])
    assert sent_at.tzinfo is not None
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)


@pytest.mark.parametrize("name", EMAILS)
def test_the_text_part_says_what_the_html_says_with_the_link_on_its_own_line(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox, name: str
) -> None:
    email = EMAILS[name]
    email_to = sent(name, client, admin, mailbox)

    message = mailbox.only()
    text, html = Mailbox.text(message), Mailbox.html(message)
    link = link_in(message, email.link) if email.link else ""
    assert text == email.text.format(email=email_to, link=link)
    # The HTML has the same paragraphs, but for its button and the link to paste,
    # where the text has the link on a line of its own after a line saying what it does.
    text_paragraphs = text.strip().split("\n\n")
    html_paragraphs = Paragraphs(html).paragraphs
    if email.link:
        assert link in text.splitlines()
        at = text_paragraphs.index(link)
        del text_paragraphs[at - 1 : at + 1]
        html_paragraphs.remove(str(email.button))
        html_paragraphs.remove(f"Or paste this link into your browser: {link}")
    assert html_paragraphs == text_paragraphs


@pytest.mark.parametrize("name", EMAILS)
def test_spamassassin_finds_nothing_against_any_email(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox, name: str
) -> None:
    sent(name, client, admin, mailbox)

    rules = fired_rules(mailbox.only_raw())

    # What these say: the message has HTML, and it came straight from the app
    # (no relay has added a Received header yet). Nothing scores against it.
    assert rules == {"HTML_MESSAGE": 0.001, "NO_RECEIVED": -0.001, "NO_RELAYS": -0.001}
    assert max(rules.values()) <= INFORMATIONAL


def test_each_message_has_its_own_id(
    client: TestClient, admin: LoggedInUser, mailbox: Mailbox
) -> None:
    mailbox.clear()
    send_test_email(client, admin, mailbox)
    send_test_email(client, admin, mailbox)

    ids = [message["Message-ID"] for message in mailbox.messages]
    assert len(ids) == 2
    assert all(MESSAGE_ID.fullmatch(message_id) for message_id in ids)
    assert ids[0] != ids[1]


@pytest.fixture
def replying_client(
    database_url: str, settings: Settings, mailbox: Mailbox
) -> Iterator[TestClient]:
    replying = make_settings(
        database_url, settings.SMTP_PORT, EMAILS_REPLY_TO="support@example.com"
    )
    mailbox.settle = partial(run_jobs, replying)  # its worker sends with these
    with TestClient(create_app(replying)) as client:
        yield client


def test_replies_go_where_configured(
    replying_client: TestClient, mailbox: Mailbox
) -> None:
    admin = login(replying_client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    mailbox.clear()

    email_to = send_test_email(replying_client, admin, mailbox)

    message = mailbox.only()
    assert message["To"] == email_to
    assert message["Reply-To"] == "support@example.com"
    assert list(message.keys()) == [*HEADERS[:3], "Reply-To", *HEADERS[3:]]
