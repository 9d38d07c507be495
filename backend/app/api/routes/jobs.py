from typing import Annotated

from fastapi import APIRouter, Path

from app import crud
from app.api.deps import DbDep, PageDep, SuperuserDep
from app.exceptions import NotFoundError
from app.models import JobKind, JobPublic, JobsPublic, JobState

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/")
async def read_jobs(
    db: DbDep,
    _superuser: SuperuserDep,
    page: PageDep,
    state: JobState | None = None,
    kind: JobKind | None = None,
) -> JobsPublic:
    """Background jobs newest first (superuser), narrowed to a state and a kind.

    A job that keeps failing is retried with growing delays (`attempts` counts the
    failed tries) and ends `failed`. Page with `skip` and `limit`, or follow
    `next_cursor`.
    """
    return JobsPublic.of(await crud.list_jobs(db=db, page=page, state=state, kind=kind))


@router.post("/{job_id}/retry")
async def retry_job(db: DbDep, _superuser: SuperuserDep, job_id: JobId) -> JobPublic:
    """Run a failed job again, with a fresh set of tries (superuser); 409 for a job
    that has not failed."""
    if (job := await crud.retry_job(db=db, job_id=job_id)) is None:
        raise NotFoundError("Job")
    return JobPublic.model_validate(job, from_attributes=True)
