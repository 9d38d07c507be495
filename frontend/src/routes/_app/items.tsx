import { createFileRoute } from "@tanstack/react-router"
import { ListPlus, Plus } from "lucide-react"
import { itemsDeleteItem } from "@/client/sdk.gen"
import type { ItemPublic } from "@/client/types.gen"
import { ITEM_COLUMNS } from "@/components/items/item-columns"
import { ItemDialog } from "@/components/items/item-dialog"
import { ListPage } from "@/components/list/list-page"
import { Button } from "@/components/ui/button"
import { EmptyState } from "@/components/ui/card"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { useListPage } from "@/hooks/use-list-page"
import { usePageTitle } from "@/hooks/use-page-title"
import { useDeleteRow, useRowDialog } from "@/hooks/use-row-actions"
import { type PagePosition, parseListSearch } from "@/lib/paging"
import { itemsQuery } from "@/lib/queries"
import { useCurrentTeam, useHasTeams, useMayChange } from "@/lib/team"
import { toast } from "@/lib/toast"

export const Route = createFileRoute("/_app/items")({
  validateSearch: parseListSearch,
  component: ItemsPage,
})

function ItemsPage() {
  usePageTitle("Items")
  const team = useCurrentTeam()
  const hasTeams = useHasTeams()
  const mayChange = useMayChange()
  const list = useListPage((position: PagePosition) => itemsQuery(position, team.id))
  const editor = useRowDialog<ItemPublic>()
  const remove = useDeleteRow({
    remove: (item: ItemPublic) =>
      itemsDeleteItem({ path: { item_id: item.id }, throwOnError: true }),
    invalidates: ["items"],
    onDeleted: (item) => toast.success("Item deleted", `“${item.title}” is gone.`),
  })

  const addButton = (
    <Button onClick={editor.add}>
      <Plus className="h-4 w-4" aria-hidden="true" />
      Add item
    </Button>
  )

  return (
    <ListPage
      title="Items"
      description={
        hasTeams && !team.is_personal
          ? `The items of ${team.name}, newest first.`
          : "Your items, newest first."
      }
      actions={list.total > 0 ? addButton : undefined}
      list={list}
      noun="items"
      columns={ITEM_COLUMNS}
      rowKey={(item) => item.id}
      rowActions={{
        label: (item) => `Actions for ${item.title}`,
        onEdit: editor.edit,
        onDelete: remove.ask,
        canEdit: mayChange,
        canDelete: mayChange,
      }}
      empty={
        <EmptyState
          icon={<ListPlus className="h-6 w-6" aria-hidden="true" />}
          title="No items yet"
          description="Items you add show up here, newest first. Start with your first one."
          action={addButton}
        />
      }
    >
      <ItemDialog
        open={editor.open}
        onClose={editor.close}
        item={editor.row}
        onCreated={() => list.page !== 1 && list.goToFirstPage()}
      />
      <ConfirmDialog
        {...remove.dialog}
        title="Delete this item?"
        description={
          <>
            “
            <span className="font-medium text-zinc-900 dark:text-zinc-100">
              {remove.row?.title}
            </span>
            ” will be deleted for good. This can't be undone.
          </>
        }
        confirmLabel="Delete item"
      />
    </ListPage>
  )
}
