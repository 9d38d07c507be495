"""Teams: shared workspaces, their members and roles, and invitations by email."""

import uuid
from datetime import timedelta

from fastapi import APIRouter, status

from app import crud
from app.api.deps import (
    AuditDep,
    CurrentUser,
    DbDep,
    PageDep,
    SettingsDep,
    TeamAdminDep,
    TeamMemberDep,
    TeamOwnerDep,
)
from app.exceptions import NotFoundError
from app.models import (
    InvitationAccept,
    Membership,
    TeamCreate,
    TeamInvitationCreate,
    TeamInvitationPublic,
    TeamInvitationsPublic,
    TeamMemberPublic,
    TeamMembersPublic,
    TeamMemberUpdate,
    TeamPublic,
    TeamRole,
    TeamsPublic,
    TeamUpdate,
)

router = APIRouter(prefix="/teams", tags=["teams"])
invitations_router = APIRouter(prefix="/invitations", tags=["teams"])


@router.get("/")
async def read_teams(
    db: DbDep, current_user: CurrentUser, page: PageDep
) -> TeamsPublic:
    """The caller's teams and their role in each, oldest first (the personal team
    first)."""
    rows = await crud.list_teams(db=db, user_id=current_user.id, page=page)
    return TeamsPublic.of(rows)


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_team(
    team_in: TeamCreate, db: DbDep, current_user: CurrentUser, audit: AuditDep
) -> TeamPublic:
    """Create a team; the caller is its owner."""
    team = await crud.create_team(
        db=db, team_in=team_in, user_id=current_user.id, audit=audit.by(current_user.id)
    )
    return TeamPublic.model_validate(crud.team_public(team, TeamRole.OWNER))


async def _team_public(db: DbDep, membership: Membership) -> TeamPublic:
    team = await crud.get_team(db=db, team_id=membership.team_id)
    if team is None:
        raise NotFoundError("Team")
    return TeamPublic.model_validate(crud.team_public(team, membership.role))


@router.get("/{team_id}")
async def read_team(db: DbDep, team: TeamMemberDep) -> TeamPublic:
    """A team the caller is in, with their role (404 for any other)."""
    return await _team_public(db, team)


@router.patch("/{team_id}")
async def update_team(
    team_in: TeamUpdate, db: DbDep, team: TeamOwnerDep, audit: AuditDep
) -> TeamPublic:
    """Rename a team (owner)."""
    audit = audit.by(team.user.id)
    await crud.rename_team(db=db, team_id=team.team_id, team_in=team_in, audit=audit)
    return await _team_public(db, team)


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team(db: DbDep, team: TeamOwnerDep, audit: AuditDep) -> None:
    """Delete a team and everything in it (owner). A personal team cannot be deleted."""
    await crud.delete_team(db=db, membership=team, audit=audit.by(team.user.id))


@router.get("/{team_id}/members")
async def read_members(
    db: DbDep, team: TeamMemberDep, page: PageDep
) -> TeamMembersPublic:
    """A team's members and their roles, longest-standing first."""
    rows = await crud.list_members(db=db, scope=team.scope, page=page)
    return TeamMembersPublic.of(rows)


@router.patch("/{team_id}/members/{user_id}")
async def update_member(
    user_id: uuid.UUID,
    body: TeamMemberUpdate,
    db: DbDep,
    team: TeamAdminDep,
    audit: AuditDep,
) -> TeamMemberPublic:
    """Change a member's role (admin). Giving or taking ownership takes an owner,
    and a team keeps at least one owner (409): to hand a team over, make someone
    else an owner, then step down."""
    await crud.change_member_role(
        db=db,
        membership=team,
        user_id=user_id,
        role=body.role,
        audit=audit.by(team.user.id),
    )
    member = await crud.get_member(db=db, team_id=team.team_id, user_id=user_id)
    if member is None:
        raise NotFoundError("Member")
    return TeamMemberPublic.model_validate(member)


@router.delete("/{team_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_member(
    user_id: uuid.UUID, db: DbDep, team: TeamMemberDep, audit: AuditDep
) -> None:
    """Remove a member (admin; an owner to remove an owner), or leave the team
    (anyone, with their own id). The last owner cannot go (409); the rows they
    created stay with the team."""
    await crud.remove_member(
        db=db, membership=team, user_id=user_id, audit=audit.by(team.user.id)
    )


@router.get("/{team_id}/invitations")
async def read_invitations(
    db: DbDep, team: TeamAdminDep, page: PageDep
) -> TeamInvitationsPublic:
    """A team's pending invitations, newest first (admin)."""
    rows = await crud.list_invitations(db=db, scope=team.scope, page=page)
    return TeamInvitationsPublic.of(rows)


@router.post("/{team_id}/invitations", status_code=status.HTTP_201_CREATED)
async def create_invitation(
    invitation_in: TeamInvitationCreate,
    db: DbDep,
    settings: SettingsDep,
    team: TeamAdminDep,
    audit: AuditDep,
) -> TeamInvitationPublic:
    """Invite an email address to a shared team (admin): a single-use link is
    emailed, which works for that address only, after signing in, until it expires
    (`TEAM_INVITATION_EXPIRE_DAYS`). Inviting the address again replaces the pending
    invitation; a member's address is refused (409)."""
    invitation = await crud.create_invitation(
        db=db,
        membership=team,
        invitation_in=invitation_in,
        lifetime=timedelta(days=settings.TEAM_INVITATION_EXPIRE_DAYS),
        audit=audit.by(team.user.id),
    )
    return TeamInvitationPublic.model_validate(invitation, from_attributes=True)


@router.delete(
    "/{team_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_invitation(
    invitation_id: uuid.UUID, db: DbDep, team: TeamAdminDep, audit: AuditDep
) -> None:
    """Revoke a pending invitation (admin): its link stops working."""
    await crud.revoke_invitation(
        db=db,
        scope=team.scope,
        invitation_id=invitation_id,
        audit=audit.by(team.user.id),
    )


@invitations_router.post("/accept")
async def accept_invitation(
    body: InvitationAccept, db: DbDep, current_user: CurrentUser, audit: AuditDep
) -> TeamPublic:
    """Join the team an invitation is for. The caller must be signed in with the
    invited address (403 otherwise, and the invitation stays); an unknown, expired
    or used invitation is 404."""
    team, role = await crud.accept_invitation(
        db=db, token=body.token, user=current_user, audit=audit.by(current_user.id)
    )
    return TeamPublic.model_validate(crud.team_public(team, role))
