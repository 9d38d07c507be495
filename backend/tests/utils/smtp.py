"""A real SMTP server, in-process, that keeps what it receives."""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    # Each message as it came over the wire, in the same order.
    raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.raw.append(envelope.content)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.raw.clear()

    def only(self) -> EmailMessage:
        """The one message received; fails when there is none or several."""
        with self.lock:
            assert len(self.messages) == 1, [m["Subject"] for m in self.messages]
            return self.messages[0]

    def only_raw(self) -> bytes:
        """The one message received, as it came over the wire."""
        self.only()
        with self.lock:
            return self.raw[0]

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


def start_smtp_server() -> tuple[int, Controller, Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return port, controller, mailbox
