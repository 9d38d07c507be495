"""The ceiling: a bare FastAPI app with one `async def` endpoint returning a constant.

Served by the same uvicorn command and worker count as the real app, it measures what
this machine, this server and this load generator can do at most; every endpoint's
req/s is reported as a share of it.
"""

from fastapi import FastAPI

CONSTANT = {"status": "ok", "message": "ceiling"}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ceiling")
    async def ceiling() -> dict[str, str]:
        return CONSTANT

    return app
