import { Link } from "@tanstack/react-router"
import { ChevronLeft, ChevronRight } from "lucide-react"
import { cn, pageWindow } from "@/lib/utils"

export interface PaginationProps {
  page: number
  pageCount: number
  total: number
  pageSize: number
  /** The route whose `page` search parameter the links change. */
  to: "/items" | "/admin" | "/activity"
  noun: string
}

const linkClasses =
  "inline-flex h-9 min-w-9 items-center justify-center rounded-lg px-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-500"

export function Pagination({ page, pageCount, total, pageSize, to, noun }: PaginationProps) {
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1
  const last = Math.min(total, page * pageSize)
  return (
    <div className="flex flex-col items-center justify-between gap-3 border-t border-zinc-200 px-4 py-3 sm:flex-row dark:border-zinc-800">
      <p className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
        Showing <span className="font-medium text-zinc-900 dark:text-zinc-100">{first}</span>–
        <span className="font-medium text-zinc-900 dark:text-zinc-100">{last}</span> of{" "}
        <span className="font-medium text-zinc-900 dark:text-zinc-100">{total}</span> {noun}
      </p>
      {pageCount > 1 && (
        <nav aria-label="Pagination" className="flex items-center gap-1">
          <PageLink to={to} page={page - 1} disabled={page <= 1} label="Previous page">
            <ChevronLeft className="h-4 w-4" aria-hidden="true" />
          </PageLink>
          {pageWindow(page, pageCount).map((number, index) =>
            number === null ? (
              <span
                // biome-ignore lint/suspicious/noArrayIndexKey: gaps have no identity of their own
                key={`gap-${index}`}
                className="px-1 text-sm text-zinc-400"
                aria-hidden="true"
              >
                …
              </span>
            ) : (
              <Link
                key={number}
                to={to}
                search={(previous: Record<string, unknown>) => ({
                  ...previous,
                  page: number > 1 ? number : undefined,
                })}
                aria-label={`Page ${number}`}
                aria-current={number === page ? "page" : undefined}
                className={cn(
                  linkClasses,
                  number === page
                    ? "bg-indigo-600 text-white dark:bg-indigo-500"
                    : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
                )}
              >
                {number}
              </Link>
            ),
          )}
          <PageLink to={to} page={page + 1} disabled={page >= pageCount} label="Next page">
            <ChevronRight className="h-4 w-4" aria-hidden="true" />
          </PageLink>
        </nav>
      )}
    </div>
  )
}

function PageLink({
  to,
  page,
  disabled,
  label,
  children,
}: {
  to: "/items" | "/admin" | "/activity"
  page: number
  disabled: boolean
  label: string
  children: React.ReactNode
}) {
  if (disabled) {
    return (
      <button
        type="button"
        disabled
        aria-label={label}
        className={cn(linkClasses, "text-zinc-300 dark:text-zinc-600")}
      >
        {children}
      </button>
    )
  }
  return (
    <Link
      to={to}
      search={(previous: Record<string, unknown>) => ({
        ...previous,
        page: page > 1 ? page : undefined,
      })}
      aria-label={label}
      className={cn(
        linkClasses,
        "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
      )}
    >
      {children}
    </Link>
  )
}
