import type { ItemPublic } from "@/client/types.gen"
import type { Column } from "@/components/list/data-table"
import { formatDate } from "@/lib/utils"

export const ITEM_COLUMNS: Column<ItemPublic>[] = [
  {
    header: "Title",
    className: "max-w-0 md:w-1/3",
    cell: (item) => (
      <>
        <p className="truncate font-medium text-zinc-900 dark:text-white">{item.title}</p>
        <p className="truncate text-zinc-500 md:hidden dark:text-zinc-400">
          {item.description || <span className="italic">No description</span>}
        </p>
      </>
    ),
  },
  {
    header: "Description",
    from: "md",
    className: "max-w-0 text-zinc-600 dark:text-zinc-400",
    cell: (item) => (
      <p className="truncate">
        {item.description || <span className="text-zinc-400 italic dark:text-zinc-500">—</span>}
      </p>
    ),
  },
  {
    header: "Created",
    from: "sm",
    className: "whitespace-nowrap text-zinc-500 dark:text-zinc-400",
    cell: (item) => <time dateTime={item.created_at}>{formatDate(item.created_at)}</time>,
  },
]
