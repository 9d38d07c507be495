"""The caller's accounts at sign-in providers: which are linked, and unlinking one.
(Linking starts at `/login/oidc/{provider}/link`.)"""

import uuid

from fastapi import APIRouter, status

from app import crud
from app.api.deps import AuditDep, CurrentUser, DbDep
from app.models import UserIdentityPublic

router = APIRouter(prefix="/users/me/identities", tags=["users"])


@router.get("/")
async def read_identities(
    db: DbDep, current_user: CurrentUser
) -> list[UserIdentityPublic]:
    """The caller's linked provider accounts, oldest first (a short list: one per
    provider account, so it is not paged)."""
    rows = await crud.list_identities(db=db, user_id=current_user.id)
    return [
        UserIdentityPublic.model_validate(row, from_attributes=True) for row in rows
    ]


@router.delete("/{identity_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_identity(
    identity_id: uuid.UUID, db: DbDep, current_user: CurrentUser, audit: AuditDep
) -> None:
    """Unlink a provider account. The last way to sign in stays: an account without
    a password keeps its last provider (403) until a password is set through
    password recovery."""
    await crud.unlink_identity(
        db=db,
        user=current_user,
        identity_id=identity_id,
        audit=audit.by(current_user.id),
    )
