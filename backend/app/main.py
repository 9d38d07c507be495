from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import sentry_sdk
from anyio import to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import crud
from app.api.main import OPENAPI_TAGS, api_routers
from app.core.config import API_V1_STR, Settings, get_settings
from app.core.db import Database
from app.core.logging import configure_logging
from app.core.rate_limit import RateLimiter, key_prefix
from app.edge import install_edge
from app.edge.drain import Drain
from app.edge.frontend import serve_frontend
from app.jobs.metrics import register_queue_metrics
from app.jobs.worker import worker_in_background
from app.observability import Observability
from app.oidc import Providers


def custom_generate_unique_id(route: APIRoute) -> str:
    """Stable operation ids (`users-read_user_me`) for the generated client."""
    # Untagged routes (the UI's catch-all, hidden from the schema) keep their name.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    observability: Observability = app.state.observability
    db = Database(settings, **observability.database_hooks())
    # Connections are made on demand: the app starts while the database is down.
    await db.open()
    app.state.db = db
    await to_thread.run_sync(
        lambda: crud.prepare_login_timing(bcrypt_rounds=settings.BCRYPT_ROUNDS)
    )
    app.state.rate_limiter = RateLimiter(
        enabled=settings.RATE_LIMIT_ENABLED,
        redis_url=settings.REDIS_URL,
        prefix=key_prefix(settings.PROJECT_NAME),
    )
    app.state.drain.install()
    register_queue_metrics(settings)
    async with AsyncExitStack() as stack:
        if settings.JOBS_WORKER_IN_PROCESS:
            await stack.enter_async_context(worker_in_background(settings, db))
        try:
            async with observability.running(db):
                yield
        finally:
            app.state.drain.uninstall()
            await stack.aclose()
            await app.state.rate_limiter.close()
            await db.close()


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
    observability = Observability(settings)
    app = FastAPI(
        title=settings.PROJECT_NAME,
        openapi_url=f"{API_V1_STR}/openapi.json",
        generate_unique_id_function=custom_generate_unique_id,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        telemetry=observability.fastapi_telemetry(),
    )
    app.state.settings = settings
    # What each sign-in provider publishes (metadata, keys) is kept here per app.
    app.state.providers = Providers(settings)
    app.state.observability = observability
    app.state.drain = Drain(settings.shutdown_drain_seconds)
    install_edge(app, settings, metrics=observability.metrics, drain=app.state.drain)

    @app.get("/health", tags=["utils"])
    async def health() -> dict[str, str]:
        """Liveness at the root, for load balancers."""
        return {"status": "ok"}

    for router in api_routers(settings):
        app.include_router(router, prefix=API_V1_STR)
    serve_frontend(app, settings)
    return app


def __getattr__(name: str) -> FastAPI:
    """`app.main:app` for FastAPI's CLI (`fastapi dev app/main.py`, `fastapi run
    app/main.py`) and `uvicorn app.main:app`, made from the settings on first use
    (importing this module does nothing else). Locally without DATABASE_URL, it
    starts the embedded PostgreSQL and prepares it, as the run command does."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    settings = get_settings()
    if not settings.DATABASE_URL and settings.ENVIRONMENT == "local":
        from devtools.embedded_postgres import prepare_local_database

        settings = settings.model_copy(
            update={"DATABASE_URL": prepare_local_database()}
        )
    app = create_app(settings)
    globals()["app"] = app
    return app


def __dir__() -> list[str]:
    return [*globals(), "app"]
