"""Outgoing email: what each message says, how it is built, and handing it to SMTP.

Every email is rendered twice from the same data, by `templates/<name>.html` and
`templates/<name>.txt`, and sent as `multipart/alternative` (the text part first, then
the HTML) with its own Message-ID on the sender's domain. Emails are sent by a
background job (`app.jobs.tasks`), which names an `EmailTemplate`; `compose` writes
it, `build_message` makes the message and `send_email` hands it to SMTP.
"""

import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from app.core import security
from app.core.config import Settings
from app.observability.tracing import smtp_span

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


class EmailTemplate(StrEnum):
    """The emails the app sends; a job names one (`app.jobs.tasks`)."""

    VERIFY_EMAIL = "verify_email"  # a link confirming the account's address
    CHANGE_EMAIL = "change_email"  # a link confirming a new address
    NEW_ACCOUNT = "new_account"  # a superuser made an account for this address
    RESET_PASSWORD = "reset_password"  # a link setting a new password
    TEST = "test_email"  # a superuser checks that email works
    TEAM_INVITATION = "team_invitation"  # a link joining a team


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who an email goes to; `user_id` for the emails about an account."""

    email: str
    user_id: uuid.UUID | None = None
    hashed_password: str = ""


@dataclass(frozen=True, slots=True)
class TeamInvitationLink:
    """What a team invitation's email says: the token of its link is made when the
    email is sent (`crud.issue_invitation_token`), and only its digest is kept."""

    token: str
    team_name: str
    inviter: str
    role: str


def compose(
    settings: Settings,
    template: EmailTemplate,
    to: Recipient,
    invitation: TeamInvitationLink | None = None,
) -> EmailData:
    """The email `template` says, for `to`, with any link's token made now (a team
    invitation's, by the caller: `invitation`)."""
    if template is EmailTemplate.TEAM_INVITATION:
        assert invitation is not None
        return _team_invitation_email(settings, to.email, invitation)
    if template is EmailTemplate.RESET_PASSWORD:
        assert to.user_id is not None
        return reset_password_email(settings, to.user_id, to.email, to.hashed_password)
    if template in (EmailTemplate.VERIFY_EMAIL, EmailTemplate.CHANGE_EMAIL):
        assert to.user_id is not None
        return _verification_email(
            settings,
            to.user_id,
            to.email,
            is_change=template is EmailTemplate.CHANGE_EMAIL,
        )
    if template is EmailTemplate.NEW_ACCOUNT:
        link = settings.FRONTEND_HOST
        return render(
            "new_account", "Your new account", settings, email=to.email, link=link
        )
    return render("test_email", "Test email", settings, email=to.email)


def _verification_email(
    settings: Settings, user_id: uuid.UUID, email: str, *, is_change: bool
) -> EmailData:
    """A single-use link proving `email` is the user's: at sign-up, or a new one."""
    hours = settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS
    kind = security.TokenType.EMAIL_VERIFICATION
    token = _token(settings, kind, user_id, hours, email=email)
    link = _link(settings, "verify-email", token)
    subject = "Confirm your new email" if is_change else "Confirm your email"
    context = {
        "email": email,
        "valid_hours": hours,
        "link": link,
        "is_change": is_change,
    }
    return render("verify_email", subject, settings, **context)


def _team_invitation_email(
    settings: Settings, email: str, invitation: TeamInvitationLink
) -> EmailData:
    """An invitation to join a team: accepted after signing in with `email`."""
    context = {
        "email": email,
        "team_name": invitation.team_name,
        "inviter": invitation.inviter,
        "role": invitation.role,
        "valid_days": settings.TEAM_INVITATION_EXPIRE_DAYS,
        "link": _link(settings, "accept-invitation", invitation.token),
    }
    subject = f"Join {invitation.team_name} on {settings.PROJECT_NAME}"
    return render("team_invitation", subject, settings, **context)


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
        with (
            smtp_span(settings.SMTP_HOST, settings.SMTP_PORT),
            smtp_class(
                host=settings.SMTP_HOST,
                port=settings.SMTP_PORT,
                local_hostname=_local_hostname(),
                timeout=settings.SMTP_TIMEOUT_SECONDS,
            ) as smtp,
        ):
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
