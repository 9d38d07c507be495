import { MoreHorizontal, Pencil, Trash2 } from "lucide-react"
import type { UserPublic } from "@/client/types.gen"
import { UserAvatar } from "@/components/layout/user-avatar"
import { Badge } from "@/components/ui/badge"
import { Menu } from "@/components/ui/menu"
import { formatDate } from "@/lib/utils"

export function UsersTable({
  users,
  currentUserId,
  onEdit,
  onDelete,
}: {
  users: UserPublic[]
  currentUserId: string
  onEdit: (user: UserPublic) => void
  onDelete: (user: UserPublic) => void
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-4 py-3 sm:px-5">
              User
            </th>
            <th scope="col" className="hidden px-4 py-3 sm:table-cell">
              Role
            </th>
            <th scope="col" className="px-4 py-3">
              Status
            </th>
            <th scope="col" className="hidden px-4 py-3 md:table-cell">
              Joined
            </th>
            <th scope="col" className="w-12 px-4 py-3">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {users.map((user) => {
            const isSelf = user.id === currentUserId
            return (
              <tr key={user.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
                <td className="w-full max-w-0 px-4 py-3 sm:px-5">
                  <div className="flex items-center gap-3">
                    <UserAvatar
                      name={user.full_name}
                      email={user.email}
                      className="hidden sm:flex"
                    />
                    <div className="min-w-0">
                      <p className="flex items-center gap-2 font-medium text-zinc-900 dark:text-white">
                        <span className="truncate">{user.full_name || "—"}</span>
                        {isSelf && <Badge tone="amber">You</Badge>}
                        {user.is_superuser && (
                          <span className="sm:hidden">
                            <Badge tone="indigo">Superuser</Badge>
                          </span>
                        )}
                      </p>
                      <p className="truncate text-zinc-500 dark:text-zinc-400">{user.email}</p>
                    </div>
                  </div>
                </td>
                <td className="hidden whitespace-nowrap px-4 py-3 sm:table-cell">
                  <Badge tone={user.is_superuser ? "indigo" : "gray"}>
                    {user.is_superuser ? "Superuser" : "User"}
                  </Badge>
                </td>
                <td className="whitespace-nowrap px-4 py-3">
                  <Badge tone={user.is_active ? "green" : "red"} dot>
                    {user.is_active ? "Active" : "Inactive"}
                  </Badge>
                </td>
                <td className="hidden whitespace-nowrap px-4 py-3 pr-8 text-zinc-500 md:table-cell dark:text-zinc-400">
                  <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
                </td>
                <td className="px-4 py-2 text-right">
                  <Menu
                    label={`Actions for ${user.email}`}
                    triggerClassName="rounded-lg p-2 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-white"
                    trigger={<MoreHorizontal className="h-4 w-4" aria-hidden="true" />}
                    items={[
                      { label: "Edit", icon: Pencil, onSelect: () => onEdit(user) },
                      {
                        label: "Delete",
                        icon: Trash2,
                        tone: "danger",
                        disabled: isSelf,
                        onSelect: () => onDelete(user),
                      },
                    ]}
                  />
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
