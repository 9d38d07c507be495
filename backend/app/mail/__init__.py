"""Outgoing email: what each message says, how it is built, and handing it to SMTP.

Every email is rendered twice from the same data, by `templates/<name>.html` and
`templates/<name>.txt`, and sent as `multipart/alternative` (the text part first, then
the HTML) with its own Message-ID on the sender's domain. Building a message
(`build_message`) is kept apart from sending it (`send_email`), so a worker can send
what a request prepared.
"""

import logging
import re
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

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


# Rendering -------------------------------------------------------------------------


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # HTML is escaped; the text part is plain text, where `&` stays `&`.
        autoescape=lambda name: not (name or "").endswith(".txt"),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_email_template(*, template_name: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template_name).render(context)


def _tidy_text(text: str) -> str:
    """One blank line between paragraphs, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _render(*, template: str, subject: str, context: dict[str, Any]) -> EmailData:
    context = {**context, "subject": subject}
    return EmailData(
        subject=subject,
        html_content=render_email_template(
            template_name=f"{template}.html", context=context
        ),
        text_content=_tidy_text(
            render_email_template(template_name=f"{template}.txt", context=context)
        ),
    )


def _frontend_link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.FRONTEND_HOST.rstrip('/')}/{path}?token={token}"


def generate_test_email(*, settings: Settings, email_to: str) -> EmailData:
    return _render(
        template="test_email",
        subject="Test email",
        context={"project_name": settings.PROJECT_NAME, "email": email_to},
    )


def generate_reset_password_email(
    *, settings: Settings, email_to: str, token: str
) -> EmailData:
    return _render(
        template="reset_password",
        subject="Reset your password",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "valid_hours": settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS,
            "link": _frontend_link(settings, "reset-password", token),
        },
    )


def generate_new_account_email(*, settings: Settings, email_to: str) -> EmailData:
    return _render(
        template="new_account",
        subject="Your new account",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "link": settings.FRONTEND_HOST,
        },
    )


def generate_verification_email(
    *, settings: Settings, email_to: str, token: str, is_change: bool
) -> EmailData:
    """The link that proves `email_to` is the user's: at sign-up, or for a new address."""
    return _render(
        template="verify_email",
        subject="Confirm your new email" if is_change else "Confirm your email",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "valid_hours": settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS,
            "link": _frontend_link(settings, "verify-email", token),
            "is_change": is_change,
        },
    )


# Building and sending --------------------------------------------------------------


def build_message(
    *, settings: Settings, email_to: str, email_data: EmailData
) -> EmailMessage:
    """The finished message: headers, then the text and HTML alternatives."""
    if not settings.EMAILS_FROM_EMAIL:
        raise EmailDeliveryError("EMAILS_FROM_EMAIL is not set")
    sender_domain = settings.EMAILS_FROM_EMAIL.rpartition("@")[2]
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
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{sender_domain}>"
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


def _connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the SMTP server that has greeted us, TLS from the start if asked."""
    # Without a host, smtplib would return an unconnected client.
    if not settings.SMTP_HOST:
        raise EmailDeliveryError("SMTP_HOST is not set")
    implicit_tls = settings.SMTP_SSL and not settings.SMTP_TLS
    smtp_class = smtplib.SMTP_SSL if implicit_tls else smtplib.SMTP
    return smtp_class(
        host=settings.SMTP_HOST,
        port=settings.SMTP_PORT,
        local_hostname=_local_hostname(),
        timeout=settings.SMTP_TIMEOUT_SECONDS,
    )


def send_email(*, settings: Settings, email_to: str, email_data: EmailData) -> None:
    """Send one message now; raise EmailDeliveryError when SMTP did not accept it."""
    message = build_message(settings=settings, email_to=email_to, email_data=email_data)
    try:
        # Leaving the block says QUIT and closes the connection, whatever happened.
        with _connect(settings) as smtp:
            if settings.SMTP_TLS:
                smtp.starttls()
            if settings.SMTP_USER:
                smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD or "")
            # The envelope sender is the From address.
            smtp.send_message(message, to_addrs=[email_to])
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
    """Run after the response, so the requester never sees a failure.

    A failed delivery is logged and tried again after SMTP_RETRY_BACKOFF_SECONDS,
    doubling each time, up to SMTP_MAX_ATTEMPTS tries in all.
    """
    attempts = settings.SMTP_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            send_email(settings=settings, email_to=email_to, email_data=email_data)
        except Exception as exc:
            if attempt == attempts:
                logger.error(
                    "Could not send email %r to %s",
                    email_data.subject,
                    email_to,
                    exc_info=exc,
                )
                return
            delay = settings.SMTP_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
            logger.warning(
                "Could not send email %r to %s (attempt %d of %d: %s); retrying in %.2f s",
                email_data.subject,
                email_to,
                attempt,
                attempts,
                exc,
                delay,
            )
            # A worker thread of its own (a sync background task): sleeping is fine.
            time.sleep(delay)
        else:
            logger.info("Sent email %r to %s", email_data.subject, email_to)
            return
