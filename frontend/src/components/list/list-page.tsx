import type { ReactNode } from "react"
import { Card, ErrorState, PageHeader, TableSkeleton } from "@/components/ui/card"
import { Pagination } from "@/components/ui/pagination"
import type { ListState } from "@/hooks/use-list-page"
import { errorMessage } from "@/lib/errors"
import { DataTable, type DataTableProps } from "./data-table"

export interface ListPageProps<Row> extends Omit<DataTableProps<Row>, "rows"> {
  title: string
  description?: ReactNode
  /** Buttons beside the title ("Add item"). */
  actions?: ReactNode
  /** From `useListPage`. */
  list: ListState<Row>
  /** What the rows are, for "Showing 1–10 of 42 items". */
  noun: string
  /** Shown in place of the table when the list is empty. */
  empty?: ReactNode
  /** Dialogs the page opens (add, edit, confirm delete). */
  children?: ReactNode
}

/**
 * A list page: the title, then a skeleton while the first page loads, an error with a
 * retry, the empty state, or the table and its pagination (the previous page stays,
 * dimmed, while the next loads).
 */
export function ListPage<Row>({
  title,
  description,
  actions,
  list,
  noun,
  empty,
  children,
  ...table
}: ListPageProps<Row>) {
  return (
    <div>
      <PageHeader title={title} description={description} actions={actions} />
      <Card className="overflow-hidden">
        {list.status === "pending" ? (
          <TableSkeleton columns={table.columns.length} />
        ) : list.status === "error" ? (
          <ErrorState message={errorMessage(list.error)} onRetry={list.retry} />
        ) : list.total === 0 && empty ? (
          empty
        ) : (
          <div
            aria-busy={list.isFetching}
            className={list.isPlaceholderData ? "opacity-60 transition-opacity" : undefined}
          >
            <DataTable rows={list.rows} {...table} />
            <Pagination
              page={list.page}
              total={list.total}
              range={list.range}
              pager={list.pager}
              noun={noun}
            />
          </div>
        )}
      </Card>
      {children}
    </div>
  )
}
