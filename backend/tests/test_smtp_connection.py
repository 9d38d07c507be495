"""How the mail service talks to its SMTP server: STARTTLS, TLS from the start, login,
the timeout, and QUIT at the end of every conversation.

Real SMTP servers in-process (aiosmtpd) with a self-signed certificate that openssl
makes for the run.
"""

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from app.core.config import Settings
from app.mail import EmailDeliveryError, render, send_email
from tests.conftest import make_settings
from tests.utils.factories import random_email
from tests.utils.smtp import Mailbox, Receiver, free_port

LOGIN = "mailer"
PASSWORD = "mail-password"


@dataclass
class Conversation:
    """What the server saw: the messages, how each was sent, and each QUIT."""

    mailbox: Mailbox = field(default_factory=Mailbox)
    # (over TLS, logged in) for each message
    deliveries: list[tuple[bool, bool]] = field(default_factory=list)
    quits: int = 0

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        # STARTTLS sets session.ssl; TLS from the start shows on the transport.
        over_tls = session.ssl is not None or (
            server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None
        )
        self.deliveries.append((over_tls, bool(session.authenticated)))
        return await Receiver(self.mailbox).handle_DATA(server, session, envelope)

    async def handle_QUIT(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, _session: Session, _envelope: Envelope
    ) -> str:
        self.quits += 1
        return "221 Bye"


def check_login(
    _server: SMTP,
    _session: Session,
    _envelope: Envelope,
    _mechanism: str,
    auth_data: object,
) -> AuthResult:
    expected = LoginPassword(LOGIN.encode(), PASSWORD.encode())
    # Not handled: aiosmtpd answers a refusal with its own 535.
    return AuthResult(success=auth_data == expected, handled=False)


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl was not found: install Debian's 'openssl' package")
    folder: Path = tmp_path_factory.mktemp("smtp-tls")
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


def serve(conversation: Conversation, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(
        conversation,
        hostname="127.0.0.1",
        port=port,
        authenticator=check_login,
        # PLAIN only: smtplib tries every mechanism offered before giving up.
        auth_exclude_mechanism=["LOGIN"],
        **({"auth_required": True} | options),
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def conversation() -> Conversation:
    return Conversation()


@pytest.fixture
def starttls_port(
    conversation: Conversation, tls_context: ssl.SSLContext
) -> Iterator[int]:
    """A submission server (port 587 style): STARTTLS required before anything else."""
    yield from serve(conversation, tls_context=tls_context, require_starttls=True)


@pytest.fixture
def implicit_tls_port(
    conversation: Conversation, tls_context: ssl.SSLContext
) -> Iterator[int]:
    """A server that speaks TLS from the first byte (port 465 style)."""
    # aiosmtpd counts only STARTTLS as TLS for AUTH (and will not require AUTH
    # without it); this connection is TLS throughout, and logging in is checked below.
    yield from serve(
        conversation,
        ssl_context=tls_context,
        auth_require_tls=False,
        auth_required=False,
    )


def settings_for(database_url: str, port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {"SMTP_USER": LOGIN, "SMTP_PASSWORD": PASSWORD}
    return make_settings(database_url, port, **(values | overrides))


def send_test_email(settings: Settings) -> str:
    email_to = random_email()
    send_email(
        settings=settings,
        email_to=email_to,
        email_data=render("test_email", "Test email", settings, email=email_to),
    )
    return email_to


def test_starttls_then_login_then_send_then_quit(
    database_url: str, starttls_port: int, conversation: Conversation
) -> None:
    settings = settings_for(database_url, starttls_port, SMTP_TLS=True)

    email_to = send_test_email(settings)

    assert conversation.mailbox.only()["To"] == email_to
    assert conversation.deliveries == [(True, True)]
    assert conversation.quits == 1


def test_tls_from_the_start_then_login_then_send_then_quit(
    database_url: str, implicit_tls_port: int, conversation: Conversation
) -> None:
    settings = settings_for(
        database_url, implicit_tls_port, SMTP_TLS=False, SMTP_SSL=True
    )

    email_to = send_test_email(settings)

    assert conversation.mailbox.only()["To"] == email_to
    assert conversation.deliveries == [(True, True)]
    assert conversation.quits == 1


def test_a_refused_login_is_a_delivery_error_and_the_connection_still_quits(
    database_url: str, starttls_port: int, conversation: Conversation
) -> None:
    settings = settings_for(
        database_url, starttls_port, SMTP_TLS=True, SMTP_PASSWORD="wrong-password"
    )

    with pytest.raises(EmailDeliveryError) as refused:
        send_test_email(settings)

    assert str(refused.value) == (
        "SMTP did not accept the message: 535 5.7.8 Authentication credentials invalid"
    )
    assert conversation.mailbox.messages == []
    assert conversation.quits == 1


def test_a_server_that_never_answers_times_out(database_url: str) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are accepted by the kernel, then nothing
        settings = settings_for(
            database_url, silent.getsockname()[1], SMTP_TIMEOUT_SECONDS=1
        )
        started = time.monotonic()

        with pytest.raises(EmailDeliveryError) as timed_out:
            send_test_email(settings)

        took = time.monotonic() - started
    assert str(timed_out.value) == (
        "SMTP did not accept the message: Connection unexpectedly closed: timed out"
    )
    assert 1 <= took < 3
