"""Outgoing email: what each message says, how it is built, and handing it to SMTP.

Every email is rendered twice from the same data, by `templates/<name>.html` and
`templates/<name>.txt`, and sent as `multipart/alternative` (the text part first, then
the HTML) with its own Message-ID on the sender's domain. Routes use a `Mailer`
(`MailerDep`), which sends each email after the answer; building a message
(`build_message`) is kept apart from sending it (`send_email`).
"""

import logging
import re
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks
from jinja2 import Environment, FileSystemLoader

from app.core import security
from app.core.config import Settings

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class EmailData:
    """What one email says: its subject, and the same content as HTML and as text."""

    subject: str
    html_content: str
    text_content: str


class EmailDeliveryError(Exception):
    """The SMTP server refused the message or could not be reached."""


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # HTML is escaped; the text part is plain text, where `&` stays `&`.
        autoescape=lambda name: not (name or "").endswith(".txt"),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    template: str, subject: str, settings: Settings, **context: Any
) -> EmailData:
    """`templates/<template>.html` and `.txt`, from the same data."""
    context |= {"subject": subject, "project_name": settings.PROJECT_NAME}
    html, text = (
        _environment().get_template(f"{template}.{kind}").render(context)
        for kind in ("html", "txt")
    )
    # One blank line between paragraphs, no trailing spaces, one final newline.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
    return EmailData(subject=subject, html_content=html, text_content=text)


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.FRONTEND_HOST.rstrip('/')}/{path}?token={token}"


def _token(
    settings: Settings,
    kind: security.TokenType,
    user_id: uuid.UUID,
    hours: int,
    **claims: Any,
) -> str:
    return security.create_token(
        subject=user_id,
        token_type=kind,
        expires_delta=timedelta(hours=hours),
        secret_key=settings.SECRET_KEY,
        claims=claims,
    )


def reset_password_email(
    settings: Settings, user_id: uuid.UUID, email: str, hashed_password: str
) -> EmailData:
    """A link that sets a new password, and dies once the password changes."""
    hours = settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS
    pwd = security.password_fingerprint(hashed_password)
    token = _token(settings, security.TokenType.PASSWORD_RESET, user_id, hours, pwd=pwd)
    link = _link(settings, "reset-password", token)
    subject = "Reset your password"
    return render(
        "reset_password", subject, settings, email=email, valid_hours=hours, link=link
    )


class Mailer:
    """The emails one request sends, each after the answer (`send_email_in_background`);
    nothing when email is not configured."""

    def __init__(self, settings: Settings, tasks: BackgroundTasks) -> None:
        self.settings, self.tasks = settings, tasks

    def send(self, email_to: str, email_data: EmailData) -> None:
        if self.settings.emails_enabled:
            send = send_email_in_background
            self.tasks.add_task(
                send, settings=self.settings, email_to=email_to, email_data=email_data
            )

    def verification(
        self, user_id: uuid.UUID, email: str, *, is_change: bool = False
    ) -> None:
        """A single-use link proving `email` is the user's: at sign-up, or a new one."""
        hours = self.settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS
        kind = security.TokenType.EMAIL_VERIFICATION
        token = _token(self.settings, kind, user_id, hours, email=email)
        link = _link(self.settings, "verify-email", token)
        subject = "Confirm your new email" if is_change else "Confirm your email"
        context = {
            "email": email,
            "valid_hours": hours,
            "link": link,
            "is_change": is_change,
        }
        self.send(email, render("verify_email", subject, self.settings, **context))

    def new_account(self, email: str) -> None:
        link = self.settings.FRONTEND_HOST
        data = render(
            "new_account", "Your new account", self.settings, email=email, link=link
        )
        self.send(email, data)

    def reset_password(
        self, user_id: uuid.UUID, email: str, hashed_password: str
    ) -> None:
        self.send(
            email, reset_password_email(self.settings, user_id, email, hashed_password)
        )

    def team_invitation(
        self, *, email: str, token: str, team_name: str, inviter: str, role: str
    ) -> None:
        """An invitation to join a team: accepted after signing in with `email`."""
        days = self.settings.TEAM_INVITATION_EXPIRE_DAYS
        context = {
            "email": email,
            "team_name": team_name,
            "inviter": inviter,
            "role": role,
            "valid_days": days,
            "link": _link(self.settings, "accept-invitation", token),
        }
        subject = f"Join {team_name} on {self.settings.PROJECT_NAME}"
        self.send(email, render("team_invitation", subject, self.settings, **context))

    def test(self, email: str) -> None:
        self.send(email, render("test_email", "Test email", self.settings, email=email))


# Building and sending --------------------------------------------------------------


def build_message(
    *, settings: Settings, email_to: str, email_data: EmailData
) -> EmailMessage:
    """The finished message: headers, then the text and HTML alternatives."""
    if not settings.EMAILS_FROM_EMAIL:
        raise EmailDeliveryError("EMAILS_FROM_EMAIL is not set")
    message = EmailMessage()
    message["Subject"] = email_data.subject
    message["From"] = Address(
        display_name=settings.EMAILS_FROM_NAME or "",
        addr_spec=settings.EMAILS_FROM_EMAIL,
    )
    message["To"] = email_to
    if settings.EMAILS_REPLY_TO:
        message["Reply-To"] = settings.EMAILS_REPLY_TO
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = settings.EMAILS_FROM_EMAIL.rpartition("@")[2]
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
    # Quoted-printable keeps both parts readable on the wire whatever their line length.
    message.set_content(email_data.text_content, cte="quoted-printable")
    message.add_alternative(
        email_data.html_content, subtype="html", cte="quoted-printable"
    )
    # Chosen here rather than when the message is written out, where the email
    # package would draw it from the global `random`: the message is finished, and
    # serializing it twice gives the same bytes.
    message.set_boundary(f"alternative-{uuid.uuid4().hex}")
    return message


@lru_cache(maxsize=1)
def _local_hostname() -> str:
    """The name to greet the server with (EHLO); looked up once per process."""
    return socket.getfqdn()


def send_email(*, settings: Settings, email_to: str, email_data: EmailData) -> None:
    """Send one message now; raise EmailDeliveryError when SMTP did not accept it."""
    message = build_message(settings=settings, email_to=email_to, email_data=email_data)
    # Without a host, smtplib would return an unconnected client.
    if not settings.SMTP_HOST:
        raise EmailDeliveryError("SMTP_HOST is not set")
    implicit_tls = settings.SMTP_SSL and not settings.SMTP_TLS
    smtp_class = smtplib.SMTP_SSL if implicit_tls else smtplib.SMTP
    try:
        # Leaving the block says QUIT and closes the connection, whatever happened.
        with smtp_class(
            host=settings.SMTP_HOST,
            port=settings.SMTP_PORT,
            local_hostname=_local_hostname(),
            timeout=settings.SMTP_TIMEOUT_SECONDS,
        ) as smtp:
            if settings.SMTP_TLS:
                smtp.starttls()
            if settings.SMTP_USER:
                smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD or "")
            smtp.send_message(message, to_addrs=[email_to])  # from: the From address
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        raise EmailDeliveryError(
            f"SMTP did not accept the message: {exc.smtp_code} {text}"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailDeliveryError(f"SMTP did not accept the message: {exc}") from exc


def send_email_in_background(
    *, settings: Settings, email_to: str, email_data: EmailData
) -> None:
    """Run after the response, so the requester never sees a failure. A failed
    delivery is logged and tried again after SMTP_RETRY_BACKOFF_SECONDS, doubling
    each time, up to SMTP_MAX_ATTEMPTS tries in all."""
    attempts = settings.SMTP_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            send_email(settings=settings, email_to=email_to, email_data=email_data)
        except Exception as exc:
            subject = email_data.subject
            if attempt == attempts:
                logger.error(
                    "Could not send email %r to %s", subject, email_to, exc_info=exc
                )
                return
            delay = settings.SMTP_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
            logger.warning(
                "Could not send email %r to %s (attempt %d of %d: %s); retrying in %.2f s",
                *(subject, email_to, attempt, attempts, exc, delay),
            )
            time.sleep(delay)  # a worker thread of its own: sleeping is fine
        else:
            logger.info("Sent email %r to %s", email_data.subject, email_to)
            return
