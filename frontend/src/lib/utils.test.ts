import { describe, expect, it } from "vitest"
import { safeRedirect } from "./search"
import { initials } from "./utils"

describe("search parameters", () => {
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
