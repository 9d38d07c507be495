import { Link } from "@tanstack/react-router"
import { ChevronLeft, ChevronRight } from "lucide-react"
import type { ReactNode } from "react"
import type { ListSearch, Pager } from "@/lib/paging"
import { cn } from "@/lib/utils"

export interface PaginationProps {
  page: number
  total: number
  /** The rows shown, counted from 1. */
  range: { first: number; last: number }
  pager: Pager
  noun: string
}

const linkClasses =
  "inline-flex h-9 min-w-9 items-center justify-center rounded-lg px-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-500"

/** The current page's search parameters with another page's: links stay on this route. */
function withPage(target: ListSearch) {
  return (previous: Record<string, unknown>) => ({
    ...previous,
    page: target.page,
    cursor: target.cursor,
  })
}

/** "Showing 11–20 of 42 items" and the links to other pages of the route it is on. */
export function Pagination({ page, total, range, pager, noun }: PaginationProps) {
  const { previous, next, links } = pager
  return (
    <div className="flex flex-col items-center justify-between gap-3 border-t border-zinc-200 px-4 py-3 sm:flex-row dark:border-zinc-800">
      <p className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
        Showing <span className="font-medium text-zinc-900 dark:text-zinc-100">{range.first}</span>–
        <span className="font-medium text-zinc-900 dark:text-zinc-100">{range.last}</span> of{" "}
        <span className="font-medium text-zinc-900 dark:text-zinc-100">{total}</span> {noun}
      </p>
      {(previous || next || links.length > 1) && (
        <nav aria-label="Pagination" className="flex items-center gap-1">
          <PageLink target={previous} label="Previous page">
            <ChevronLeft className="h-4 w-4" aria-hidden="true" />
          </PageLink>
          {links.map((link, index) =>
            link === null ? (
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
                key={link.page}
                to="."
                search={withPage(link.search)}
                aria-label={`Page ${link.page}`}
                aria-current={link.page === page ? "page" : undefined}
                className={cn(
                  linkClasses,
                  link.page === page
                    ? "bg-indigo-600 text-white dark:bg-indigo-500"
                    : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
                )}
              >
                {link.page}
              </Link>
            ),
          )}
          <PageLink target={next} label="Next page">
            <ChevronRight className="h-4 w-4" aria-hidden="true" />
          </PageLink>
        </nav>
      )}
    </div>
  )
}

function PageLink({
  target,
  label,
  children,
}: {
  target: ListSearch | null
  label: string
  children: ReactNode
}) {
  if (!target) {
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
      to="."
      search={withPage(target)}
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
