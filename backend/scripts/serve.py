"""Run the whole app on one machine: database, migrations, first superuser, server.

    python scripts/serve.py [--reload] [--workers N] [--host H] [--port P]

Without DATABASE_URL an embedded PostgreSQL is started for the server's lifetime.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
from types import FrameType

from app.core.config import get_settings
from devtools.embedded_postgres import prepare_local_database

logger = logging.getLogger("app.serve")


def server_command(args: argparse.Namespace) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        args.host,
        "--port",
        str(args.port),
        # The app reads proxy headers itself, from TRUSTED_PROXIES only.
        "--no-proxy-headers",
    ]
    if args.reload:
        command.append("--reload")
    else:
        command += ["--workers", str(args.workers)]
    return command


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
    )
    parser.add_argument("--reload", action="store_true", help="restart on code changes")
    args = parser.parse_args()

    env = dict(os.environ)
    if get_settings().DATABASE_URL:
        subprocess.run([sys.executable, "-m", "app.prestart"], env=env, check=True)
    else:
        env["DATABASE_URL"] = prepare_local_database()
        logger.info("No DATABASE_URL given: using the embedded PostgreSQL")

    server = subprocess.Popen(server_command(args), env=env)

    def forward(signum: int, _frame: FrameType | None) -> None:
        server.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    sys.exit(server.wait())


if __name__ == "__main__":
    main()
