import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { UserPlus } from "lucide-react"
import { useEffect, useState } from "react"
import { usersDeleteUser } from "@/client/sdk.gen"
import type { UserPublic } from "@/client/types.gen"
import { UserDialog } from "@/components/admin/user-dialog"
import { UsersTable } from "@/components/admin/users-table"
import { NotAllowed } from "@/components/not-allowed"
import { Button } from "@/components/ui/button"
import { Card, ErrorState, PageHeader, TableSkeleton } from "@/components/ui/card"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { Pagination } from "@/components/ui/pagination"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage, isApiError } from "@/lib/errors"
import { PAGE_SIZE, pageCount, usersQuery } from "@/lib/queries"
import { parsePage } from "@/lib/search"
import { toast } from "@/lib/toast"

export const Route = createFileRoute("/_app/admin")({
  validateSearch: parsePage,
  component: AdminPage,
})

function AdminPage() {
  usePageTitle("Users")
  const user = useCurrentUser()
  if (!user.is_superuser) return <NotAllowed />
  return <UsersAdmin currentUserId={user.id} />
}

type Editing = { mode: "create" } | { mode: "edit"; user: UserPublic } | null

function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const page = Route.useSearch().page ?? 1
  const navigate = useNavigate({ from: Route.fullPath })
  const queryClient = useQueryClient()
  const users = useQuery({ ...usersQuery(page), placeholderData: keepPreviousData })
  const [editing, setEditing] = useState<Editing>(null)
  const [deleting, setDeleting] = useState<UserPublic | null>(null)

  const total = users.data?.count ?? 0
  const pages = pageCount(total)

  useEffect(() => {
    if (users.data && !users.isPlaceholderData && page > pages) {
      void navigate({ search: { page: pages > 1 ? pages : undefined }, replace: true })
    }
  }, [users.data, users.isPlaceholderData, page, pages, navigate])

  const remove = useMutation({
    mutationFn: (target: UserPublic) =>
      usersDeleteUser({ path: { user_id: target.id }, throwOnError: true }),
    onSuccess: async (_data, target) => {
      toast.success("User deleted", target.email)
      setDeleting(null)
      await queryClient.invalidateQueries({ queryKey: ["users"] })
    },
  })

  if (users.isError && isApiError(users.error, 403)) return <NotAllowed />

  return (
    <div>
      <PageHeader
        title="Users"
        description="Everyone with an account, oldest first."
        actions={
          <Button onClick={() => setEditing({ mode: "create" })}>
            <UserPlus className="h-4 w-4" aria-hidden="true" />
            Add user
          </Button>
        }
      />
      <Card className="overflow-hidden">
        {users.isPending ? (
          <TableSkeleton columns={4} />
        ) : users.isError ? (
          <ErrorState message={errorMessage(users.error)} onRetry={() => void users.refetch()} />
        ) : (
          <div
            aria-busy={users.isFetching}
            className={users.isPlaceholderData ? "opacity-60 transition-opacity" : undefined}
          >
            <UsersTable
              users={users.data.data}
              currentUserId={currentUserId}
              onEdit={(target) => setEditing({ mode: "edit", user: target })}
              onDelete={setDeleting}
            />
            <Pagination
              page={page}
              pageCount={pages}
              total={total}
              pageSize={PAGE_SIZE}
              to="/admin"
              noun="users"
            />
          </div>
        )}
      </Card>

      <UserDialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        user={editing?.mode === "edit" ? editing.user : undefined}
        currentUserId={currentUserId}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting)}
        pending={remove.isPending}
        title="Delete this user?"
        description={
          <>
            <span className="font-medium text-zinc-900 dark:text-zinc-100">{deleting?.email}</span>{" "}
            and all of their items will be deleted for good. This can't be undone.
          </>
        }
        confirmLabel="Delete user"
      />
    </div>
  )
}
