"""A real SMTP server, in-process, that keeps what it receives."""

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Mailbox:
    """What the server received. Emails are sent by background jobs: reading the
    mailbox first runs `settle` (a worker until no job is left to run now), as a
    user would wait for the mail."""

    received: list[EmailMessage] = field(default_factory=list)
    # Each message as it came over the wire, in the same order.
    received_raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    settle: Callable[[], None] | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        if self.settle is not None:
            self.settle()
        return self.received

    @property
    def raw(self) -> list[bytes]:
        if self.settle is not None:
            self.settle()
        return self.received_raw

    def clear(self) -> None:
        """Forget what was received, once the jobs queued so far have run."""
        if self.settle is not None:
            self.settle()
        with self.lock:
            self.received.clear()
            self.received_raw.clear()

    def only(self) -> EmailMessage:
        """The one message received; fails when there is none or several."""
        messages = self.messages
        with self.lock:
            assert len(messages) == 1, [m["Subject"] for m in messages]
            return messages[0]

    def only_raw(self) -> bytes:
        """The one message received, as it came over the wire."""
        self.only()
        with self.lock:
            return self.received_raw[0]

    @staticmethod
    def html(message: EmailMessage) -> str:
        return Mailbox._body(message, "html")

    @staticmethod
    def text(message: EmailMessage) -> str:
        return Mailbox._body(message, "plain")

    @staticmethod
    def _body(message: EmailMessage, subtype: str) -> str:
        body = message.get_body(preferencelist=(subtype,))
        assert body is not None
        assert body.get_content_subtype() == subtype
        content: Any = body.get_content()
        assert isinstance(content, str)
        # SMTP carries lines ending in CRLF; the sender wrote them with LF.
        return content.replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Receiver:
    """The server's handler: it files each message in the mailbox. (Apart from the
    mailbox, whose reads run jobs: the server looks its handler's attributes over.)"""

    mailbox: Mailbox

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        with self.mailbox.lock:
            self.mailbox.received.append(message)
            self.mailbox.received_raw.append(envelope.content)
        return "250 Message accepted for delivery"


def start_smtp_server() -> tuple[int, Controller, Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(Receiver(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    return port, controller, mailbox
