"""The app as the browser tests see it: a fresh database, a mail catcher, the built UI.

Run from backend/ (its virtualenv has the app and aiosmtpd):

    uv run --frozen python ../frontend/e2e/server.py

Uses DATABASE_URL's server when set, the embedded PostgreSQL otherwise, with a new
database `app_e2e_<pid>` for each run, dropped when the server stops (and, should a run
have been killed, by the next run). Mail sent by the app is kept in memory and served
as JSON on E2E_MAIL_PORT (GET /messages?to=ADDRESS). A test can have the SMTP server turn
an address away, as a mail server does with a mailbox it does not know (POST
/refused?to=ADDRESS), and take it back (DELETE /refused?to=ADDRESS). Each job gets one
try (JOBS_MAX_ATTEMPTS=1), so an email turned away ends a failed job at once.

Two sign-in providers run on ports of their own (`backend/tests/utils/fake_provider.py`):
a fake OpenID provider ("Fake ID") and a fake GitHub. Each signs in whoever the tests
name with POST /provider-login on the mail port ({"provider": "fake" or "github",
"subject", "email", "email_verified"}; GitHub's subjects are numbers), approving at
once.
"""

import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import socket
import sys
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

FRONTEND_DIR = Path(__file__).resolve().parents[1]
BACKEND_DIR = FRONTEND_DIR.parent / "backend"
DATABASE_PREFIX = "app_e2e_"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        with self.lock:
            if address.lower() in self.refused:
                return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("html", "plain"))
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append(
                    {
                        "to": recipient.lower(),
                        "subject": str(message["Subject"]),
                        "body": body.get_content() if body else "",
                    }
                )
        return "250 Message accepted for delivery"

    def refuse(self, address: str, refused: bool) -> None:
        with self.lock:
            if refused:
                self.refused.add(address.lower())
            else:
                self.refused.discard(address.lower())

    def for_recipient(self, address: str | None) -> list[dict[str, str]]:
        with self.lock:
            return [
                m for m in self.messages if not address or m["to"] == address.lower()
            ]


def serve_mailbox(mailbox: Mailbox, port: int, providers: dict[str, Any]) -> None:
    from tests.utils.fake_provider import Login

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            if urlparse(self.path).path == "/refused":
                self.change_refused(True)
                return
            if urlparse(self.path).path != "/provider-login":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            login = json.loads(self.rfile.read(length))
            providers[login.get("provider", "fake")].sign_in_as(
                Login(
                    subject=str(login["subject"]),
                    email=login.get("email"),
                    email_verified=bool(login.get("email_verified", True)),
                    name=login.get("name"),
                )
            )
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path != "/messages":
                self.send_error(404)
                return
            address = parse_qs(url.query).get("to", [None])[0]
            payload = json.dumps(mailbox.for_recipient(address)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def change_refused(self, refused: bool) -> None:
            url = urlparse(self.path)
            address = parse_qs(url.query).get("to", [None])[0]
            if url.path != "/refused" or not address:
                self.send_error(404)
                return
            mailbox.refuse(address, refused)
            self.send_response(204)
            self.end_headers()

        def do_DELETE(self) -> None:  # noqa: N802
            self.change_refused(False)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_databases(server_url: str, names: list[str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as connection:
        for name in names:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def stale_databases(server_url: str) -> list[str]:
    """E2E databases of runs whose server is gone (killed before it could clean up)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (DATABASE_PREFIX.replace("_", "\\_") + "%",),
        ).fetchall()
    names = [row[0] for row in rows]
    return [
        name
        for name in names
        if not name.removeprefix(DATABASE_PREFIX).isdigit()
        or not pid_alive(int(name.removeprefix(DATABASE_PREFIX)))
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    app_port = int(os.environ.get("E2E_APP_PORT", "8765"))
    mail_port = int(os.environ.get("E2E_MAIL_PORT", "8766"))

    # The backend's test helpers: the fake OpenID provider and the fake GitHub.
    sys.path.insert(0, str(BACKEND_DIR))
    from tests.utils.fake_provider import FakeGitHub, FakeOpenIDProvider

    provider, github = FakeOpenIDProvider(), FakeGitHub()
    provider.start()
    github.start()

    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    serve_mailbox(mailbox, mail_port, {"fake": provider, "github": github})

    from devtools.embedded_postgres import create_database, start_embedded_postgres

    server_url = os.environ.get("DATABASE_URL") or start_embedded_postgres()
    drop_databases(server_url, stale_databases(server_url))
    database_name = f"{DATABASE_PREFIX}{os.getpid()}"
    database_url = create_database(server_url, database_name, recreate=True)

    os.environ.update(
        {
            "ENVIRONMENT": "local",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "e2e-secret-key-long-enough-for-hs256-signatures",
            "BCRYPT_ROUNDS": "4",
            "FRONTEND_HOST": f"http://127.0.0.1:{app_port}",
            "FIRST_SUPERUSER": os.environ.get("E2E_ADMIN_EMAIL", "admin@example.com"),
            "FIRST_SUPERUSER_PASSWORD": os.environ.get(
                "E2E_ADMIN_PASSWORD", "e2e-admin-password"
            ),
            "FRONTEND_DIST": str(FRONTEND_DIR / "dist"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_TLS": "false",
            "SMTP_SSL": "false",
            "SMTP_USER": "",
            "SMTP_PASSWORD": "",
            "EMAILS_FROM_EMAIL": "noreply@example.com",
            "USERS_OPEN_REGISTRATION": "true",
            # Every test logs in from 127.0.0.1: the per-IP login limit would refuse them.
            "RATE_LIMIT_ENABLED": "false",
            # Off as in local development; one server of the suite turns it on.
            "EMAIL_VERIFICATION_REQUIRED": os.environ.get(
                "E2E_EMAIL_VERIFICATION", "false"
            ),
            "SENTRY_DSN": "",
            # An email the mail server turns away fails its job at the first try.
            "JOBS_MAX_ATTEMPTS": "1",
            "OIDC_PROVIDERS": json.dumps(
                [provider.config(), {**github.config(), "display": "GitHub"}]
            ),
        }
    )
    # Empty values would fall back to the repository's .env: drop them instead.
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SENTRY_DSN"):
        os.environ.pop(name)

    import uvicorn

    from app.core.config import get_settings
    from app.prestart import prestart

    get_settings.cache_clear()
    asyncio.run(prestart(get_settings()))
    # One line per request would drown the test report: keep warnings and errors.
    logging.getLogger("app.access").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(
        logging.WARNING
    )  # the SMTP server's dialogue
    sys.stderr.write(
        f"E2E app on http://127.0.0.1:{app_port}, mail on http://127.0.0.1:{mail_port}\n"
    )
    # Uvicorn shuts down on SIGTERM, then raises the signal again: let that be an exit
    # that runs the clean-up below rather than an abrupt end.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host="127.0.0.1",
            port=app_port,
            log_level="warning",
        )
    finally:
        smtp.stop()
        provider.stop()
        github.stop()
        drop_databases(server_url, [database_name])


if __name__ == "__main__":
    main()
