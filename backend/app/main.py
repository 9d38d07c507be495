import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sentry_sdk
from anyio import to_thread
from fastapi import FastAPI, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app import crud
from app.api.main import build_api_router
from app.core.config import API_V1_STR, Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.logging import RequestLoggingMiddleware, configure_logging
from app.frontend import mount_frontend
from app.request_id import RequestIdMiddleware, current_request_id

logger = logging.getLogger(__name__)

DEFAULT_FRONTEND_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"


def custom_generate_unique_id(route: APIRoute) -> str:
    """Stable operation ids (`users-read_user_me`) for the generated client."""
    return f"{route.tags[0]}-{route.name}"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = create_engine(app.state.settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    await to_thread.run_sync(
        lambda: crud.prepare_login_timing(
            bcrypt_rounds=app.state.settings.BCRYPT_ROUNDS
        )
    )
    try:
        yield
    finally:
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
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return await database_unavailable(request, exc)
    return await unhandled_error(request, exc)


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
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "Internal server error", "request_id": request_id},
    )


def init_sentry(settings: Settings) -> None:
    if settings.SENTRY_DSN and settings.ENVIRONMENT != "local":
        sentry_sdk.init(
            dsn=str(settings.SENTRY_DSN),
            environment=settings.ENVIRONMENT,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    init_sentry(settings)
    app = FastAPI(
        title=settings.PROJECT_NAME,
        openapi_url=f"{API_V1_STR}/openapi.json",
        generate_unique_id_function=custom_generate_unique_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.dependency_overrides[get_settings] = lambda: settings

    app.add_exception_handler(PoolTimeoutError, database_unavailable)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unhandled_error)

    if settings.all_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.all_cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestLoggingMiddleware)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/health", tags=["utils"])
    async def health() -> dict[str, str]:
        """Liveness at the root, for load balancers."""
        return {"status": "ok"}

    app.include_router(build_api_router(settings), prefix=API_V1_STR)
    mount_frontend(app, settings.FRONTEND_DIST or DEFAULT_FRONTEND_DIST)
    return app
