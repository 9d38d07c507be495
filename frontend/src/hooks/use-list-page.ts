import {
  keepPreviousData,
  type QueryKey,
  type UseQueryOptions,
  useQuery,
} from "@tanstack/react-query"
import { useLocation, useNavigate, useSearch } from "@tanstack/react-router"
import { useCallback, useEffect } from "react"
import { useCurrentUser } from "@/hooks/use-current-user"
import { rememberCursor, rememberedCursor } from "@/lib/cursor-trail"
import {
  type ListResponse,
  type ListSearch,
  PAGE_SIZE,
  type PagePosition,
  type Pager,
  type PagerInput,
  pageCount,
  pagePosition,
  pager,
  parseListSearch,
  pastTheEnd,
} from "@/lib/paging"
import { useCurrentTeam } from "@/lib/team"

/** A list endpoint's page as a query: the options for the page at `position`. */
export type ListQuery<Page extends ListResponse<unknown>, Key extends QueryKey> = (
  position: PagePosition,
) => UseQueryOptions<Page, Error, Page, Key>

/** A list page's state, as `ListPage` and `Pagination` show it. */
export interface ListState<Row> {
  status: "pending" | "error" | "success"
  error: Error | null
  retry: () => void
  /** A page is loading (the one shown may be the previous, kept until the next arrives). */
  isFetching: boolean
  isPlaceholderData: boolean
  rows: Row[]
  /** The whole list's length. */
  total: number
  page: number
  pageCount: number
  /** The rows shown, counted from 1 ("Showing 11–20 of 42"). */
  range: { first: number; last: number }
  pager: Pager
  /** Go to the first page (after adding a row to a list shown newest first, say). */
  goToFirstPage: () => void
}

/** The list a trail of cursors belongs to: this user's list at this path, in this
 * team, with its filters. */
function listIdentity(
  userId: string,
  teamId: string,
  pathname: string,
  search: Record<string, unknown>,
): string {
  const filters = Object.entries(search)
    .filter(([key, value]) => key !== "page" && key !== "cursor" && value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify([userId, teamId, pathname, filters])
}

/**
 * One page of a list, as the route's search parameters name it (`?page=N`, and past
 * SKIP_PAGES `&cursor=C`): the query (the previous page stays on screen while the next
 * loads), the controls to reach other pages, and a redirect from a page past the end.
 */
export function useListPage<Page extends ListResponse<unknown>, Key extends QueryKey>(
  query: ListQuery<Page, Key>,
): ListState<Page["data"][number]> {
  const search = useSearch({ strict: false }) as Record<string, unknown>
  const { page = 1, cursor } = parseListSearch(search)
  const pathname = useLocation({ select: (location) => location.pathname })
  const navigate = useNavigate()
  const list = listIdentity(useCurrentUser().id, useCurrentTeam().id, pathname, search)

  const result = useQuery({
    ...query(pagePosition({ page, cursor })),
    placeholderData: keepPreviousData,
  })
  const settled = result.data && !result.isPlaceholderData ? result.data : undefined
  const total = result.data?.count ?? 0
  const rows: Page["data"] = result.data?.data ?? []
  const nextCursor = settled?.next_cursor
  const input: PagerInput = {
    page,
    total,
    hasCursors: result.data?.next_cursor !== undefined,
    nextCursor,
    cursorFor: (number) => (number === page ? cursor : rememberedCursor(list, number)),
  }

  useEffect(() => {
    if (cursor) rememberCursor(list, page, cursor)
    if (nextCursor) rememberCursor(list, page + 1, nextCursor)
  }, [list, page, cursor, nextCursor])

  const goTo = useCallback(
    (target: ListSearch, replace = false) =>
      navigate({
        to: ".",
        search: (previous: Record<string, unknown>) => ({
          ...previous,
          page: target.page,
          cursor: target.cursor,
        }),
        replace,
      }),
    [navigate],
  )

  // Nothing on this page any more (rows were deleted meanwhile): show one that has rows.
  const redirect = settled
    ? pastTheEnd({ ...input, rowsShown: settled.data.length, isCursorPage: Boolean(cursor) })
    : null
  const redirectKey = redirect ? JSON.stringify(redirect) : null
  useEffect(() => {
    if (redirectKey) void goTo(JSON.parse(redirectKey) as ListSearch, true)
  }, [redirectKey, goTo])

  const firstRow = (page - 1) * PAGE_SIZE + 1
  return {
    status: result.status,
    error: result.error,
    retry: () => void result.refetch(),
    isFetching: result.isFetching,
    isPlaceholderData: result.isPlaceholderData,
    rows,
    total,
    page,
    pageCount: pageCount(total),
    range: { first: Math.min(firstRow, total), last: Math.min(total, firstRow + rows.length - 1) },
    pager: pager(input),
    goToFirstPage: () => void goTo({}),
  }
}
