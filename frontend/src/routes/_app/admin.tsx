import { createFileRoute } from "@tanstack/react-router"
import { UserPlus } from "lucide-react"
import { usersDeleteUser } from "@/client/sdk.gen"
import type { UserPublic } from "@/client/types.gen"
import { userColumns } from "@/components/admin/user-columns"
import { UserDialog } from "@/components/admin/user-dialog"
import { ListPage } from "@/components/list/list-page"
import { NotAllowed } from "@/components/not-allowed"
import { Button } from "@/components/ui/button"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { useCurrentUser } from "@/hooks/use-current-user"
import { useListPage } from "@/hooks/use-list-page"
import { usePageTitle } from "@/hooks/use-page-title"
import { useDeleteRow, useRowDialog } from "@/hooks/use-row-actions"
import { isApiError } from "@/lib/errors"
import { parseListSearch } from "@/lib/paging"
import { usersQuery } from "@/lib/queries"
import { toast } from "@/lib/toast"

export const Route = createFileRoute("/_app/admin")({
  validateSearch: parseListSearch,
  component: AdminPage,
})

function AdminPage() {
  usePageTitle("Users")
  const user = useCurrentUser()
  if (!user.is_superuser) return <NotAllowed />
  return <UsersAdmin currentUserId={user.id} />
}

function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const list = useListPage(usersQuery)
  const editor = useRowDialog<UserPublic>()
  const remove = useDeleteRow({
    remove: (target: UserPublic) =>
      usersDeleteUser({ path: { user_id: target.id }, throwOnError: true }),
    invalidates: ["users"],
    onDeleted: (target) => toast.success("User deleted", target.email),
  })

  if (isApiError(list.error, 403)) return <NotAllowed />

  return (
    <ListPage
      title="Users"
      description="Everyone with an account, oldest first."
      actions={
        <Button onClick={editor.add}>
          <UserPlus className="h-4 w-4" aria-hidden="true" />
          Add user
        </Button>
      }
      list={list}
      noun="users"
      columns={userColumns(currentUserId)}
      rowKey={(target) => target.id}
      rowActions={{
        label: (target) => `Actions for ${target.email}`,
        onEdit: editor.edit,
        onDelete: remove.ask,
        canDelete: (target) => target.id !== currentUserId,
      }}
    >
      <UserDialog
        open={editor.open}
        onClose={editor.close}
        user={editor.row}
        currentUserId={currentUserId}
      />
      <ConfirmDialog
        {...remove.dialog}
        title="Delete this user?"
        description={
          <>
            <span className="font-medium text-zinc-900 dark:text-zinc-100">
              {remove.row?.email}
            </span>{" "}
            and all of their items will be deleted for good. This can't be undone.
          </>
        }
        confirmLabel="Delete user"
      />
    </ListPage>
  )
}
