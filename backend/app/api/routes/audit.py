import uuid
from datetime import datetime

from fastapi import APIRouter

from app import crud
from app.api.deps import Limit, SessionDep, Skip, SuperuserDep
from app.models import AuditEventPublic, AuditEventsPublic, AuditEventType

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("/")
async def read_audit_events(
    session: SessionDep,
    _superuser: SuperuserDep,
    event_type: AuditEventType | None = None,
    actor_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    skip: Skip = 0,
    limit: Limit = 100,
) -> AuditEventsPublic:
    """Security events newest first (superuser), narrowed by any of the filters.

    `since` is inclusive and `until` exclusive; both are ISO 8601 date-times.
    """
    events, count = await crud.list_audit_events(
        session=session,
        event_type=event_type,
        actor_id=actor_id,
        target_id=target_id,
        since=since,
        until=until,
        skip=skip,
        limit=limit,
    )
    return AuditEventsPublic(
        data=[AuditEventPublic.model_validate(event) for event in events],
        count=count,
    )
