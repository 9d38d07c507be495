from typing import Annotated

from fastapi import APIRouter, status

from app import crud
from app.api.deps import DbDep, PageDep, TeamDep, team_row
from app.exceptions import NotFoundError
from app.models import Item, ItemCreate, ItemPublic, ItemsPublic, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])

TeamItem = Annotated[Item, team_row(Item)]
ChangeableItem = Annotated[Item, team_row(Item, change=True)]


@router.get("/")
async def read_items(db: DbDep, team: TeamDep, page: PageDep) -> ItemsPublic:
    """A team's items, newest first (the caller's personal team unless `team_id`
    names another).

    Page with `skip` and `limit`, or follow `next_cursor` for pages deep in a long list.
    """
    return ItemsPublic.of(await crud.list_items(db=db, scope=team.scope, page=page))


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_item(item_in: ItemCreate, db: DbDep, team: TeamDep) -> ItemPublic:
    """Create an item in a team (the caller's personal team unless `team_id` names
    another); the caller is recorded as its owner."""
    item = await crud.create_item(
        db=db, item_in=item_in, team_id=team.team_id, owner_id=team.user.id
    )
    return ItemPublic.model_validate(item)


@router.get("/{item_id}")
async def read_item(item: TeamItem) -> ItemPublic:
    """An item of one of the caller's teams; 404 for another team's."""
    return ItemPublic.model_validate(item)


@router.put("/{item_id}")
async def update_item(
    item: ChangeableItem, item_in: ItemUpdate, db: DbDep
) -> ItemPublic:
    """Change an item's title or description; fields left out keep their value.
    A member changes the items they created; an admin or owner, any of the team's."""
    updated = await crud.update_item(db=db, item=item, item_in=item_in)
    if updated is None:
        raise NotFoundError("Item")
    return ItemPublic.model_validate(updated)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item: ChangeableItem, db: DbDep) -> None:
    """Delete an item: a member, one they created; an admin or owner, any of the team's."""
    if not await crud.delete_item(db=db, item=item):
        raise NotFoundError("Item")
