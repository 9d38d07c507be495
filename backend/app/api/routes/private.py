"""Helpers for end-to-end tests, mounted only when ENVIRONMENT=local."""

from fastapi import APIRouter, status

from app import crud
from app.api.deps import DbDep, SettingsDep
from app.models import PrivateUserCreate, UserCreate, UserPublic

router = APIRouter(prefix="/private", tags=["private"])


@router.post("/users/", status_code=status.HTTP_201_CREATED)
async def create_user(
    user_in: PrivateUserCreate, db: DbDep, settings: SettingsDep
) -> UserPublic:
    """Create a user without authentication (local environment only)."""
    user = await crud.create_user(
        db=db,
        user_create=UserCreate.model_validate(user_in),
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
    )
    return UserPublic.model_validate(user)
