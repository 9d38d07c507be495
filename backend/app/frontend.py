"""Serve the built admin UI from the API's own port, with client-side routes falling back to it."""

from pathlib import Path

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse

from app.core.config import API_V1_STR

# Paths the UI must never shadow, even when a client-side route has the same name.
RESERVED_PREFIXES = (API_V1_STR.strip("/") + "/", "docs", "redoc", "health")


def mount_frontend(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def frontend(path: str) -> FileResponse:
        if path.startswith(RESERVED_PREFIXES) or path == API_V1_STR.strip("/"):
            raise HTTPException(
                status_code=status.HTTP_404_NOT_FOUND, detail="Not Found"
            )
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Vite fingerprints everything under assets/: cache it for good.
            immutable = candidate.parent.name == "assets"
            return FileResponse(
                candidate,
                headers={"Cache-Control": "public, max-age=31536000, immutable"}
                if immutable
                else {"Cache-Control": "no-cache"},
            )
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
