from fastapi import APIRouter, HTTPException, Request, status

from app import crud
from app.api.deps import DbDep, SettingsDep, SuperuserDep
from app.mail import EmailTemplate
from app.models import Message, TestEmail

router = APIRouter(prefix="/utils", tags=["utils"])


@router.post("/test-email/", status_code=status.HTTP_202_ACCEPTED)
async def test_email(
    body: TestEmail, db: DbDep, settings: SettingsDep, _superuser: SuperuserDep
) -> Message:
    """Send a test email (superuser); a background job sends it after this answer."""
    if not settings.emails_enabled:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Email is not configured on this server (set SMTP_HOST and EMAILS_FROM_EMAIL)",
        )
    await crud.queue_email(db, EmailTemplate.TEST, to=body.email_to)
    return Message(message="Test email queued")


@router.get("/health-check/")
async def health_check() -> bool:
    """Liveness: the process answers."""
    return True


@router.get(
    "/ready/",
    responses={
        503: {"description": "The database is unreachable, or the server is stopping"}
    },
)
async def readiness(db: DbDep, request: Request) -> Message:
    """Readiness: the database answers a query (503 when it does not, and from the
    moment the server is told to stop, while it still serves)."""
    if request.app.state.drain.draining:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Shutting down",
            headers={"Retry-After": "5"},
        )
    await crud.ping_database(db=db)
    return Message(message="ready")
