import type { UserPublic } from "@/client/types.gen"
import { UserAvatar } from "@/components/layout/user-avatar"
import type { Column } from "@/components/list/data-table"
import { Badge } from "@/components/ui/badge"
import { formatDate } from "@/lib/utils"

/** The users table's columns; the signed-in superuser's row says "You". */
export function userColumns(currentUserId: string): Column<UserPublic>[] {
  return [
    {
      header: "User",
      className: "w-full max-w-0",
      cell: (user) => (
        <div className="flex items-center gap-3">
          <UserAvatar name={user.full_name} email={user.email} className="hidden sm:flex" />
          <div className="min-w-0">
            <p className="flex items-center gap-2 font-medium text-zinc-900 dark:text-white">
              <span className="truncate">{user.full_name || "—"}</span>
              {user.id === currentUserId && <Badge tone="amber">You</Badge>}
              {user.is_superuser && (
                <span className="sm:hidden">
                  <Badge tone="indigo">Superuser</Badge>
                </span>
              )}
            </p>
            <p className="truncate text-zinc-500 dark:text-zinc-400">{user.email}</p>
          </div>
        </div>
      ),
    },
    {
      header: "Role",
      from: "sm",
      className: "whitespace-nowrap",
      cell: (user) => (
        <Badge tone={user.is_superuser ? "indigo" : "gray"}>
          {user.is_superuser ? "Superuser" : "User"}
        </Badge>
      ),
    },
    {
      header: "Status",
      className: "whitespace-nowrap",
      cell: (user) => (
        <Badge tone={user.is_active ? "green" : "red"} dot>
          {user.is_active ? "Active" : "Inactive"}
        </Badge>
      ),
    },
    {
      header: "Joined",
      from: "md",
      className: "whitespace-nowrap pr-8 text-zinc-500 dark:text-zinc-400",
      cell: (user) => <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>,
    },
  ]
}
