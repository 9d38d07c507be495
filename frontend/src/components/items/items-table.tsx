import { MoreHorizontal, Pencil, Trash2 } from "lucide-react"
import type { ItemPublic } from "@/client/types.gen"
import { Menu } from "@/components/ui/menu"
import { formatDate } from "@/lib/utils"

export function ItemsTable({
  items,
  onEdit,
  onDelete,
}: {
  items: ItemPublic[]
  onEdit: (item: ItemPublic) => void
  onDelete: (item: ItemPublic) => void
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-4 py-3 sm:px-5">
              Title
            </th>
            <th scope="col" className="hidden px-4 py-3 md:table-cell">
              Description
            </th>
            <th scope="col" className="hidden px-4 py-3 sm:table-cell">
              Created
            </th>
            <th scope="col" className="w-12 px-4 py-3">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {items.map((item) => (
            <tr key={item.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
              <td className="max-w-0 px-4 py-3 sm:px-5 md:w-1/3">
                <p className="truncate font-medium text-zinc-900 dark:text-white">{item.title}</p>
                <p className="truncate text-zinc-500 md:hidden dark:text-zinc-400">
                  {item.description || <span className="italic">No description</span>}
                </p>
              </td>
              <td className="hidden max-w-0 px-4 py-3 text-zinc-600 md:table-cell dark:text-zinc-400">
                <p className="truncate">
                  {item.description || (
                    <span className="text-zinc-400 italic dark:text-zinc-500">—</span>
                  )}
                </p>
              </td>
              <td className="hidden whitespace-nowrap px-4 py-3 text-zinc-500 sm:table-cell dark:text-zinc-400">
                <time dateTime={item.created_at}>{formatDate(item.created_at)}</time>
              </td>
              <td className="px-4 py-2 text-right">
                <Menu
                  label={`Actions for ${item.title}`}
                  triggerClassName="rounded-lg p-2 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-white"
                  trigger={<MoreHorizontal className="h-4 w-4" aria-hidden="true" />}
                  items={[
                    { label: "Edit", icon: Pencil, onSelect: () => onEdit(item) },
                    {
                      label: "Delete",
                      icon: Trash2,
                      tone: "danger",
                      onSelect: () => onDelete(item),
                    },
                  ]}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
