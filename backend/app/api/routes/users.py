import uuid

from fastapi import APIRouter, BackgroundTasks, HTTPException, status

from app import crud
from app.api.deps import (
    CurrentUser,
    Limit,
    SessionDep,
    SettingsDep,
    Skip,
    SuperuserDep,
)
from app.core import security
from app.exceptions import EmailAlreadyRegisteredError
from app.mail import generate_new_account_email, send_email_in_background
from app.models import (
    Message,
    UpdatePassword,
    User,
    UserCreate,
    UserPublic,
    UserRegister,
    UsersPublic,
    UserUpdate,
    UserUpdateMe,
)

router = APIRouter(prefix="/users", tags=["users"])


def conflict(exc: EmailAlreadyRegisteredError) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc))


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=detail)


@router.get("/")
async def read_users(
    session: SessionDep, _superuser: SuperuserDep, skip: Skip = 0, limit: Limit = 100
) -> UsersPublic:
    """List users, oldest first (superuser)."""
    users, count = await crud.list_users(session=session, skip=skip, limit=limit)
    return UsersPublic(
        data=[UserPublic.model_validate(user) for user in users], count=count
    )


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_user(
    user_in: UserCreate,
    session: SessionDep,
    settings: SettingsDep,
    background_tasks: BackgroundTasks,
    _superuser: SuperuserDep,
) -> UserPublic:
    """Create a user (superuser). A welcome email goes out when email is configured."""
    try:
        user = await crud.create_user(
            session=session, user_create=user_in, bcrypt_rounds=settings.BCRYPT_ROUNDS
        )
    except EmailAlreadyRegisteredError as exc:
        raise conflict(exc) from exc
    if settings.emails_enabled:
        background_tasks.add_task(
            send_email_in_background,
            settings=settings,
            email_to=user.email,
            email_data=generate_new_account_email(
                settings=settings, email_to=user.email
            ),
        )
    return UserPublic.model_validate(user)


@router.get("/me")
async def read_user_me(current_user: CurrentUser) -> UserPublic:
    """The caller's own account."""
    return UserPublic.model_validate(current_user)


@router.patch("/me")
async def update_user_me(
    user_in: UserUpdateMe,
    session: SessionDep,
    settings: SettingsDep,
    current_user: CurrentUser,
) -> UserPublic:
    """Change the caller's name or email."""
    try:
        user = await crud.update_user(
            session=session,
            db_user=current_user,
            user_in=user_in,
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
        )
    except EmailAlreadyRegisteredError as exc:
        raise conflict(exc) from exc
    return UserPublic.model_validate(user)


@router.patch("/me/password")
async def update_password_me(
    body: UpdatePassword,
    session: SessionDep,
    settings: SettingsDep,
    current_user: CurrentUser,
) -> Message:
    """Change the caller's password. Every session ends, this one included: log in again."""
    if not await security.verify_password_async(
        body.current_password, current_user.hashed_password
    ):
        raise HTTPException(
            status_code=status.HTTP_400_BAD_REQUEST, detail="Incorrect password"
        )
    if body.current_password == body.new_password:
        raise HTTPException(
            status_code=status.HTTP_400_BAD_REQUEST,
            detail="New password cannot be the same as the current one",
        )
    await crud.set_password(
        session=session,
        db_user=current_user,
        new_password=body.new_password,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
    )
    return Message(message="Password updated successfully")


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user_me(session: SessionDep, current_user: CurrentUser) -> None:
    """Delete the caller's account and its items. Superusers cannot delete themselves."""
    if current_user.is_superuser:
        raise forbidden("Super users are not allowed to delete themselves")
    await crud.delete_user(session=session, db_user=current_user)


@router.post("/signup", status_code=status.HTTP_201_CREATED)
async def register_user(
    user_in: UserRegister, session: SessionDep, settings: SettingsDep
) -> UserPublic:
    """Create an account without being logged in (unless open registration is off)."""
    if not settings.USERS_OPEN_REGISTRATION:
        raise forbidden("Open user registration is forbidden on this server")
    try:
        user = await crud.create_user(
            session=session,
            user_create=UserCreate.model_validate(user_in),
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
        )
    except EmailAlreadyRegisteredError as exc:
        raise conflict(exc) from exc
    return UserPublic.model_validate(user)


async def _get_user_or_404(*, session: SessionDep, user_id: uuid.UUID) -> User:
    user = await crud.get_user(session=session, user_id=user_id)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="User not found"
        )
    return user


@router.get("/{user_id}")
async def read_user_by_id(
    user_id: uuid.UUID, session: SessionDep, current_user: CurrentUser
) -> UserPublic:
    """A user by id: one's own account, or any account for a superuser."""
    if user_id == current_user.id:
        return UserPublic.model_validate(current_user)
    if not current_user.is_superuser:
        raise forbidden("The user doesn't have enough privileges")
    return UserPublic.model_validate(
        await _get_user_or_404(session=session, user_id=user_id)
    )


@router.patch("/{user_id}")
async def update_user(
    user_id: uuid.UUID,
    user_in: UserUpdate,
    session: SessionDep,
    settings: SettingsDep,
    superuser: SuperuserDep,
) -> UserPublic:
    """Update a user (superuser). A new password or deactivation ends its sessions."""
    user = await _get_user_or_404(session=session, user_id=user_id)
    if user.id == superuser.id and (
        user_in.is_active is False or user_in.is_superuser is False
    ):
        raise forbidden("Super users cannot deactivate or demote themselves")
    try:
        user = await crud.update_user(
            session=session,
            db_user=user,
            user_in=user_in,
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
        )
    except EmailAlreadyRegisteredError as exc:
        raise conflict(exc) from exc
    return UserPublic.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(
    user_id: uuid.UUID, session: SessionDep, superuser: SuperuserDep
) -> None:
    """Delete a user and its items (superuser). Super users cannot delete themselves."""
    user = await _get_user_or_404(session=session, user_id=user_id)
    if user.id == superuser.id:
        raise forbidden("Super users are not allowed to delete themselves")
    await crud.delete_user(session=session, db_user=user)
