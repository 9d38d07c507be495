/**
 * How list pages are addressed and read.
 *
 * A page is `?page=N` in the URL, read with `skip`, while N is at most SKIP_PAGES: the
 * database walks at most (SKIP_PAGES - 1) * PAGE_SIZE rows to get there, which costs less
 * than a millisecond. Past that a page is `?page=N&cursor=C`, read with the cursor the
 * API handed out with the page before (one index seek at any depth), so the controls
 * reach no page that makes the database walk a long list. A list whose API hands out no
 * cursor (no `next_cursor` in its answer) is read with `skip` throughout.
 */

export const PAGE_SIZE = 10

/** The pages read with `skip` (and linked by number) in a list read by cursor. */
export const SKIP_PAGES = 20

/** Where a page starts, as the list endpoints take it. */
export type PagePosition = { skip: number; limit: number } | { cursor: string; limit: number }

/** A list page's search parameters: no page means the first. */
export interface ListSearch {
  page?: number
  cursor?: string
}

/** What a list endpoint answers; `next_cursor` is absent where the endpoint has none. */
export interface ListResponse<Row> {
  data: Row[]
  count: number
  next_cursor?: string | null
}

export const FIRST_PAGE: PagePosition = { skip: 0, limit: PAGE_SIZE }

/** `?page=N` (N >= 2) and, with it, `?cursor=C`; anything else means the first page. */
export function parseListSearch(search: Record<string, unknown>): ListSearch {
  const page = Number(search.page)
  if (!Number.isInteger(page) || page < 2) return {}
  const cursor = search.cursor
  return typeof cursor === "string" && cursor !== "" ? { page, cursor } : { page }
}

/** The query that reads the page the search parameters name. */
export function pagePosition({ page = 1, cursor }: ListSearch): PagePosition {
  if (cursor) return { cursor, limit: PAGE_SIZE }
  return { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }
}

export function pageCount(count: number): number {
  return Math.max(1, Math.ceil(count / PAGE_SIZE))
}

/** The search parameters of a page to go to: `{}` is the first page. */
export function pageTarget(page: number, cursor?: string): ListSearch {
  if (page <= 1) return {}
  return cursor ? { page, cursor } : { page }
}

export interface PagerInput {
  /** The page shown. */
  page: number
  /** The whole list's length. */
  total: number
  /** Whether the API hands out cursors for this list (its answers have `next_cursor`). */
  hasCursors: boolean
  /** The shown page's `next_cursor`; undefined while the page loads or without cursors. */
  nextCursor: string | null | undefined
  /** A cursor remembered for an earlier page of this list, if any. */
  cursorFor: (page: number) => string | undefined
}

export interface PageLink {
  page: number
  search: ListSearch
}

export interface Pager {
  previous: ListSearch | null
  next: ListSearch | null
  /** Numbered links, with null for a gap (more pages that have no link of their own). */
  links: (PageLink | null)[]
}

/** Whether pages of this list past SKIP_PAGES are read by cursor. */
function readByCursor({ total, hasCursors }: Pick<PagerInput, "total" | "hasCursors">): boolean {
  return hasCursors && pageCount(total) > SKIP_PAGES
}

/** How to reach `target`, or null when no cheap way is known. */
function reach(target: number, input: PagerInput, byCursor: boolean): ListSearch | null {
  if (target < 1) return null
  if (!byCursor || target <= SKIP_PAGES) return pageTarget(target)
  const cursor = input.cursorFor(target)
  return cursor ? pageTarget(target, cursor) : null
}

/**
 * The controls under a list page. Previous goes back by `skip` within SKIP_PAGES, and past
 * it by a cursor remembered on the way forward; where none is (a link opened in a new tab),
 * Previous is off and page 1 is still there. Next follows the page's `next_cursor` past
 * SKIP_PAGES (and waits for it while the page loads).
 */
export function pager(input: PagerInput): Pager {
  const { page, total, nextCursor } = input
  const count = pageCount(total)
  const byCursor = readByCursor(input)
  const hasNext = nextCursor !== null && page < count
  let next: ListSearch | null = null
  if (hasNext && (!byCursor || page + 1 <= SKIP_PAGES)) next = pageTarget(page + 1)
  else if (hasNext && nextCursor) next = pageTarget(page + 1, nextCursor)
  const previous = reach(page - 1, input, byCursor)

  if (!byCursor) {
    const links = pageWindow(page, count).map((number) =>
      number === null ? null : { page: number, search: pageTarget(number) },
    )
    return { previous, next, links }
  }
  // A long list: numbers only where `skip` is cheap, and the page shown.
  const numbers = new Set([1, page - 1, page, page + 1])
  if (page <= 3) for (const number of [2, 3, 4]) numbers.add(number)
  const shown = [...numbers]
    .filter((number) => number >= 1 && (number <= SKIP_PAGES || number === page))
    .sort((a, b) => a - b)
  const links: (PageLink | null)[] = []
  for (const [index, number] of shown.entries()) {
    const before = shown[index - 1]
    if (before !== undefined && number - before > 1) links.push(null)
    const search = number === page ? currentSearch(page, input) : pageTarget(number)
    links.push({ page: number, search })
  }
  if (hasNext) links.push(null)
  return { previous, next, links }
}

function currentSearch(page: number, input: PagerInput): ListSearch {
  return page > SKIP_PAGES ? pageTarget(page, input.cursorFor(page)) : pageTarget(page)
}

/**
 * Where to go from a page with nothing on it (rows were deleted meanwhile, or the URL
 * names a page past the end): the last page when it is cheap to read, else the one
 * before by a remembered cursor, else the first. Null when the page is fine.
 */
export function pastTheEnd(
  input: PagerInput & { rowsShown: number; isCursorPage: boolean },
): ListSearch | null {
  const { page, total, rowsShown, isCursorPage } = input
  if (page === 1 || rowsShown > 0) return null
  const count = pageCount(total)
  const byCursor = readByCursor(input)
  if (!isCursorPage) {
    if (page <= count) return null
    return !byCursor || count <= SKIP_PAGES ? pageTarget(count) : {}
  }
  return reach(Math.min(page - 1, count), input, byCursor) ?? {}
}

/** Page numbers to show around the current one, with null for a gap. */
export function pageWindow(current: number, total: number): (number | null)[] {
  if (total <= 7) return Array.from({ length: total }, (_, i) => i + 1)
  const pages = new Set([1, total, current - 1, current, current + 1])
  if (current <= 3) for (const p of [2, 3, 4]) pages.add(p)
  if (current >= total - 2) for (const p of [total - 3, total - 2, total - 1]) pages.add(p)
  const sorted = [...pages].filter((p) => p >= 1 && p <= total).sort((a, b) => a - b)
  const result: (number | null)[] = []
  for (const [index, page] of sorted.entries()) {
    const previous = sorted[index - 1]
    if (previous !== undefined && page - previous > 1) result.push(null)
    result.push(page)
  }
  return result
}
