import { describe, expect, it } from "vitest"
import { parsePage, safeRedirect } from "./search"
import { initials, pageWindow } from "./utils"

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

describe("search parameters", () => {
  it("reads ?page as a whole number of at least 2", () => {
    expect(parsePage({ page: 3 })).toEqual({ page: 3 })
    expect(parsePage({ page: "7" })).toEqual({ page: 7 })
    expect(parsePage({ page: 1 })).toEqual({})
    expect(parsePage({ page: "x" })).toEqual({})
    expect(parsePage({ page: -2 })).toEqual({})
  })

  it("follows only same-site paths after login", () => {
    expect(safeRedirect("/items?page=2")).toBe("/items?page=2")
    expect(safeRedirect("https://evil.example")).toBe("/")
    expect(safeRedirect("//evil.example")).toBe("/")
    expect(safeRedirect("/login?redirect=/x")).toBe("/")
    expect(safeRedirect(undefined)).toBe("/")
  })
})

describe("initials", () => {
  it("takes a name's first letters, or the email's first", () => {
    expect(initials("Ada Lovelace", "ada@example.com")).toBe("AL")
    expect(initials(null, "bob@example.com")).toBe("B")
  })
})
