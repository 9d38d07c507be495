"""Outgoing email: rendering the templates and handing messages to SMTP."""

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from emails import Message as EmailMessage  # type: ignore[attr-defined]
from emails.backend.smtp.backend import SMTPBackend
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.core.config import Settings

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "email-templates"


@dataclass(frozen=True, slots=True)
class EmailData:
    subject: str
    html_content: str


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render_email_template(*, template_name: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template_name).render(context)


class EmailDeliveryError(Exception):
    """The SMTP server refused the message or could not be reached."""


def send_email(*, settings: Settings, email_to: str, email_data: EmailData) -> None:
    """Send one message now; raise EmailDeliveryError when SMTP did not accept it."""
    if not settings.EMAILS_FROM_EMAIL:
        raise EmailDeliveryError("EMAILS_FROM_EMAIL is not set")
    message = EmailMessage(
        subject=email_data.subject,
        html=email_data.html_content,
        mail_from=(settings.EMAILS_FROM_NAME, settings.EMAILS_FROM_EMAIL),
    )
    smtp_options: dict[str, Any] = {
        "host": settings.SMTP_HOST,
        "port": settings.SMTP_PORT,
        "timeout": settings.SMTP_TIMEOUT_SECONDS,
    }
    if settings.SMTP_TLS:
        smtp_options["tls"] = True
    elif settings.SMTP_SSL:
        smtp_options["ssl"] = True
    if settings.SMTP_USER:
        smtp_options["user"] = settings.SMTP_USER
    if settings.SMTP_PASSWORD:
        smtp_options["password"] = settings.SMTP_PASSWORD
    # An explicit backend, so the connection is closed (QUIT) once the message is
    # sent: `send(smtp=<dict>)` keeps it open in the message's pool and leaks it.
    with SMTPBackend(**smtp_options) as smtp:
        response = message.send(to=email_to, smtp=smtp)
    if response is None or response.status_code != 250:
        error = getattr(response, "error", None) or "no response"
        raise EmailDeliveryError(f"SMTP did not accept the message: {error}")


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


def generate_test_email(*, settings: Settings, email_to: str) -> EmailData:
    subject = f"{settings.PROJECT_NAME} - Test email"
    html_content = render_email_template(
        template_name="test_email.html",
        context={"project_name": settings.PROJECT_NAME, "email": email_to},
    )
    return EmailData(subject=subject, html_content=html_content)


def generate_reset_password_email(
    *, settings: Settings, email_to: str, token: str
) -> EmailData:
    subject = f"{settings.PROJECT_NAME} - Password recovery for {email_to}"
    link = f"{settings.FRONTEND_HOST.rstrip('/')}/reset-password?token={token}"
    html_content = render_email_template(
        template_name="reset_password.html",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "valid_hours": settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS,
            "link": link,
        },
    )
    return EmailData(subject=subject, html_content=html_content)


def generate_new_account_email(*, settings: Settings, email_to: str) -> EmailData:
    subject = f"{settings.PROJECT_NAME} - New account for {email_to}"
    html_content = render_email_template(
        template_name="new_account.html",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "link": settings.FRONTEND_HOST,
        },
    )
    return EmailData(subject=subject, html_content=html_content)


def generate_verification_email(
    *, settings: Settings, email_to: str, token: str, is_change: bool
) -> EmailData:
    """The link that proves `email_to` is the user's: at sign-up, or for a new address."""
    what = "Confirm your new email" if is_change else "Confirm your email"
    subject = f"{settings.PROJECT_NAME} - {what}"
    link = f"{settings.FRONTEND_HOST.rstrip('/')}/verify-email?token={token}"
    html_content = render_email_template(
        template_name="verify_email.html",
        context={
            "project_name": settings.PROJECT_NAME,
            "email": email_to,
            "valid_hours": settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS,
            "link": link,
            "is_change": is_change,
        },
    )
    return EmailData(subject=subject, html_content=html_content)
