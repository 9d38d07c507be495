import uuid
from typing import Annotated

from fastapi import APIRouter, status

from app import crud
from app.api.deps import CurrentUser, DbDep, PageDep, ScopeDep, owned
from app.exceptions import NotFoundError
from app.models import Item, ItemCreate, ItemPublic, ItemsPublic, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])

OwnedItem = Annotated[Item, owned(Item)]


@router.get("/")
async def read_items(db: DbDep, scope: ScopeDep, page: PageDep) -> ItemsPublic:
    """Items newest first: the caller's own, or everyone's for a superuser.

    Page with `skip` and `limit`, or follow `next_cursor` for pages deep in a long list.
    """
    return ItemsPublic.of(await crud.list_items(db=db, scope=scope, page=page))


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_item(
    item_in: ItemCreate, db: DbDep, current_user: CurrentUser
) -> ItemPublic:
    """Create an item owned by the caller."""
    item = await crud.create_item(db=db, item_in=item_in, owner_id=current_user.id)
    return ItemPublic.model_validate(item)


@router.get("/{item_id}")
async def read_item(item: OwnedItem) -> ItemPublic:
    """An item of the caller's (any item for a superuser); 404 for someone else's."""
    return ItemPublic.model_validate(item)


# Updates and deletes check ownership in their one statement, rather than reading
# the item first through `OwnedItem`: one round trip instead of two.


@router.put("/{item_id}")
async def update_item(
    item_id: uuid.UUID, item_in: ItemUpdate, db: DbDep, scope: ScopeDep
) -> ItemPublic:
    """Change an item's title or description; fields left out keep their value."""
    item = await crud.update_item(db=db, item_id=item_id, scope=scope, item_in=item_in)
    if item is None:
        raise NotFoundError("Item")
    return ItemPublic.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: uuid.UUID, db: DbDep, scope: ScopeDep) -> None:
    """Delete an item of the caller's (any item for a superuser)."""
    if not await crud.delete_item(db=db, item_id=item_id, scope=scope):
        raise NotFoundError("Item")
