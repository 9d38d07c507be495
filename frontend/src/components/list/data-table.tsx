import { MoreHorizontal, Pencil, Trash2 } from "lucide-react"
import type { ReactNode } from "react"
import { Menu, type MenuItem } from "@/components/ui/menu"
import { cn } from "@/lib/utils"

/** One column of a table: what its header says and what each row shows in it. */
export interface Column<Row> {
  header: string
  cell: (row: Row) => ReactNode
  /** Classes for the column's cells (width, colour, truncation). */
  className?: string
  /** Classes for the header cell only. */
  headerClassName?: string
  /** Hide the column below this width (its cells say it elsewhere, or it can go). */
  from?: "sm" | "md" | "lg"
  /** The header is for screen readers only (a column of buttons that name themselves). */
  hideHeader?: boolean
}

/** The row's menu: Edit and Delete, as the page allows them; a row that allows
 * neither has no menu. */
export interface RowActions<Row> {
  /** The menu button's accessible name: "Actions for Buy milk". */
  label: (row: Row) => string
  onEdit?: (row: Row) => void
  onDelete?: (row: Row) => void
  /** Rows that may not be edited (in a team, a member's for another member's). */
  canEdit?: (row: Row) => boolean
  /** Rows that may not be deleted (the signed-in user, in the users list). */
  canDelete?: (row: Row) => boolean
}

export interface DataTableProps<Row> {
  rows: Row[]
  columns: Column<Row>[]
  rowKey: (row: Row) => string
  rowActions?: RowActions<Row>
}

const VISIBLE_FROM = {
  sm: "hidden sm:table-cell",
  md: "hidden md:table-cell",
  lg: "hidden lg:table-cell",
} as const

function columnClasses<Row>(column: Column<Row>, index: number): string {
  return cn("px-4 py-3", index === 0 && "sm:px-5", column.from && VISIBLE_FROM[column.from])
}

function menuItems<Row>(row: Row, actions: RowActions<Row>): MenuItem[] {
  const items: MenuItem[] = []
  const { onEdit, onDelete } = actions
  if (onEdit) {
    items.push({
      label: "Edit",
      icon: Pencil,
      disabled: actions.canEdit ? !actions.canEdit(row) : false,
      onSelect: () => onEdit(row),
    })
  }
  if (onDelete) {
    items.push({
      label: "Delete",
      icon: Trash2,
      tone: "danger",
      disabled: actions.canDelete ? !actions.canDelete(row) : false,
      onSelect: () => onDelete(row),
    })
  }
  return items
}

/** A table of rows (columns given as data), with an optional Edit/Delete menu per row. */
export function DataTable<Row>({ rows, columns, rowKey, rowActions }: DataTableProps<Row>) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
          <tr>
            {columns.map((column, index) => (
              <th
                key={column.header}
                scope="col"
                className={cn(columnClasses(column, index), column.headerClassName)}
              >
                {column.hideHeader ? (
                  <span className="sr-only">{column.header}</span>
                ) : (
                  column.header
                )}
              </th>
            ))}
            {rowActions && (
              <th scope="col" className="w-12 px-4 py-3">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {rows.map((row) => {
            const actions = rowActions ? menuItems(row, rowActions) : []
            return (
              <tr
                key={rowKey(row)}
                className={cn(rowActions && "hover:bg-zinc-50 dark:hover:bg-zinc-800/40")}
              >
                {columns.map((column, index) => (
                  <td
                    key={column.header}
                    className={cn(columnClasses(column, index), column.className)}
                  >
                    {column.cell(row)}
                  </td>
                ))}
                {rowActions && (
                  <td className="px-4 py-2 text-right">
                    {/* No menu for a row the caller can do nothing with. */}
                    {actions.some((action) => !action.disabled) && (
                      <Menu
                        label={rowActions.label(row)}
                        triggerClassName="rounded-lg p-2 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-white"
                        trigger={<MoreHorizontal className="h-4 w-4" aria-hidden="true" />}
                        items={actions}
                      />
                    )}
                  </td>
                )}
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
