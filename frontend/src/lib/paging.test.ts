import { describe, expect, it } from "vitest"
import {
  type PagerInput,
  pageCount,
  pagePosition,
  pager,
  pageWindow,
  parseListSearch,
  pastTheEnd,
  SKIP_PAGES,
} from "./paging"

/** A pager's input: `cursors` are the pages whose cursor the tab remembers. */
function input(
  page: number,
  total: number,
  nextCursor: string | null | undefined,
  cursors: Record<number, string> = {},
  hasCursors = nextCursor !== undefined,
): PagerInput {
  return { page, total, hasCursors, nextCursor, cursorFor: (number) => cursors[number] }
}

/** The page numbers a pager links to, with null for a gap. */
function numbers(links: ReturnType<typeof pager>["links"]) {
  return links.map((link) => link?.page ?? null)
}

describe("pageWindow", () => {
  it("lists every page when there are few", () => {
    expect(pageWindow(1, 5)).toEqual([1, 2, 3, 4, 5])
  })

  it("keeps the ends and the neighbours, with gaps", () => {
    expect(pageWindow(1, 11)).toEqual([1, 2, 3, 4, null, 11])
    expect(pageWindow(6, 11)).toEqual([1, null, 5, 6, 7, null, 11])
    expect(pageWindow(11, 11)).toEqual([1, null, 8, 9, 10, 11])
  })
})

describe("list search parameters", () => {
  it("reads ?page as a whole number of at least 2", () => {
    expect(parseListSearch({ page: 3 })).toEqual({ page: 3 })
    expect(parseListSearch({ page: "7" })).toEqual({ page: 7 })
    expect(parseListSearch({ page: 1 })).toEqual({})
    expect(parseListSearch({ page: "x" })).toEqual({})
    expect(parseListSearch({ page: -2 })).toEqual({})
  })

  it("keeps a cursor only with the page it starts", () => {
    expect(parseListSearch({ page: 25, cursor: "abc" })).toEqual({ page: 25, cursor: "abc" })
    expect(parseListSearch({ cursor: "abc" })).toEqual({})
    expect(parseListSearch({ page: 25, cursor: "" })).toEqual({ page: 25 })
    expect(parseListSearch({ page: 25, cursor: 7 })).toEqual({ page: 25 })
  })

  it("reads a page by skip, or by its cursor when the URL has one", () => {
    expect(pagePosition({})).toEqual({ skip: 0, limit: 10 })
    expect(pagePosition({ page: 3 })).toEqual({ skip: 20, limit: 10 })
    expect(pagePosition({ page: 25, cursor: "c25" })).toEqual({ cursor: "c25", limit: 10 })
  })

  it("counts pages of ten, at least one", () => {
    expect([0, 10, 11, 105].map(pageCount)).toEqual([1, 1, 2, 11])
  })
})

describe("pager, short list (every page by skip)", () => {
  it("links every page by number, as without cursors", () => {
    const controls = pager(input(2, 105, "cursor-for-3"))
    expect(controls.previous).toEqual({})
    expect(controls.next).toEqual({ page: 3 })
    expect(numbers(controls.links)).toEqual([1, 2, 3, 4, null, 11])
    expect(controls.links[5]).toEqual({ page: 11, search: { page: 11 } })
  })

  it("has no Next on the last page and no Previous on the first", () => {
    expect(pager(input(11, 105, null)).next).toBeNull()
    expect(pager(input(1, 105, "c2")).previous).toBeNull()
    expect(pager(input(1, 3, null))).toEqual({
      previous: null,
      next: null,
      links: [{ page: 1, search: {} }],
    })
  })

  it("pages a long list by skip when the API has no cursors", () => {
    const controls = pager(input(30, 500, undefined))
    expect(controls.previous).toEqual({ page: 29 })
    expect(controls.next).toEqual({ page: 31 })
    expect(numbers(controls.links)).toEqual([1, null, 29, 30, 31, null, 50])
  })
})

describe("pager, long list (past SKIP_PAGES by cursor)", () => {
  // 235 rows: 24 pages.
  const total = 235

  it("reads the first SKIP_PAGES pages by skip", () => {
    expect(SKIP_PAGES).toBe(20)
    const first = pager(input(1, total, "c2"))
    expect(first.next).toEqual({ page: 2 })
    expect(numbers(first.links)).toEqual([1, 2, 3, 4, null])
    expect(numbers(pager(input(7, total, "c8")).links)).toEqual([1, null, 6, 7, 8, null])
  })

  it("never links the last page by number: it is far by skip", () => {
    const controls = pager(input(20, total, "c21"))
    expect(numbers(controls.links)).toEqual([1, null, 19, 20, null])
    expect(controls.links.some((link) => link?.page === 24)).toBe(false)
  })

  it("follows next_cursor past SKIP_PAGES", () => {
    expect(pager(input(20, total, "c21")).next).toEqual({ page: 21, cursor: "c21" })
    expect(pager(input(21, total, "c22", { 21: "c21" })).next).toEqual({
      page: 22,
      cursor: "c22",
    })
  })

  it("waits for the page's cursor before offering Next past SKIP_PAGES", () => {
    expect(pager(input(21, total, undefined, { 21: "c21" }, true)).next).toBeNull()
    expect(pager(input(5, total, undefined, {}, true)).next).toEqual({ page: 6 })
  })

  it("goes back by skip to SKIP_PAGES, and past it by a remembered cursor", () => {
    expect(pager(input(21, total, "c22", { 21: "c21" })).previous).toEqual({ page: 20 })
    const deep = pager(input(23, total, "c24", { 22: "c22", 23: "c23" }))
    expect(deep.previous).toEqual({ page: 22, cursor: "c22" })
    expect(deep.links).toEqual([
      { page: 1, search: {} },
      null,
      { page: 23, search: { page: 23, cursor: "c23" } },
      null,
    ])
  })

  it("offers no Previous past SKIP_PAGES without a cursor for it, and page 1 still", () => {
    const controls = pager(input(23, total, "c24", { 23: "c23" }))
    expect(controls.previous).toBeNull()
    expect(controls.links[0]).toEqual({ page: 1, search: {} })
  })

  it("ends at the last page", () => {
    const last = pager(input(24, total, null, { 23: "c23", 24: "c24" }))
    expect(last.next).toBeNull()
    expect(numbers(last.links)).toEqual([1, null, 24])
  })
})

describe("pastTheEnd", () => {
  const at = (
    page: number,
    total: number,
    nextCursor: string | null | undefined,
    options: { rows?: number; cursor?: boolean; cursors?: Record<number, string> } = {},
  ) =>
    pastTheEnd({
      ...input(page, total, nextCursor, options.cursors),
      rowsShown: options.rows ?? 0,
      isCursorPage: options.cursor ?? false,
    })

  it("leaves a page with rows, and the first page, alone", () => {
    expect(at(3, 105, "c4", { rows: 10 })).toBeNull()
    expect(at(1, 0, null)).toBeNull()
  })

  it("sends a page past the end to the last page when that is cheap", () => {
    expect(at(12, 105, null)).toEqual({ page: 11 })
    expect(at(5, 0, null)).toEqual({})
    expect(at(30, 250, undefined)).toEqual({ page: 25 })
  })

  it("sends a page past the end of a long list to the first page", () => {
    expect(at(30, 235, null)).toEqual({})
  })

  it("sends an emptied cursor page to the one before", () => {
    expect(at(23, 220, null, { cursor: true, cursors: { 22: "c22" } })).toEqual({
      page: 22,
      cursor: "c22",
    })
    expect(at(21, 220, null, { cursor: true })).toEqual({ page: 20 })
    expect(at(23, 220, null, { cursor: true })).toEqual({})
    expect(at(23, 150, null, { cursor: true })).toEqual({ page: 15 })
  })
})
