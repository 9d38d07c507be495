"""Serve the built admin UI from the API's own port, with client-side routes falling back to it."""

from pathlib import Path

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from app.core.config import API_V1_STR, Settings

DEFAULT_FRONTEND_DIST = Path(__file__).resolve().parents[3] / "frontend" / "dist"
# Paths the UI must never shadow, even when a client-side route has the same name.
# Whole segments: `/docs` and `/docs/...` are reserved, a client route `/docsearch` is not.
# `metrics` too: they are served on their own port only, never here.
RESERVED_PATHS = (API_V1_STR.strip("/"), "docs", "redoc", "health", "metrics")


class _FrontendRoute(APIRoute):
    """The UI's catch-all, blind to reserved paths: routing goes on as if it were not
    there, so an unknown API path is a 404 for every method (not this GET route's 405)
    and `/api/v1/users` still redirects to `/api/v1/users/`."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            path = child_scope["path_params"]["path"]
            if any(path == p or path.startswith(f"{p}/") for p in RESERVED_PATHS):
                return Match.NONE, {}
        return match, child_scope


def serve_frontend(app: FastAPI, settings: Settings) -> None:
    """The UI's catch-all; call after the API's routes, which it must never shadow."""
    dist = settings.FRONTEND_DIST or DEFAULT_FRONTEND_DIST
    index = dist / "index.html"
    if not index.is_file():
        return
    root = dist.resolve()

    async def frontend(path: str) -> FileResponse:
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Vite fingerprints everything under assets/: cache it for good.
            immutable = candidate.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            # A stale tab asking for an old bundle must get a 404, not HTML as JS.
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.router.add_api_route(
        "/{path:path}",
        frontend,
        methods=["GET"],
        include_in_schema=False,
        route_class_override=_FrontendRoute,
    )
