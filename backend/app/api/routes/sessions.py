"""The caller's logins: where they are logged in, and ending any of them."""

import uuid

from fastapi import APIRouter, status

from app import crud
from app.api.deps import AuditDep, AuthenticatedDep, DbDep
from app.exceptions import NotFoundError
from app.models import SessionPublic

router = APIRouter(prefix="/users/me/sessions", tags=["users"])


@router.get("/")
async def read_sessions(db: DbDep, caller: AuthenticatedDep) -> list[SessionPublic]:
    """The caller's live sessions (logins whose refresh token still works), the most
    recently used first, at most 100: when and how each started, from which address
    and browser, and which one is asking (`current`)."""
    rows = await crud.list_sessions(db=db, user_id=caller.user.id)
    current = caller.session_id
    return [
        SessionPublic.model_validate({**row, "current": row["id"] == current})
        for row in rows
    ]


@router.delete("/", status_code=status.HTTP_204_NO_CONTENT)
async def end_other_sessions(
    db: DbDep, caller: AuthenticatedDep, audit: AuditDep
) -> None:
    """Log out everywhere else: every live session of the caller's but the one
    asking ends at once (its access tokens stop working too)."""
    await crud.end_sessions(
        db=db,
        user_id=caller.user.id,
        keep=caller.session_id,
        audit=audit.by(caller.user.id),
    )


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(
    session_id: uuid.UUID, db: DbDep, caller: AuthenticatedDep, audit: AuditDep
) -> None:
    """End one of the caller's live sessions (the one asking too: that is a logout);
    404 for any other."""
    ended = await crud.end_sessions(
        db=db,
        user_id=caller.user.id,
        session_id=session_id,
        audit=audit.by(caller.user.id),
    )
    if not ended:
        raise NotFoundError("Session")
