import uuid

from fastapi import APIRouter, Response, status

from app import crud
from app.api.deps import (
    CurrentUser,
    ItemScopeDep,
    OwnedItemDep,
    PageDep,
    PoolDep,
    item_not_found,
)
from app.models import (
    ITEMS_PAGE_JSON,
    ItemCreate,
    ItemPublic,
    ItemsPublic,
    ItemUpdate,
    from_row,
)

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/", response_model=ItemsPublic)
async def read_items(pool: PoolDep, scope: ItemScopeDep, page: PageDep) -> Response:
    """Items newest first: the caller's own, or everyone's for a superuser.

    Page with `skip` and `limit`, or follow `next_cursor` for pages deep in a long list.
    """
    rows = await crud.list_items(
        pool=pool, owner_id=scope, skip=page.skip, limit=page.limit, after=page.after
    )
    body = ITEMS_PAGE_JSON.dump(
        rows=rows.rows, count=rows.count, next_cursor=rows.next_cursor
    )
    return Response(body, media_type="application/json")


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_item(
    item_in: ItemCreate, pool: PoolDep, current_user: CurrentUser
) -> ItemPublic:
    """Create an item owned by the caller."""
    row = await crud.create_item(pool=pool, item_in=item_in, owner_id=current_user.id)
    return from_row(ItemPublic, row)


@router.get("/{item_id}")
async def read_item(item: OwnedItemDep) -> ItemPublic:
    """An item of the caller's (any item for a superuser); 404 for someone else's."""
    return item


# Updates and deletes check ownership in their one statement, rather than reading
# the item first through `OwnedItemDep`: one round trip instead of two.


@router.put("/{item_id}")
async def update_item(
    item_id: uuid.UUID, item_in: ItemUpdate, pool: PoolDep, scope: ItemScopeDep
) -> ItemPublic:
    """Change an item's title or description; fields left out keep their value."""
    row = await crud.update_item(
        pool=pool, item_id=item_id, owner_id=scope, item_in=item_in
    )
    if row is None:
        raise item_not_found()
    return from_row(ItemPublic, row)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: uuid.UUID, pool: PoolDep, scope: ItemScopeDep) -> None:
    """Delete an item of the caller's (any item for a superuser)."""
    if not await crud.delete_item(pool=pool, item_id=item_id, owner_id=scope):
        raise item_not_found()
