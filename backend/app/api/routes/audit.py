import uuid
from datetime import datetime

from fastapi import APIRouter

from app import crud
from app.api.deps import DbDep, PageDep, SuperuserDep
from app.models import AuditEventsPublic, AuditEventType

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("/")
async def read_audit_events(
    db: DbDep,
    _superuser: SuperuserDep,
    page: PageDep,
    event_type: AuditEventType | None = None,
    actor_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditEventsPublic:
    """Security events newest first (superuser), narrowed by any of the filters.

    `since` is inclusive and `until` exclusive; both are ISO 8601 date-times. Page
    with `skip` and `limit`, or follow `next_cursor`.
    """
    events = await crud.list_audit_events(
        db=db,
        page=page,
        event_type=event_type,
        actor_id=actor_id,
        target_id=target_id,
        since=since,
        until=until,
    )
    return AuditEventsPublic.of(events)
