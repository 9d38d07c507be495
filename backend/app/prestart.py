"""Before the server starts: wait for the database, migrate it, create the first superuser.

Run it as often as you like: a second run changes nothing.
"""

import asyncio
import logging
import sys
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from tenacity import AsyncRetrying, before_sleep_log, stop_after_attempt, wait_fixed

from app import crud
from app.core.config import Settings, get_settings
from app.core.db import Database, libpq_url
from app.exceptions import EmailAlreadyRegisteredError
from app.models import UserCreate

logger = logging.getLogger("app.prestart")

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
MAX_TRIES = 60
WAIT_SECONDS = 1


async def wait_for_database(settings: Settings, *, max_tries: int = MAX_TRIES) -> None:
    """Try a query every WAIT_SECONDS; the last failure is raised after `max_tries`."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(max_tries),
        wait=wait_fixed(WAIT_SECONDS),
        before_sleep=before_sleep_log(logger, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            # A connection of its own: its error says why the server is unreachable.
            async with await psycopg.AsyncConnection.connect(
                libpq_url(settings.DATABASE_URL or ""),
                connect_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
            ) as connection:
                await connection.execute("SELECT 1")


def migrate(database_url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def create_first_superuser(db: Database, settings: Settings) -> bool:
    """Create the superuser from settings unless that email exists; True if created."""
    if await crud.get_user_by_email(db=db, email=settings.FIRST_SUPERUSER):
        return False
    try:
        await crud.create_user(
            db=db,
            user_create=UserCreate(
                email=settings.FIRST_SUPERUSER,
                password=settings.FIRST_SUPERUSER_PASSWORD,
                is_superuser=True,
                # The operator chose this address; there is no one to click a
                # verification link for it, and production requires one.
                is_verified=True,
                full_name="Administrator",
            ),
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
        )
    except EmailAlreadyRegisteredError:
        return False  # another prestart created it at the same moment
    return True


async def prestart(settings: Settings, *, max_tries: int = MAX_TRIES) -> None:
    db = Database(settings)
    try:
        logger.info("Waiting for the database")
        await wait_for_database(settings, max_tries=max_tries)
        await db.open()
        logger.info("Applying migrations")
        assert settings.DATABASE_URL is not None  # Database checked it
        await asyncio.to_thread(migrate, settings.DATABASE_URL)
        if await create_first_superuser(db, settings):
            logger.info("Created the first superuser %s", settings.FIRST_SUPERUSER)
        else:
            logger.info("The first superuser %s exists", settings.FIRST_SUPERUSER)
    finally:
        await db.close()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(prestart(get_settings()))
    except Exception as exc:
        logger.error("Prestart failed: %s", exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
