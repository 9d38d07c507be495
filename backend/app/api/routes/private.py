"""Helpers for end-to-end tests, mounted only when ENVIRONMENT=local."""

from fastapi import APIRouter, HTTPException, status

from app import crud
from app.api.deps import SessionDep, SettingsDep
from app.exceptions import EmailAlreadyRegisteredError
from app.models import PrivateUserCreate, UserCreate, UserPublic

router = APIRouter(prefix="/private", tags=["private"])


@router.post("/users/", status_code=status.HTTP_201_CREATED)
async def create_user(
    user_in: PrivateUserCreate, session: SessionDep, settings: SettingsDep
) -> UserPublic:
    """Create a user without authentication (local environment only)."""
    try:
        user = await crud.create_user(
            session=session,
            user_create=UserCreate.model_validate(user_in),
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
        )
    except EmailAlreadyRegisteredError as exc:
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail=str(exc)
        ) from exc
    return UserPublic.model_validate(user)
