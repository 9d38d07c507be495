from fastapi import APIRouter, status

from app import crud
from app.api.deps import (
    CurrentUser,
    Limit,
    OwnedItemDep,
    ReadEngineDep,
    SessionDep,
    Skip,
)
from app.models import ItemCreate, ItemPublic, ItemsPublic, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/")
async def read_items(
    read_engine: ReadEngineDep,
    current_user: CurrentUser,
    skip: Skip = 0,
    limit: Limit = 100,
) -> ItemsPublic:
    """Items newest first: the caller's own, or everyone's for a superuser."""
    items, count = await crud.list_items(
        read_engine=read_engine,
        owner_id=None if current_user.is_superuser else current_user.id,
        skip=skip,
        limit=limit,
    )
    return ItemsPublic(
        data=[ItemPublic.model_validate(item) for item in items], count=count
    )


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_item(
    item_in: ItemCreate, session: SessionDep, current_user: CurrentUser
) -> ItemPublic:
    """Create an item owned by the caller."""
    item = await crud.create_item(
        session=session, item_in=item_in, owner_id=current_user.id
    )
    return ItemPublic.model_validate(item)


@router.get("/{item_id}")
async def read_item(item: OwnedItemDep) -> ItemPublic:
    """An item of the caller's (any item for a superuser); 404 for someone else's."""
    return ItemPublic.model_validate(item)


@router.put("/{item_id}")
async def update_item(
    item_in: ItemUpdate, item: OwnedItemDep, session: SessionDep
) -> ItemPublic:
    """Change an item's title or description; fields left out keep their value."""
    item = await crud.update_item(session=session, db_item=item, item_in=item_in)
    return ItemPublic.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item: OwnedItemDep, session: SessionDep) -> None:
    """Delete an item of the caller's (any item for a superuser)."""
    await crud.delete_item(session=session, db_item=item)
