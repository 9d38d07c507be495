import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { ListPlus, Plus } from "lucide-react"
import { useEffect, useState } from "react"
import { itemsDeleteItem } from "@/client/sdk.gen"
import type { ItemPublic } from "@/client/types.gen"
import { ItemDialog } from "@/components/items/item-dialog"
import { ItemsTable } from "@/components/items/items-table"
import { Button } from "@/components/ui/button"
import { Card, EmptyState, ErrorState, PageHeader, TableSkeleton } from "@/components/ui/card"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { Pagination } from "@/components/ui/pagination"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage } from "@/lib/errors"
import { itemsQuery, PAGE_SIZE, pageCount } from "@/lib/queries"
import { parsePage } from "@/lib/search"
import { toast } from "@/lib/toast"

export const Route = createFileRoute("/_app/items")({
  validateSearch: parsePage,
  component: ItemsPage,
})

type Editing = { mode: "create" } | { mode: "edit"; item: ItemPublic } | null

function ItemsPage() {
  usePageTitle("Items")
  const page = Route.useSearch().page ?? 1
  const navigate = useNavigate({ from: Route.fullPath })
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const items = useQuery({ ...itemsQuery(page), placeholderData: keepPreviousData })
  const [editing, setEditing] = useState<Editing>(null)
  const [deleting, setDeleting] = useState<ItemPublic | null>(null)

  const total = items.data?.count ?? 0
  const pages = pageCount(total)

  // Past the last page (rows were deleted meanwhile): show the last one that exists.
  useEffect(() => {
    if (items.data && !items.isPlaceholderData && page > pages) {
      void navigate({ search: { page: pages > 1 ? pages : undefined }, replace: true })
    }
  }, [items.data, items.isPlaceholderData, page, pages, navigate])

  const remove = useMutation({
    mutationFn: (item: ItemPublic) =>
      itemsDeleteItem({ path: { item_id: item.id }, throwOnError: true }),
    onSuccess: async (_data, item) => {
      toast.success("Item deleted", `“${item.title}” is gone.`)
      setDeleting(null)
      await queryClient.invalidateQueries({ queryKey: ["items"] })
    },
  })

  const addButton = (
    <Button onClick={() => setEditing({ mode: "create" })}>
      <Plus className="h-4 w-4" aria-hidden="true" />
      Add item
    </Button>
  )

  return (
    <div>
      <PageHeader
        title="Items"
        description={
          user.is_superuser ? "Every user's items, newest first." : "Your items, newest first."
        }
        actions={total > 0 ? addButton : undefined}
      />
      <Card className="overflow-hidden">
        {items.isPending ? (
          <TableSkeleton columns={3} />
        ) : items.isError ? (
          <ErrorState message={errorMessage(items.error)} onRetry={() => void items.refetch()} />
        ) : total === 0 ? (
          <EmptyState
            icon={<ListPlus className="h-6 w-6" aria-hidden="true" />}
            title="No items yet"
            description="Items you add show up here, newest first. Start with your first one."
            action={addButton}
          />
        ) : (
          <div
            aria-busy={items.isFetching}
            className={items.isPlaceholderData ? "opacity-60 transition-opacity" : undefined}
          >
            <ItemsTable
              items={items.data.data}
              onEdit={(item) => setEditing({ mode: "edit", item })}
              onDelete={setDeleting}
            />
            <Pagination
              page={page}
              pageCount={pages}
              total={total}
              pageSize={PAGE_SIZE}
              to="/items"
              noun="items"
            />
          </div>
        )}
      </Card>

      <ItemDialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        item={editing?.mode === "edit" ? editing.item : undefined}
        onCreated={() => page !== 1 && void navigate({ search: {} })}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting)}
        pending={remove.isPending}
        title="Delete this item?"
        description={
          <>
            “<span className="font-medium text-zinc-900 dark:text-zinc-100">{deleting?.title}</span>
            ” will be deleted for good. This can't be undone.
          </>
        }
        confirmLabel="Delete item"
      />
    </div>
  )
}
