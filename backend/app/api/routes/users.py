import uuid

from fastapi import APIRouter, Depends, status

from app import crud
from app.api.deps import (
    AuditDep,
    CurrentUser,
    DbDep,
    PageDep,
    SettingsDep,
    SuperuserDep,
    acts_as_superuser,
)
from app.api.rate_limits import (
    RATE_LIMITED,
    ThrottledVerificationResend,
    throttle_signup,
)
from app.core import security
from app.exceptions import (
    ForbiddenError,
    IncorrectPasswordError,
    InvalidRequestError,
    NotFoundError,
    invalid_verification,
)
from app.mail import EmailTemplate
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
    VerifyEmail,
)

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/")
async def read_users(db: DbDep, _superuser: SuperuserDep, page: PageDep) -> UsersPublic:
    """List users, oldest first (superuser).

    Page with `skip` and `limit`, or follow `next_cursor` for pages deep in a long list.
    """
    return UsersPublic.of(await crud.list_users(db=db, page=page))


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_user(
    user_in: UserCreate,
    db: DbDep,
    settings: SettingsDep,
    superuser: SuperuserDep,
    audit: AuditDep,
) -> UserPublic:
    """Create a user (superuser). A welcome email goes out when email is configured,
    and a confirmation link where verification is required and `is_verified` is not set.
    """
    emails = [EmailTemplate.NEW_ACCOUNT]
    if settings.email_verification_required and not user_in.is_verified:
        emails.append(EmailTemplate.VERIFY_EMAIL)
    user = await crud.create_user(
        db=db,
        user_create=user_in,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit.by(superuser.id),
        emails=emails,
    )
    return UserPublic.model_validate(user)


@router.get("/me")
async def read_user_me(current_user: CurrentUser) -> UserPublic:
    """The caller's own account."""
    return UserPublic.model_validate(current_user)


@router.patch("/me")
async def update_user_me(
    user_in: UserUpdateMe,
    db: DbDep,
    settings: SettingsDep,
    current_user: CurrentUser,
    audit: AuditDep,
) -> UserPublic:
    """Change the caller's name or email; a new email needs `current_password`.

    Where verification is required, the new email is kept as `pending_email` and
    takes effect once the link sent to it is followed.
    """
    audit = audit.by(current_user.id)
    new_email = user_in.email if user_in.email != current_user.email else None
    if new_email is not None and not await security.verify_password_async(
        user_in.current_password or "", current_user.hashed_password
    ):
        raise IncorrectPasswordError()
    pending = new_email is not None and settings.email_verification_required
    if pending:  # the other fields change now; the email waits for its confirmation
        others = user_in.model_dump(
            exclude_unset=True, exclude={"email", "current_password"}
        )
        user_in = UserUpdateMe.model_validate(others)
    user = await crud.update_user(
        db=db,
        db_user=current_user,
        user_in=user_in,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit,
    )
    if pending and new_email is not None:
        user = await crud.request_email_change(
            db=db, db_user=user, new_email=new_email, audit=audit
        )
    return UserPublic.model_validate(user)


@router.patch("/me/password")
async def update_password_me(
    body: UpdatePassword,
    db: DbDep,
    settings: SettingsDep,
    current_user: CurrentUser,
    audit: AuditDep,
) -> Message:
    """Change the caller's password. Every session ends, this one included: log in again."""
    if not await security.verify_password_async(
        body.current_password, current_user.hashed_password
    ):
        raise IncorrectPasswordError()
    if body.current_password == body.new_password:
        raise InvalidRequestError("New password cannot be the same as the current one")
    await crud.set_password(
        db=db,
        db_user=current_user,
        new_password=body.new_password,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit.by(current_user.id),
    )
    return Message(message="Password updated successfully")


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user_me(db: DbDep, current_user: CurrentUser, audit: AuditDep) -> None:
    """Delete the caller's account and its items. Superusers cannot delete themselves."""
    if current_user.is_superuser:
        raise ForbiddenError("Super users are not allowed to delete themselves")
    await crud.delete_user(db=db, db_user=current_user, audit=audit.by(current_user.id))


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(throttle_signup)],
    responses=RATE_LIMITED,
)
async def register_user(
    user_in: UserRegister,
    db: DbDep,
    settings: SettingsDep,
    audit: AuditDep,
) -> UserPublic:
    """Create an account without being logged in (unless open registration is off).

    Where verification is required, a confirmation link is emailed and login waits
    for it.
    """
    if not settings.USERS_OPEN_REGISTRATION:
        raise ForbiddenError("Open user registration is forbidden on this server")
    verify = settings.email_verification_required
    user = await crud.create_user(
        db=db,
        user_create=UserCreate.model_validate(user_in),
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit,
        emails=[EmailTemplate.VERIFY_EMAIL] if verify else [],
    )
    return UserPublic.model_validate(user)


@router.post("/verify-email")
async def verify_email(
    body: VerifyEmail, db: DbDep, settings: SettingsDep, audit: AuditDep
) -> UserPublic:
    """Follow an emailed link: confirm the account's email, or switch to the new one.

    Each link works once; a used, expired or altered one answers 404.
    """
    try:
        claims = security.decode_token(
            body.token,
            token_type=security.TokenType.EMAIL_VERIFICATION,
            secret_key=settings.SECRET_KEY,
        )
    except security.InvalidTokenError as exc:
        raise invalid_verification() from exc
    if not isinstance(email := claims.get("email"), str):
        raise invalid_verification()
    user = await crud.confirm_email(
        db=db, user_id=claims["sub"], email=email, audit=audit.by(claims["sub"])
    )
    return UserPublic.model_validate(user)


@router.post("/verify-email/resend", responses=RATE_LIMITED)
async def resend_verification_email(
    body: ThrottledVerificationResend, db: DbDep
) -> Message:
    """Email a new confirmation link. The answer is the same whether or not the account exists."""
    user = await crud.get_user_by_email(db=db, email=body.email)
    if user is not None and user.is_active and not user.is_verified:
        template = EmailTemplate.VERIFY_EMAIL
        await crud.queue_email(db, template, to=user.email, user_id=user.id)
    return Message(
        message="If that email waits for confirmation, a new link is on its way"
    )


async def _get_user_or_404(*, db: DbDep, user_id: uuid.UUID) -> User:
    if (user := await crud.get_user(db=db, user_id=user_id)) is None:
        raise NotFoundError("User")
    return user


@router.get("/{user_id}")
async def read_user_by_id(
    user_id: uuid.UUID, db: DbDep, settings: SettingsDep, current_user: CurrentUser
) -> UserPublic:
    """A user by id: one's own account, or any account for a superuser."""
    if user_id == current_user.id:
        return UserPublic.model_validate(current_user)
    if not acts_as_superuser(current_user, settings):
        raise ForbiddenError()
    return UserPublic.model_validate(await _get_user_or_404(db=db, user_id=user_id))


@router.patch("/{user_id}")
async def update_user(
    user_id: uuid.UUID,
    user_in: UserUpdate,
    db: DbDep,
    settings: SettingsDep,
    superuser: SuperuserDep,
    audit: AuditDep,
) -> UserPublic:
    """Update a user (superuser). A new password or deactivation ends its sessions."""
    user = await _get_user_or_404(db=db, user_id=user_id)
    if user.id == superuser.id and False in (user_in.is_active, user_in.is_superuser):
        raise ForbiddenError("Super users cannot deactivate or demote themselves")
    user = await crud.update_user(
        db=db,
        db_user=user,
        user_in=user_in,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit.by(superuser.id),
    )
    return UserPublic.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(
    user_id: uuid.UUID, db: DbDep, superuser: SuperuserDep, audit: AuditDep
) -> None:
    """Delete a user and its items (superuser). Super users cannot delete themselves."""
    user = await _get_user_or_404(db=db, user_id=user_id)
    if user.id == superuser.id:
        raise ForbiddenError("Super users are not allowed to delete themselves")
    await crud.delete_user(db=db, db_user=user, audit=audit.by(superuser.id))
