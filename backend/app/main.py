import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
import sentry_sdk
from anyio import to_thread
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import crud
from app.api.main import OPENAPI_TAGS, api_routers
from app.core.config import API_V1_STR, Settings, get_settings
from app.core.db import create_engine, create_pool, create_sessionmaker
from app.core.logging import configure_logging
from app.core.rate_limit import RateLimiter, key_prefix
from app.edge import EdgeMiddleware
from app.frontend import mount_frontend
from app.request_id import HEADER as REQUEST_ID_HEADER
from app.request_id import current_request_id
from app.security_headers import BodySizeLimitMiddleware, security_headers

logger = logging.getLogger(__name__)

DEFAULT_FRONTEND_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"


def custom_generate_unique_id(route: APIRoute) -> str:
    """Stable operation ids (`users-read_user_me`) for the generated client."""
    # Untagged routes (the UI's catch-all, hidden from the schema) keep their name.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = create_engine(app.state.settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    pool = create_pool(app.state.settings)
    # Connections are made on demand: the app starts while the database is down.
    await pool.open(wait=False)
    app.state.pool = pool
    await to_thread.run_sync(
        lambda: crud.prepare_login_timing(
            bcrypt_rounds=app.state.settings.BCRYPT_ROUNDS
        )
    )
    app.state.rate_limiter = RateLimiter(
        enabled=app.state.settings.RATE_LIMIT_ENABLED,
        redis_url=app.state.settings.REDIS_URL,
        prefix=key_prefix(app.state.settings.PROJECT_NAME),
    )
    try:
        yield
    finally:
        await app.state.rate_limiter.close()
        await pool.close()
        await engine.dispose()


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "Database unavailable during %s %s: %s",
        request.method,
        request.url.path,
        exc.__class__.__name__,
    )
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "Database unavailable, please try again shortly"},
        headers={"Retry-After": "5"},
    )


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """Connection trouble is the database being down (503); anything else is a bug."""
    if isinstance(
        exc,
        OperationalError
        | InterfaceError
        | psycopg.OperationalError
        | psycopg.InterfaceError,
    ) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return await database_unavailable(request, exc)
    return await unhandled_error(request, exc)


def _printable(text: str | bytes) -> str:
    """Text JSON can carry: undecodable bytes and lone surrogates become U+FFFD."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


SECRET_FIELD_MARKERS = ("password", "token")


def _without_secret_input(error: dict[str, object]) -> dict[str, object]:
    """A rejected password or token is not echoed back (nor into logs that keep bodies)."""
    location = error.get("loc")
    names = (
        [str(part).lower() for part in location]
        if isinstance(location, tuple | list)
        else []
    )
    if any(marker in name for name in names for marker in SECRET_FIELD_MARKERS):
        return {key: value for key, value in error.items() if key != "input"}
    return error


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, without echoing secrets, and never a 500 for undecodable input."""
    errors = (
        [_without_secret_input(error) for error in exc.errors()]
        if isinstance(exc, RequestValidationError)
        else []
    )
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={
            "detail": jsonable_encoder(
                errors, custom_encoder={str: _printable, bytes: _printable}
            )
        },
    )


async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: log it with the request id; the body reveals nothing internal."""
    request_id = current_request_id()
    logger.error(
        "Unhandled error in %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    # Starlette sends this answer from outside every middleware, so the headers
    # they add to other answers (request id, security headers) are set here.
    headers = security_headers(request.scope)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "Internal server error", "request_id": request_id},
        headers=headers,
    )


def init_sentry(settings: Settings) -> None:
    if settings.SENTRY_DSN and settings.ENVIRONMENT != "local":
        sentry_sdk.init(
            dsn=str(settings.SENTRY_DSN),
            environment=settings.ENVIRONMENT,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
            # Stack locals and request bodies carry passwords and tokens in fields
            # (`new_password`, `refresh_token`, raw ASGI headers) that Sentry's
            # scrubber does not know: send neither.
            include_local_variables=False,
            max_request_body_size="never",
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    init_sentry(settings)
    app = FastAPI(
        title=settings.PROJECT_NAME,
        openapi_url=f"{API_V1_STR}/openapi.json",
        generate_unique_id_function=custom_generate_unique_id,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(PoolTimeoutError, database_unavailable)
    app.add_exception_handler(PoolTimeout, database_unavailable)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(psycopg.Error, database_error)
    app.add_exception_handler(Exception, unhandled_error)

    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.MAX_REQUEST_BODY_BYTES
    )
    if settings.all_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.all_cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(EdgeMiddleware)
    if settings.TRUSTED_PROXIES:
        # Outermost: everything inside sees the real client address and scheme.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=settings.TRUSTED_PROXIES
        )

    @app.get("/health", tags=["utils"])
    async def health() -> dict[str, str]:
        """Liveness at the root, for load balancers."""
        return {"status": "ok"}

    for router in api_routers(settings):
        app.include_router(router, prefix=API_V1_STR)
    mount_frontend(app, settings.FRONTEND_DIST or DEFAULT_FRONTEND_DIST)
    return app
